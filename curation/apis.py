"""Curation API: datasets, imports, agreement, arbitration, PII scans and flags, release.

Who may do what: anyone may read released datasets (list, detail, agreement); drafts and blocked versions,
the arbitration queue, rulings, scans, flags and the deny-list are for curators and administrators, who
also do every write. A curator-only endpoint answers 401 to the anonymous and 403 to other roles before
looking anything up, so it confirms nothing about which datasets exist.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import actor_of
from accounts.errors import ApplicationError, TooLarge
from accounts.json_input import BoundedJSONParser
from accounts.models import Role
from accounts.pagination import ListPage, page_response
from accounts.permissions import HasRole
from accounts.user_markdown import render_user_markdown
from curation import selectors, services
from curation.models import Dataset, PiiFlag, PiiScan

IsCurator = HasRole.of(Role.CURATOR, Role.ADMINISTRATOR)


class PublicReadCuratorWrite(APIView):
    """GET for anyone (visibility is the selector's job); every other method for curators only."""

    def get_permissions(self) -> list[BasePermission]:
        return [AllowAny()] if self.request.method in ("GET", "HEAD", "OPTIONS") else [IsCurator()]


def _version(request: Request) -> int | None:
    raw = request.query_params.get("version")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApplicationError("The version is a number.", fields={"version": ["Must be an integer."]}) from None


class DatasetSerializer(serializers.ModelSerializer[Dataset]):
    owner = serializers.CharField(source="owner.username")
    description_html = serializers.SerializerMethodField()

    class Meta:
        model = Dataset
        fields = ["slug", "version", "state", "state_reason", "owner", "licence", "description", "description_html",
                  "released_at", "created_at"]  # fmt: skip

    def get_description_html(self, dataset: Dataset) -> str:
        return render_user_markdown(dataset.description)


class DatasetListSerializer(DatasetSerializer):
    item_count = serializers.IntegerField()
    undecided_count = serializers.IntegerField()

    class Meta(DatasetSerializer.Meta):
        fields = ["slug", "version", "state", "owner", "licence", "item_count", "undecided_count", "released_at", "created_at"]


class DatasetVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    state = serializers.ChoiceField(choices=Dataset.State.choices)
    created_at = serializers.DateTimeField()


class DatasetDetailSerializer(DatasetSerializer):
    versions = serializers.SerializerMethodField()

    class Meta(DatasetSerializer.Meta):
        fields = [*DatasetSerializer.Meta.fields, "versions"]

    @extend_schema_field(DatasetVersionSerializer(many=True))
    def get_versions(self, dataset: Dataset) -> list[dict[str, Any]]:
        user = self.context["user"]
        return [
            {"version": row.version, "state": row.state, "created_at": row.created_at.isoformat()}
            for row in selectors.dataset_versions_for_user(user, dataset)
        ]


class DatasetListApi(PublicReadCuratorWrite):
    pagination_class = ListPage

    class InputSerializer(serializers.Serializer):
        slug = serializers.SlugField(max_length=100)
        licence = serializers.CharField(max_length=60)
        description = serializers.CharField(required=False, allow_blank=True, default="", max_length=20_000)

    @extend_schema(responses={200: DatasetListSerializer(many=True)})
    def get(self, request: Request) -> Response:
        datasets = selectors.dataset_list_for_user(request.user)
        return page_response(request, datasets, lambda page: DatasetListSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: DatasetSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dataset = services.dataset_create(actor=actor_of(request), **data.validated_data)
        return Response(DatasetSerializer(dataset).data, status=status.HTTP_201_CREATED)


class DatasetDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(parameters=[OpenApiParameter("version", int, required=False)], responses={200: DatasetDetailSerializer})
    def get(self, request: Request, slug: str) -> Response:
        dataset = selectors.dataset_get_for_user(request.user, slug, _version(request))
        return Response(DatasetDetailSerializer(dataset, context={"user": request.user}).data)


class DatasetVersionApi(APIView):
    """A new version of the dataset: a new, empty draft; the earlier versions stay (its history)."""

    permission_classes = [IsCurator]

    class InputSerializer(serializers.Serializer):
        licence = serializers.CharField(max_length=60, required=False)
        description = serializers.CharField(required=False, allow_blank=True, max_length=20_000)

    @extend_schema(request=InputSerializer, responses={201: DatasetSerializer})
    def post(self, request: Request, slug: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dataset = selectors.dataset_get_for_user(request.user, slug)
        version = services.dataset_version_create(actor=actor_of(request), dataset=dataset, **data.validated_data)
        return Response(DatasetSerializer(version).data, status=status.HTTP_201_CREATED)


def read_upload(request: Request) -> tuple[bytes, str, str]:
    """(bytes, file name, declared format) from a multipart `file` or a raw CSV / JSON Lines body; 413 if too big."""
    limit = settings.CURATION_UPLOAD_MAX_BYTES
    if int(request.META.get("CONTENT_LENGTH") or 0) > limit + 64 * 1024:
        raise TooLarge(f"An upload may be at most {limit // 1024} KB.")
    declared = str(request.query_params.get("format", ""))
    if request.content_type.startswith("multipart/"):
        upload = request.FILES.get("file")
        if upload is None:
            raise ApplicationError("Attach the file as `file`.", fields={"file": ["This field is required."]})
        raw = upload.read(limit + 1)
        name = upload.name or ""
        declared = str(request.data.get("format", "") or declared)
    else:
        raw = request.body
        name = {"text/csv": "upload.csv", "application/x-ndjson": "upload.jsonl", "application/jsonl": "upload.jsonl"}.get(
            request.content_type.split(";")[0].strip(), ""
        )
    if len(raw) > limit:
        raise TooLarge(f"An upload may be at most {limit // 1024} KB.")
    return raw, name, declared


class DatasetImportApi(APIView):
    """Adds items and annotations from CSV or JSON Lines to a draft; all or nothing.

    Declared as a multipart upload (one body type per operation, for generated clients); a raw `text/csv` or
    `application/x-ndjson` body is accepted as well."""

    permission_classes = [IsCurator]
    parser_classes = [MultiPartParser, BoundedJSONParser]

    class OutputSerializer(serializers.Serializer):
        items = serializers.IntegerField()
        annotations = serializers.IntegerField()

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "format": {"type": "string", "enum": ["csv", "jsonl"]},
                },
                "required": ["file"],
            },
        },
        responses={201: OutputSerializer},
    )
    def post(self, request: Request, slug: str) -> Response:
        raw, name, declared = read_upload(request)
        dataset = selectors.dataset_get_for_user(request.user, slug)
        counts = services.dataset_import(actor=actor_of(request), dataset=dataset, raw=raw, filename=name, fmt=declared)
        return Response(self.OutputSerializer(counts).data, status=status.HTTP_201_CREATED)


class LabelAgreementSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]
    kappa = serializers.FloatField(allow_null=True)
    unanimous_percent = serializers.FloatField(allow_null=True)
    uses = serializers.IntegerField()


class AgreementSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=["cohen", "fleiss", "none"])
    items = serializers.IntegerField()
    annotators = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True, help_text="Share of agreeing annotator pairs, 0–1.")
    kappa = serializers.FloatField(allow_null=True)
    per_label = LabelAgreementSerializer(many=True)


class DatasetAgreementApi(APIView):
    """Agreement before rulings and after them (a ruled item counts as agreed on its ruled label)."""

    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        before = AgreementSerializer()
        after = AgreementSerializer()

    @extend_schema(parameters=[OpenApiParameter("version", int, required=False)], responses={200: OutputSerializer})
    def get(self, request: Request, slug: str) -> Response:
        dataset = selectors.dataset_get_for_user(request.user, slug, _version(request))
        return Response(self.OutputSerializer(selectors.dataset_agreement(dataset)).data)


class AnnotationSerializer(serializers.Serializer):
    annotator = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]


class ArbitrationItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    text = serializers.CharField()
    annotations = AnnotationSerializer(many=True, source="annotations.all")


class ArbitrationApi(APIView):
    """Items of the dataset without a majority label and without a ruling."""

    permission_classes = [IsCurator]
    pagination_class = ListPage

    @extend_schema(responses={200: ArbitrationItemSerializer(many=True)})
    def get(self, request: Request, slug: str) -> Response:
        dataset = selectors.dataset_get_for_user(request.user, slug)
        items = selectors.arbitration_queue(dataset)
        return page_response(request, items, lambda page: ArbitrationItemSerializer(page, many=True).data)


class RulingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item = serializers.IntegerField(source="item_id")
    item_key = serializers.CharField(source="item.key")
    label = serializers.CharField()  # type: ignore[assignment]
    reason = serializers.CharField()
    curator = serializers.CharField(source="curator.username")
    created_at = serializers.DateTimeField()


class RulingListApi(APIView):
    permission_classes = [IsCurator]
    pagination_class = ListPage

    class InputSerializer(serializers.Serializer):
        item = serializers.IntegerField()
        label = serializers.CharField(max_length=100)  # type: ignore[assignment]
        reason = serializers.CharField(max_length=5000)

    @extend_schema(responses={200: RulingSerializer(many=True)})
    def get(self, request: Request, slug: str) -> Response:
        dataset = selectors.dataset_get_for_user(request.user, slug)
        return page_response(request, selectors.ruling_list(dataset), lambda page: RulingSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: RulingSerializer})
    def post(self, request: Request, slug: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dataset = selectors.dataset_get_for_user(request.user, slug)
        item = selectors.item_get(dataset, data.validated_data["item"])
        ruling = services.ruling_create(
            actor=actor_of(request), item=item, label=data.validated_data["label"], reason=data.validated_data["reason"]
        )
        return Response(RulingSerializer(ruling).data, status=status.HTTP_201_CREATED)


class PiiScanSerializer(serializers.ModelSerializer[PiiScan]):
    progress_percent = serializers.IntegerField()

    class Meta:
        model = PiiScan
        fields = ["id", "status", "items_total", "items_done", "progress_percent", "flags_found", "error", "created_at",
                  "started_at", "finished_at"]  # fmt: skip


class PiiScanListApi(APIView):
    permission_classes = [IsCurator]
    pagination_class = ListPage

    @extend_schema(responses={200: PiiScanSerializer(many=True)})
    def get(self, request: Request, slug: str) -> Response:
        dataset = selectors.dataset_get_for_user(request.user, slug)
        return page_response(request, selectors.pii_scan_list(dataset), lambda page: PiiScanSerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: PiiScanSerializer})
    def post(self, request: Request, slug: str) -> Response:
        dataset = selectors.dataset_get_for_user(request.user, slug)
        scan = services.pii_scan_start(actor=actor_of(request), dataset=dataset)
        scan.refresh_from_db()
        return Response(PiiScanSerializer(scan).data, status=status.HTTP_202_ACCEPTED)


class PiiScanDetailApi(APIView):
    permission_classes = [IsCurator]

    @extend_schema(responses={200: PiiScanSerializer})
    def get(self, request: Request, slug: str, pk: int) -> Response:
        dataset = selectors.dataset_get_for_user(request.user, slug)
        return Response(PiiScanSerializer(selectors.pii_scan_get(dataset, pk)).data)


class PiiFlagSerializer(serializers.ModelSerializer[PiiFlag]):
    item_key = serializers.CharField(source="item.key")
    reviewed_by = serializers.CharField(source="reviewed_by.username", allow_null=True, default=None)

    class Meta:
        model = PiiFlag
        fields = ["id", "item", "item_key", "start", "end", "kind", "text", "status", "resolution", "reviewed_by", "reviewed_at"]


class PiiFlagListApi(APIView):
    permission_classes = [IsCurator]
    pagination_class = ListPage

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=PiiFlag.Status.values, required=False)],
        responses={200: PiiFlagSerializer(many=True)},
    )
    def get(self, request: Request, slug: str) -> Response:
        wanted = request.query_params.get("status", "")
        if wanted and wanted not in PiiFlag.Status.values:
            raise ApplicationError("Unknown status.", fields={"status": [f"One of: {', '.join(PiiFlag.Status.values)}."]})
        dataset = selectors.dataset_get_for_user(request.user, slug)
        flags = selectors.pii_flag_list(dataset, status=wanted)
        return page_response(request, flags, lambda page: PiiFlagSerializer(page, many=True).data)


class PiiFlagDetailApi(APIView):
    """GET a flag; POST `{"verdict": "true_positive" | "false_positive"}` to review it."""

    permission_classes = [IsCurator]

    class InputSerializer(serializers.Serializer):
        verdict = serializers.ChoiceField(choices=list(services.VERDICTS))

    @extend_schema(responses={200: PiiFlagSerializer})
    def get(self, request: Request, slug: str, pk: int) -> Response:
        dataset = selectors.dataset_get_for_user(request.user, slug)
        return Response(PiiFlagSerializer(selectors.pii_flag_get(dataset, pk)).data)

    @extend_schema(request=InputSerializer, responses={200: PiiFlagSerializer})
    def post(self, request: Request, slug: str, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        flag = selectors.pii_flag_get(selectors.dataset_get_for_user(request.user, slug), pk)
        flag = services.pii_flag_review(actor=actor_of(request), flag=flag, verdict=data.validated_data["verdict"])
        return Response(PiiFlagSerializer(flag).data)


class PiiFlagResolveApi(APIView):
    """Resolves a true positive: `{"action": "redact"}` masks the span, `{"action": "remove"}` removes the item."""

    permission_classes = [IsCurator]

    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=list(services.RESOLUTIONS))

    @extend_schema(request=InputSerializer, responses={200: PiiFlagSerializer})
    def post(self, request: Request, slug: str, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        flag = selectors.pii_flag_get(selectors.dataset_get_for_user(request.user, slug), pk)
        flag = services.pii_flag_resolve(actor=actor_of(request), flag=flag, action=data.validated_data["action"])
        return Response(PiiFlagSerializer(flag).data)


class DatasetReleaseApi(APIView):
    """Releases the latest draft; 409 with the reason while personal data or arbitration is open."""

    permission_classes = [IsCurator]

    @extend_schema(request=None, responses={200: DatasetSerializer})
    def post(self, request: Request, slug: str) -> Response:
        dataset = services.dataset_release(actor=actor_of(request), dataset=selectors.dataset_get_for_user(request.user, slug))
        return Response(DatasetSerializer(dataset).data)


class DatasetBlockApi(APIView):
    permission_classes = [IsCurator]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=5000)

    @extend_schema(request=InputSerializer, responses={200: DatasetSerializer})
    def post(self, request: Request, slug: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dataset = selectors.dataset_get_for_user(request.user, slug)
        dataset = services.dataset_block(actor=actor_of(request), dataset=dataset, reason=data.validated_data["reason"])
        return Response(DatasetSerializer(dataset).data)


class PiiTermSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    term = serializers.CharField()
    added_by = serializers.CharField(source="added_by.username")
    created_at = serializers.DateTimeField()


class PiiTermListApi(APIView):
    """The curators' deny-list of medical terms."""

    permission_classes = [IsCurator]
    pagination_class = ListPage

    class InputSerializer(serializers.Serializer):
        term = serializers.CharField(max_length=100)

    @extend_schema(responses={200: PiiTermSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return page_response(request, selectors.pii_term_list(), lambda page: PiiTermSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: PiiTermSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        term = services.pii_term_add(actor=actor_of(request), term=data.validated_data["term"])
        return Response(PiiTermSerializer(term).data, status=status.HTTP_201_CREATED)


class PiiTermDetailApi(APIView):
    permission_classes = [IsCurator]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.pii_term_remove(actor=actor_of(request), term=selectors.pii_term_get(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
