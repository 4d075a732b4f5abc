from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.auth import actor_of
from accounts.errors import NotAllowed
from accounts.models import Role, RoleApplication
from accounts.pagination import ListPage, page_response


class TokenObtainApi(APIView):
    """Exchanges a username and password for an API token. Brute force is locked out like the login page."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    extra_error_codes = ("429",)  # the axes lockout (portal/schema.py declares it in the OpenAPI schema)

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The plain HttpRequest, so django-axes records the failure and flags a lockout where its middleware looks.
        user = authenticate(request._request, **data.validated_data)
        if user is None or not user.is_active:
            raise NotAllowed("Wrong username or password.", code="bad_credentials")
        token, _ = Token.objects.get_or_create(user=user)
        return Response(self.OutputSerializer({"token": token.key}).data)


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        username = serializers.CharField()
        display_name = serializers.CharField()
        email = serializers.EmailField()
        roles = serializers.ListField(child=serializers.CharField())

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request) -> Response:
        user = request.user
        payload = {
            "username": user.get_username(),
            "display_name": getattr(user, "display_name", ""),
            "email": getattr(user, "email", ""),
            "roles": sorted(selectors.user_roles(user)),
        }
        return Response(self.OutputSerializer(payload).data)


class RoleApplicationOutputSerializer(serializers.ModelSerializer[RoleApplication]):
    applicant = serializers.CharField(source="applicant.username")
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True, default=None)

    class Meta:
        model = RoleApplication
        fields = ["id", "applicant", "role", "motivation", "status", "decided_by", "decided_at", "decision_reason", "created_at"]


class RoleApplicationListApi(APIView):
    """Your own applications; approvers also see every pending one (`?scope=pending`)."""

    permission_classes = [IsAuthenticated]
    pagination_class = ListPage

    class InputSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=Role.choices)
        motivation = serializers.CharField(max_length=4000)

    @extend_schema(responses={200: RoleApplicationOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        if request.query_params.get("scope") == "pending" and selectors.user_can_decide_applications(request.user):
            applications = selectors.role_application_list_pending()
        else:
            applications = selectors.role_application_list_for_user(actor_of(request))
        return page_response(request, applications, lambda page: RoleApplicationOutputSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: RoleApplicationOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.role_application_create(actor=actor_of(request), **data.validated_data)
        return Response(RoleApplicationOutputSerializer(application).data, status=status.HTTP_201_CREATED)


class RoleApplicationDecideApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        decision = serializers.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
        reason = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={200: RoleApplicationOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decided = services.role_application_decide(
            actor=actor_of(request),
            application_id=pk,
            approve=data.validated_data["decision"] == "approve",
            reason=data.validated_data["reason"],
        )
        return Response(RoleApplicationOutputSerializer(decided).data)


@extend_schema(responses={200: inline_serializer("RoleCounts", {role: serializers.IntegerField() for role in Role.values})})
class RoleCountsApi(APIView):
    """Public: how many people hold each role."""

    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response(selectors.role_counts())
