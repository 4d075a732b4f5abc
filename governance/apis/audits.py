"""Audit API: list and open audits, add findings, evidence and comments, submit, decide (four eyes)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import actor_of
from accounts.errors import ApplicationError, NotFound
from accounts.json_input import BoundedJSONParser
from accounts.pagination import ListPage, page_response
from governance.models import Audit, AuditComment, AuditEvidence, Finding
from governance.selectors import audits as selectors
from governance.selectors import registry as registry_selectors
from governance.services import audits as services
from notebooks.selectors import run_get_for_user


class FindingSerializer(serializers.ModelSerializer[Finding]):
    class Meta:
        model = Finding
        fields = ["id", "severity", "title", "text", "created_at"]


class EvidenceSerializer(serializers.ModelSerializer[AuditEvidence]):
    class Meta:
        model = AuditEvidence
        fields = ["id", "file_name", "run", "link", "note", "created_at"]


class CommentSerializer(serializers.ModelSerializer[AuditComment]):
    author = serializers.CharField(source="author.username")

    class Meta:
        model = AuditComment
        fields = ["id", "author", "text", "created_at"]


class AuditSerializer(serializers.ModelSerializer[Audit]):
    model = serializers.CharField(source="model.slug")
    version = serializers.CharField(source="version.version")
    author = serializers.CharField(source="author.username")
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True, default=None)

    class Meta:
        model = Audit
        fields = [
            "id",
            "model",
            "version",
            "kind",
            "title",
            "status",
            "author",
            "submitted_at",
            "submissions",
            "decided_by",
            "decided_at",
            "decision_note",
            "created_at",
            "updated_at",
        ]


class AuditDetailSerializer(AuditSerializer):
    findings = FindingSerializer(many=True, read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)
    comments = CommentSerializer(many=True, read_only=True)
    summary = serializers.CharField()

    class Meta(AuditSerializer.Meta):
        fields = [*AuditSerializer.Meta.fields, "summary", "findings", "evidence", "comments"]


def _detail(request: Request, pk: int) -> Any:
    return AuditDetailSerializer(selectors.audit_get_for_user(actor_of(request), pk)).data


class AuditListApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = ListPage

    class InputSerializer(serializers.Serializer):
        model = serializers.SlugField(max_length=80)
        kind = serializers.ChoiceField(choices=Audit.Kind.choices)
        title = serializers.CharField(max_length=200)
        summary = serializers.CharField(required=False, allow_blank=True, default="", max_length=100_000)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=Audit.Status.values, required=False),
            OpenApiParameter("kind", str, enum=Audit.Kind.values, required=False),
            OpenApiParameter("model", str, required=False),
        ],
        responses={200: AuditSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        wanted = {name: request.query_params.get(name, "") for name in ("status", "kind", "model")}
        if wanted["status"] and wanted["status"] not in Audit.Status.values:
            raise ApplicationError("Unknown status.", fields={"status": [f"One of: {', '.join(Audit.Status.values)}."]})
        if wanted["kind"] and wanted["kind"] not in Audit.Kind.values:
            raise ApplicationError("Unknown kind.", fields={"kind": [f"One of: {', '.join(Audit.Kind.values)}."]})
        audits = selectors.audit_list_for_user(
            actor_of(request), status=wanted["status"], kind=wanted["kind"], model=wanted["model"]
        )
        return page_response(request, audits, lambda page: AuditSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: AuditDetailSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        try:
            model = registry_selectors.model_get(values.pop("model"))
        except NotFound as error:
            raise ApplicationError("No such model.", fields={"model": ["Unknown model."]}) from error
        audit = services.audit_create(actor=actor_of(request), model=model, **values)
        return Response(_detail(request, audit.pk), status=status.HTTP_201_CREATED)


class AuditDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(required=False, max_length=200)
        summary = serializers.CharField(required=False, allow_blank=True, max_length=100_000)

    @extend_schema(responses={200: AuditDetailSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(_detail(request, pk))

    @extend_schema(request=InputSerializer, responses={200: AuditDetailSerializer})
    def patch(self, request: Request, pk: int) -> Response:
        audit = selectors.audit_get_for_user(actor_of(request), pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.audit_update(actor=actor_of(request), audit=audit, **data.validated_data)
        return Response(_detail(request, pk))


class AuditSubmitApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: AuditDetailSerializer})
    def post(self, request: Request, pk: int) -> Response:
        services.audit_submit(actor=actor_of(request), audit=selectors.audit_get_for_user(actor_of(request), pk))
        return Response(_detail(request, pk))


class AuditDecideApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        # Optional here and checked by the service after four eyes, so an auditor who may not decide hears why first.
        decision = serializers.ChoiceField(choices=["accept", "reject", "changes"], required=False)
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=100_000)

    @extend_schema(request=InputSerializer, responses={200: AuditDetailSerializer})
    def post(self, request: Request, pk: int) -> Response:
        audit = selectors.audit_get_for_user(actor_of(request), pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.audit_decide(actor=actor_of(request), audit=audit, decision=values.get("decision", ""), note=values["note"])
        return Response(_detail(request, pk))


class AuditFindingsApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        severity = serializers.ChoiceField(choices=Finding.Severity.choices)
        title = serializers.CharField(max_length=200)
        text = serializers.CharField(required=False, allow_blank=True, default="", max_length=100_000)

    @extend_schema(request=InputSerializer, responses={201: FindingSerializer})
    def post(self, request: Request, pk: int) -> Response:
        audit = selectors.audit_get_for_user(actor_of(request), pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        finding = services.finding_add(actor=actor_of(request), audit=audit, **data.validated_data)
        return Response(FindingSerializer(finding).data, status=status.HTTP_201_CREATED)


class AuditEvidenceApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [BoundedJSONParser, MultiPartParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(required=False)
        run = serializers.IntegerField(required=False, min_value=1)
        # No default: '' is not a URI, and the schema's validator checks formats once a URI checker is installed.
        link = serializers.URLField(required=False, allow_blank=True, max_length=500)
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)

    # One declared body (generators build one request type per operation): multipart, as it may carry a file.
    # A JSON body without the file is accepted as well.
    @extend_schema(request={"multipart/form-data": InputSerializer}, responses={201: EvidenceSerializer})
    def post(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        audit = selectors.audit_get_for_user(actor, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if values.get("run"):
            try:
                values["run"] = run_get_for_user(actor, values["run"])
            except NotFound as error:
                raise ApplicationError("No such run.", fields={"run": ["Unknown run, or not yours to cite."]}) from error
        evidence = services.evidence_add(actor=actor, audit=audit, **values)
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)


class AuditCommentsApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(max_length=20_000)

    @extend_schema(request=InputSerializer, responses={201: CommentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        audit = selectors.audit_get_for_user(actor_of(request), pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.audit_comment_add(actor=actor_of(request), audit=audit, text=data.validated_data["text"])
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)
