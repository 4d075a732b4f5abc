"""Sponsorship API: quarters, compute, freeze, exports. Stewards write; exports and manifests of frozen quarters
are public (anyone can check the payout), open quarters are visible to stewards only."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import actor_of
from accounts.errors import NotFound
from accounts.models import Role
from accounts.selectors import user_has_role
from accounts.spreadsheet_csv import csv_text
from governance.models import Allocation, Quarter
from governance.selectors import sponsorship as selectors
from governance.services import sponsorship as services


def quarter_for(request: Any, label: str) -> Quarter:
    """A frozen quarter is public; an open one is seen by stewards and administrators only (others: 404)."""
    quarter = selectors.quarter_get(label)
    if not quarter.frozen and not user_has_role(request.user, Role.STEWARD, Role.ADMINISTRATOR):
        raise NotFound(f"No quarter {label}.")
    return quarter


class QuarterSerializer(serializers.ModelSerializer[Quarter]):
    class Meta:
        model = Quarter
        fields = [
            "label",
            "pool_minor_units",
            "currency",
            "weight_percent",
            "cap_percent",
            "status",
            "computed_at",
            "computations",
            "eligible_count",
            "allocated_minor_units",
            "unallocated_minor_units",
            "share",
            "frozen_at",
            "manifest_sha256",
        ]


class AllocationSerializer(serializers.ModelSerializer[Allocation]):
    model = serializers.CharField(source="model_slug")
    version = serializers.CharField(source="version.version")

    class Meta:
        model = Allocation
        fields = ["model", "version", "amount_minor_units", "evaluation_ids"]


class QuarterListApi(APIView):
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        label = serializers.CharField(max_length=6)  # type: ignore[assignment]  # a field, not Field.label
        pool_minor_units = serializers.IntegerField(min_value=1, max_value=10**15)
        currency = serializers.CharField(max_length=3)
        weight_percent = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, default=Decimal(3))
        cap_percent = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, default=Decimal(100))

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses={200: QuarterSerializer(many=True)})
    def get(self, request: Request) -> Response:
        quarters = selectors.quarter_list()
        if not user_has_role(request.user, Role.STEWARD, Role.ADMINISTRATOR):
            quarters = quarters.filter(status=Quarter.Status.FROZEN)
        return Response(QuarterSerializer(quarters[:200], many=True).data)

    @extend_schema(request=InputSerializer, responses={201: QuarterSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        quarter = services.quarter_open(actor=actor_of(request), **data.validated_data)
        return Response(QuarterSerializer(quarter).data, status=status.HTTP_201_CREATED)


class QuarterDetailApi(APIView):
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        pool_minor_units = serializers.IntegerField(min_value=1, max_value=10**15, required=False)
        weight_percent = serializers.DecimalField(max_digits=9, decimal_places=6, required=False)
        cap_percent = serializers.DecimalField(max_digits=9, decimal_places=6, required=False)

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses={200: QuarterSerializer})
    def get(self, request: Request, label: str) -> Response:
        return Response(QuarterSerializer(quarter_for(request, label)).data)

    @extend_schema(request=InputSerializer, responses={200: QuarterSerializer})
    def patch(self, request: Request, label: str) -> Response:
        quarter = quarter_for(request, label)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            QuarterSerializer(services.quarter_update(actor=actor_of(request), label=quarter.label, **data.validated_data)).data
        )


class QuarterComputeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: QuarterSerializer})
    def post(self, request: Request, label: str) -> Response:
        quarter = quarter_for(request, label)
        return Response(QuarterSerializer(services.quarter_compute(actor=actor_of(request), label=quarter.label)).data)


class QuarterFreezeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: QuarterSerializer})
    def post(self, request: Request, label: str) -> Response:
        quarter = quarter_for(request, label)
        return Response(QuarterSerializer(services.quarter_freeze(actor=actor_of(request), label=quarter.label)).data)


class AllocationsApi(APIView):
    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        quarter = serializers.CharField()
        status = serializers.CharField()
        currency = serializers.CharField()
        pool_minor_units = serializers.IntegerField()
        allocated_minor_units = serializers.IntegerField()
        unallocated_minor_units = serializers.IntegerField()
        manifest_sha256 = serializers.CharField()
        allocations = AllocationSerializer(many=True)

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request, label: str) -> Response:
        quarter = quarter_for(request, label)
        body = {
            "quarter": quarter.label,
            "status": quarter.status,
            "currency": quarter.currency,
            "pool_minor_units": quarter.pool_minor_units,
            "allocated_minor_units": quarter.allocated_minor_units,
            "unallocated_minor_units": quarter.unallocated_minor_units,
            "manifest_sha256": quarter.manifest_sha256,
            "allocations": selectors.quarter_allocations(quarter),
        }
        return Response(self.OutputSerializer(body).data)


class AllocationsCsvApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request: Request, label: str) -> HttpResponse:
        quarter = quarter_for(request, label)
        header = ["quarter", "model", "version", "amount_minor_units", "currency", "evaluation_ids"]
        rows: list[list[object]] = [
            [
                quarter.label,
                allocation.model_slug,
                allocation.version.version,
                allocation.amount_minor_units,
                quarter.currency,
                " ".join(str(i) for i in allocation.evaluation_ids),
            ]
            for allocation in selectors.quarter_allocations(quarter)
        ]
        rows.append([quarter.label, "(unallocated)", "", quarter.unallocated_minor_units, quarter.currency, ""])
        response = HttpResponse(csv_text(header, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="allocations-{quarter.label}.csv"'
        return response


class ManifestApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "application/json"): OpenApiTypes.OBJECT})
    def get(self, request: Request, label: str) -> HttpResponse:
        quarter = quarter_for(request, label)
        if not quarter.frozen or quarter.manifest is None:
            raise NotFound("The manifest exists once the quarter is frozen.")
        response = HttpResponse(
            json.dumps(quarter.manifest, indent=2, sort_keys=True, ensure_ascii=False), content_type="application/json"
        )
        response["Content-Disposition"] = f'attachment; filename="manifest-{quarter.label}.json"'
        return response
