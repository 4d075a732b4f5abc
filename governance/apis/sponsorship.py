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
from accounts.errors import NotFound, WrongState
from accounts.models import Role
from accounts.pagination import ListPage, page_response
from accounts.selectors import user_has_role
from accounts.spreadsheet_csv import csv_text
from governance import attestations
from governance.models import Allocation, Quarter
from governance.selectors import attestation_statements, payouts, quarter_verification
from governance.selectors import sponsorship as selectors
from governance.services import sponsorship as services


def quarter_for(request: Any, label: str) -> Quarter:
    """A frozen quarter is public; an open one is seen by stewards and administrators only (others: 404)."""
    quarter = selectors.quarter_get(label)
    if not quarter.frozen and not user_has_role(request.user, Role.STEWARD, Role.ADMINISTRATOR):
        raise NotFound(f"No quarter {label}.")
    return quarter


def checked_for_export(request: Any, label: str) -> Quarter:
    """`quarter_for`, and for a frozen quarter the rows about to be shown must be the manifest's (409 otherwise)."""
    quarter = quarter_for(request, label)
    if quarter.frozen:
        problems = quarter_verification.stored_allocations_problems(quarter)
        if problems:
            raise WrongState(f"Quarter {quarter.label} does not match its seal: {'; '.join(problems)}.", code="seal_mismatch")
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
            "stale",
            "usd_exchange_rate",
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
    evaluation_ids = serializers.ListField(child=serializers.IntegerField(), read_only=True)

    class Meta:
        model = Allocation
        fields = ["model", "version", "amount_minor_units", "evaluation_ids"]


class QuarterListApi(APIView):
    permission_classes = [AllowAny]
    pagination_class = ListPage

    class InputSerializer(serializers.Serializer):
        label = serializers.CharField(max_length=6)  # type: ignore[assignment]  # a field, not Field.label
        pool_minor_units = serializers.IntegerField(min_value=1, max_value=10**15)
        currency = serializers.CharField(max_length=3)
        weight_percent = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, default=Decimal(3))
        cap_percent = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, default=Decimal(100))
        usd_exchange_rate = serializers.DecimalField(max_digits=16, decimal_places=8, required=False, allow_null=True)

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses={200: QuarterSerializer(many=True)})
    def get(self, request: Request) -> Response:
        quarters = selectors.quarter_list()
        if not user_has_role(request.user, Role.STEWARD, Role.ADMINISTRATOR):
            quarters = quarters.filter(status=Quarter.Status.FROZEN)
        return page_response(request, quarters, lambda page: QuarterSerializer(page, many=True).data)

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
        usd_exchange_rate = serializers.DecimalField(max_digits=16, decimal_places=8, required=False)

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
    extra_error_codes = ("409",)  # not frozen yet, or rows that no longer match the seal
    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        quarter = serializers.CharField()
        status = serializers.CharField()
        stale = serializers.BooleanField()
        currency = serializers.CharField()
        pool_minor_units = serializers.IntegerField()
        allocated_minor_units = serializers.IntegerField()
        unallocated_minor_units = serializers.IntegerField()
        manifest_sha256 = serializers.CharField()
        allocations = AllocationSerializer(many=True)

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request, label: str) -> Response:
        quarter = checked_for_export(request, label)
        body = {
            "quarter": quarter.label,
            "status": quarter.status,
            "stale": quarter.stale,
            "currency": quarter.currency,
            "pool_minor_units": quarter.pool_minor_units,
            "allocated_minor_units": quarter.allocated_minor_units,
            "unallocated_minor_units": quarter.unallocated_minor_units,
            "manifest_sha256": quarter.manifest_sha256,
            "allocations": selectors.quarter_allocations(quarter),
        }
        return Response(self.OutputSerializer(body).data)


def _csv_response(header: list[str], rows: list[list[Any]], filename: str) -> HttpResponse:
    response = HttpResponse(csv_text(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class AllocationsCsvApi(APIView):
    extra_error_codes = ("409",)  # not frozen yet, or rows that no longer match the seal
    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request: Request, label: str) -> HttpResponse:
        quarter = checked_for_export(request, label)
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
        if quarter.stale:
            rows.append([quarter.label, "(stale: the quarter's inputs changed since this computation)", "", "", "", ""])
        header = ["quarter", "model", "version", "amount_minor_units", "currency", "evaluation_ids"]
        return _csv_response(header, rows, f"allocations-{quarter.label}.csv")


class ManifestSerializer(serializers.Serializer):
    """The sealed manifest (`governance/sponsorship_rules.py`); the portal's record fields (`models`, the exchange
    rate, …) follow the rule's fields."""

    quarter = serializers.CharField()
    methodology_version = serializers.CharField()
    thresholds = serializers.DictField(child=serializers.CharField())
    pool_minor_units = serializers.IntegerField()
    currency = serializers.CharField()
    weight = serializers.CharField(help_text="A decimal, as text.")
    cap = serializers.CharField(help_text="A decimal, as text.")
    share = serializers.CharField(help_text="A fraction, as text.")
    tie_break = serializers.CharField()
    eligible = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField()), help_text="Model slug → evaluation ids."
    )
    allocations = serializers.DictField(child=serializers.IntegerField(), help_text="Model slug → minor units.")
    allocated_minor_units = serializers.IntegerField()
    unallocated_minor_units = serializers.IntegerField()


class ManifestApi(APIView):
    """The sealed manifest, as exactly the bytes whose SHA-256 is published: `sha256sum` of the download is it."""

    extra_error_codes = ("409",)  # not frozen yet, or rows that no longer match the seal
    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "application/json"): ManifestSerializer})
    def get(self, request: Request, label: str) -> HttpResponse:
        quarter = quarter_for(request, label)
        if not quarter.frozen or quarter.manifest is None:
            raise NotFound("The manifest exists once the quarter is frozen.")
        response = HttpResponse(quarter_verification.manifest_file_bytes(quarter), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="manifest-{quarter.label}.json"'
        response["X-Manifest-SHA256"] = quarter.manifest_sha256
        return response


class VerificationApi(APIView):
    """Public: the portal's own check of a frozen quarter (manifest, rule, rows shown, evidence behind it)."""

    extra_error_codes = ("409",)  # not frozen yet, or rows that no longer match the seal
    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        class CheckSerializer(serializers.Serializer):
            name = serializers.CharField()
            title = serializers.CharField()
            ok = serializers.BooleanField()
            detail = serializers.CharField()

        quarter = serializers.CharField(source="label")
        sha256 = serializers.CharField()
        verified = serializers.BooleanField(source="ok")
        checks = CheckSerializer(many=True)

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request: Request, label: str) -> Response:
        quarter = quarter_for(request, label)
        return Response(self.OutputSerializer(quarter_verification.quarter_verify(quarter)).data)


class SignatureSerializer(serializers.Serializer):
    keyid = serializers.CharField()
    sig = serializers.CharField(help_text="Base64 Ed25519 signature over DSSE's PAE(payloadType, payload).")


class EnvelopeSerializer(serializers.Serializer):
    """A DSSE envelope around an in-toto Statement."""

    payload = serializers.CharField(help_text="Base64 of the canonical JSON Statement.")
    payloadType = serializers.CharField()  # DSSE names it so
    signatures = SignatureSerializer(many=True)


class PublicKeySerializer(serializers.Serializer):
    keytype = serializers.CharField()
    scheme = serializers.CharField()
    keyid = serializers.CharField()
    public_key_hex = serializers.CharField()
    public_key_pem = serializers.CharField()
    development = serializers.BooleanField(help_text="True for a key generated for development, not the portal's own.")
    envelope = serializers.CharField()
    payload_type = serializers.CharField()


def _envelope_response(envelope: dict[str, Any], filename: str) -> HttpResponse:
    body = json.dumps(envelope, sort_keys=True, separators=(",", ":"))
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class QuarterAttestationApi(APIView):
    """Public: the frozen quarter's in-toto Statement (subject: its manifest) in a DSSE envelope, Ed25519-signed."""

    extra_error_codes = ("409",)  # not frozen yet, or rows that no longer match the seal
    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "application/json"): EnvelopeSerializer})
    def get(self, request: Request, label: str) -> HttpResponse:
        quarter = quarter_for(request, label)
        if not quarter.frozen:
            raise NotFound("The attestation exists once the quarter is frozen.")
        statement = attestation_statements.quarter_statement(quarter)
        return _envelope_response(attestations.envelope(statement), f"attestation-{quarter.label}.dsse.json")


class CertificationAttestationApi(APIView):
    """Public: a certification's in-toto Statement (subject: the model file) in a DSSE envelope, Ed25519-signed."""

    extra_error_codes = ("409",)  # not frozen yet, or rows that no longer match the seal
    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "application/json"): EnvelopeSerializer})
    def get(self, request: Request, pk: int) -> HttpResponse:
        statement = attestation_statements.certification_statement(pk)
        return _envelope_response(attestations.envelope(statement), f"certification-{pk}.dsse.json")


class AttestationKeyApi(APIView):
    """Public: the portal's Ed25519 public key that signs every attestation."""

    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "application/json"): PublicKeySerializer})
    def get(self, request: Request) -> Response:
        return Response(attestations.public_key_document())


class GitHubSponsorsCsvApi(APIView):
    """The GitHub Sponsors bulk-sponsorship import: payable models only (blocked ones: …/payouts/blocked.csv)."""

    extra_error_codes = ("409",)  # not frozen yet, or rows that no longer match the seal
    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request: Request, label: str) -> HttpResponse:
        quarter = checked_for_export(request, label)
        rows: list[list[Any]] = [
            [payout.github, payout.usd_whole_dollars]
            for payout in payouts.quarter_payouts(quarter, usd=True)
            if not payout.blocked_reason
        ]
        header = ["Maintainer username", "Sponsorship amount in USD"]
        return _csv_response(header, rows, f"github-sponsors-bulk-sponsorship-{quarter.label}.csv")


class OpenCollectiveCsvApi(APIView):
    """An Open Collective-style expense list: one expense per eligible model, blocked ones with their reason."""

    extra_error_codes = ("409",)  # not frozen yet, or rows that no longer match the seal
    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request: Request, label: str) -> HttpResponse:
        quarter = checked_for_export(request, label)
        rows: list[list[Any]] = [
            [
                payout.github or "",
                f"Go3s sponsorship {quarter.label}: {payout.model} {payout.version}",
                payouts.minor_units_text(payout.amount_minor_units, quarter.currency),
                quarter.currency,
                "blocked" if payout.blocked_reason else "ready",
                payout.blocked_reason,
                payout.model,
                payout.owners,
                quarter.manifest_sha256,
            ]
            for payout in payouts.quarter_payouts(quarter, usd=False)
        ]
        header = ["payee", "description", "amount", "currency", "status", "blocked_reason", "model", "owners", "manifest_sha256"]
        return _csv_response(header, rows, f"open-collective-expenses-{quarter.label}.csv")


class BlockedPayoutsCsvApi(APIView):
    """Models that cannot be paid through GitHub Sponsors, each with the reason."""

    extra_error_codes = ("409",)  # not frozen yet, or rows that no longer match the seal
    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request: Request, label: str) -> HttpResponse:
        quarter = checked_for_export(request, label)
        usd = quarter.currency == "USD" or bool((quarter.manifest or {}).get("usd_exchange_rate"))
        rows: list[list[Any]] = [
            [payout.model, payout.version, payout.owners, payout.amount_minor_units, quarter.currency, payout.blocked_reason]
            for payout in payouts.quarter_payouts(quarter, usd=usd)
            if payout.blocked_reason
        ]
        header = ["model", "version", "owners", "amount_minor_units", "currency", "reason"]
        return _csv_response(header, rows, f"payouts-blocked-{quarter.label}.csv")
