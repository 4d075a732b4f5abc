"""`GET /api/v1/me/models/`: the My models page as JSON, for a repository's automation.

One object `{"models": [...]}` (not a paginated list): a person owns a handful of models, and every row carries
its own nested lists.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.selectors.owners import owned_model_overview, owned_models_overview


class MyModelDimensionSerializer(serializers.Serializer[Any]):
    dimension = serializers.CharField()
    value = serializers.DecimalField(max_digits=14, decimal_places=6, allow_null=True)
    unit = serializers.CharField()
    threshold = serializers.CharField(help_text="How a passing value compares with the limit, e.g. `< 5`.")
    margin = serializers.CharField(allow_null=True, help_text="Distance to the threshold, passing direction; negative fails.")
    passes = serializers.BooleanField(allow_null=True)
    estimated = serializers.BooleanField()
    evaluation = serializers.IntegerField(allow_null=True, help_text="The latest counted value's id.")
    provenance = serializers.CharField(allow_null=True)
    measured_at = serializers.DateTimeField(allow_null=True)
    run = serializers.IntegerField(allow_null=True)
    evidence_url = serializers.CharField(allow_null=True)
    pending_review = serializers.IntegerField(help_text="Community values waiting for a second auditor.")


class MyModelCertificationSerializer(serializers.Serializer[Any]):
    status = serializers.CharField(help_text="active, expired, superseded, ended or suspended.")
    valid_from = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    days_left = serializers.IntegerField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    end_reason = serializers.CharField()
    methodology_version = serializers.CharField()
    suspended_by_audit = serializers.IntegerField(allow_null=True)


class MyModelVersionSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    version = serializers.CharField()
    created_at = serializers.DateTimeField()
    current = serializers.BooleanField()
    certification = MyModelCertificationSerializer(allow_null=True, help_text="Its latest certification, if any.")


class MyModelAmountSerializer(serializers.Serializer[Any]):
    quarter = serializers.CharField()
    amount_minor_units = serializers.IntegerField()
    currency = serializers.CharField()
    amount = serializers.CharField(help_text="In major units with the currency, e.g. ¥1,234.50.")
    share = serializers.CharField(help_text="Each eligible model's share of the pool, as an exact fraction.")
    at = serializers.DateTimeField(allow_null=True, help_text="When it was computed (projected) or frozen.")


class MyModelStepSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="suspended, running, pending_review, missing, failing, expiring, expired or none.")
    dimension = serializers.CharField(allow_null=True)
    text = serializers.CharField(help_text="In the request's language.")
    action = serializers.CharField(help_text="evaluate, publish, wait or none.")
    url = serializers.CharField(help_text="Where to act on it.")


class MyModelSerializer(serializers.Serializer[Any]):
    slug = serializers.CharField()
    name = serializers.CharField()
    url = serializers.CharField()
    health_url = serializers.CharField()
    feed_url = serializers.CharField(help_text="The Atom feed of its certification events.")
    current_version = serializers.CharField(allow_null=True)
    state = serializers.CharField(help_text="certified, expiring (within 30 days), suspended or not_certified.")
    certified_until = serializers.DateTimeField(allow_null=True)
    days_left = serializers.IntegerField(allow_null=True)
    suspended_by_audit = serializers.IntegerField(allow_null=True)
    evaluation_running = serializers.BooleanField()
    dimensions = MyModelDimensionSerializer(many=True)
    versions = MyModelVersionSerializer(many=True)
    projected = MyModelAmountSerializer(many=True, help_text="The open quarter's computed amount, if computed and current.")
    frozen = MyModelAmountSerializer(many=True, help_text="The amounts of frozen quarters, newest first.")
    next_steps = MyModelStepSerializer(many=True)


class MyModelsApi(APIView):
    """The models the signed-in person owns; nobody else's (an owner of none gets an empty list)."""

    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer[Any]):
        models = MyModelSerializer(many=True)

    @extend_schema(operation_id="me_models_list", responses={200: OutputSerializer})
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer({"models": owned_models_overview(request.user)}).data)


class MyModelApi(APIView):
    """One model the signed-in person owns; another person's model and an unknown slug are both 404."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="me_model_retrieve", responses={200: MyModelSerializer})
    def get(self, request: Request, slug: str) -> Response:
        return Response(MyModelSerializer(owned_model_overview(request.user, slug)).data)
