"""Registry and health API: models, versions, conflicts, health, evaluations.

Models and their health are public; registering needs a role, a new version needs ownership, health values
come from auditors (community) or portal runs started by stewards (verified).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import actor_of
from accounts.errors import ApplicationError, NotAllowed, NotFound
from accounts.json_input import BoundedJSONParser
from accounts.models import Role
from accounts.pagination import ListPage, page_response
from accounts.selectors import user_has_role
from governance.archive_limits import read_upload
from governance.methodology import DIMENSIONS, THRESHOLDS
from governance.models import CommunityModel, Evaluation, ModelVersion, Reevaluation
from governance.packages import Package, read_package, read_package_zip
from governance.selectors import health as health_selectors
from governance.selectors import registry as selectors
from governance.services import health as health_services
from governance.services import registry as services
from notebooks.selectors import run_get_for_user


class ReadPublicWriteSignedIn(APIView):
    def get_permissions(self) -> list[BasePermission]:
        return [AllowAny()] if self.request.method in ("GET", "HEAD", "OPTIONS") else [IsAuthenticated()]


class VersionSerializer(serializers.ModelSerializer[ModelVersion]):
    created_by = serializers.CharField(source="created_by.username")
    metadata = serializers.DictField(read_only=True, help_text="The package's metadata.json (inputs, outputs, labels).")

    class Meta:
        model = ModelVersion
        fields = [
            "number",
            "version",
            "licence",
            "onnx_sha256",
            "onnx_bytes",
            "opset",
            "eval_samples",
            "metadata",
            "created_by",
            "created_at",
        ]


class ModelSerializer(serializers.ModelSerializer[CommunityModel]):
    version = serializers.CharField(source="current_version.version", allow_null=True, default=None)
    licence = serializers.CharField(source="current_version.licence", allow_null=True, default=None)

    class Meta:
        model = CommunityModel
        fields = ["slug", "name", "summary", "version", "licence", "created_at"]


class ModelDetailSerializer(ModelSerializer):
    owners = serializers.SerializerMethodField()
    model_card = serializers.CharField(source="current_version.model_card", allow_null=True, default=None)
    versions = serializers.SerializerMethodField()

    class Meta(ModelSerializer.Meta):
        fields = [*ModelSerializer.Meta.fields, "owners", "model_card", "versions"]

    def get_owners(self, model: CommunityModel) -> list[str]:
        return sorted(owner.username for owner in model.owners.all())

    @extend_schema_field(VersionSerializer(many=True))
    def get_versions(self, model: CommunityModel) -> Any:
        return VersionSerializer(selectors.model_versions(model), many=True).data


class PackageInput(serializers.Serializer):
    """An evaluation package: one `package` zip, or the three files `onnx_file`, `eval_file` and `metadata` (JSON)."""

    version = serializers.CharField(max_length=40)
    licence = serializers.CharField(max_length=60)
    model_card = serializers.CharField(required=False, allow_blank=True, default="", max_length=200_000)
    package = serializers.FileField(required=False)
    onnx_file = serializers.FileField(required=False)
    eval_file = serializers.FileField(required=False)
    metadata = serializers.CharField(required=False, max_length=1_000_000)


def package_from(values: dict[str, Any]) -> Package:
    if values.get("package") is not None:
        if any(values.get(name) is not None for name in ("onnx_file", "eval_file", "metadata")):
            raise ApplicationError("Send either one package zip or the three files.", fields={"package": ["Not both."]})
        limit = settings.GOVERNANCE_ONNX_MAX_BYTES + settings.GOVERNANCE_EVAL_MAX_BYTES
        return read_package_zip(read_upload(values["package"], "package", limit))
    missing = [name for name in ("onnx_file", "eval_file", "metadata") if values.get(name) is None]
    if missing:
        raise ApplicationError(
            "The evaluation package is incomplete.", fields={name: ["Required (or send one package zip)."] for name in missing}
        )
    return read_package(
        onnx_bytes=read_upload(values["onnx_file"], "onnx_file", settings.GOVERNANCE_ONNX_MAX_BYTES),
        eval_bytes=read_upload(values["eval_file"], "eval_file", settings.GOVERNANCE_EVAL_MAX_BYTES),
        metadata=values["metadata"],
    )


class ModelListApi(ReadPublicWriteSignedIn):
    parser_classes = [MultiPartParser]
    pagination_class = ListPage

    class InputSerializer(PackageInput):
        slug = serializers.CharField(max_length=80)
        name = serializers.CharField(max_length=200)
        summary = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=False, description="Search in slugs and names.")],
        responses={200: ModelSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        models = selectors.model_list(search=request.query_params.get("q", "")[:80])
        return page_response(request, models, lambda page: ModelSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: ModelDetailSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        model = services.model_create(
            actor=actor_of(request),
            slug=values["slug"],
            name=values["name"],
            summary=values["summary"],
            version=values["version"],
            licence=values["licence"],
            model_card=values["model_card"],
            package=package_from(values),
        )
        return Response(ModelDetailSerializer(selectors.model_get(model.slug)).data, status=status.HTTP_201_CREATED)


class ModelDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: ModelDetailSerializer})
    def get(self, request: Request, slug: str) -> Response:
        return Response(ModelDetailSerializer(selectors.model_get(slug)).data)


class ModelVersionCreateApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    @extend_schema(request=PackageInput, responses={201: VersionSerializer})
    def post(self, request: Request, slug: str) -> Response:
        model = selectors.model_get(slug)
        services.require_owner(actor=actor_of(request), model=model, action="model.version_create")
        data = PackageInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        version = services.model_version_create(
            actor=actor_of(request),
            model=model,
            version=values["version"],
            licence=values["licence"],
            model_card=values["model_card"],
            package=package_from(values),
        )
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


class ConflictApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=500)

    class OutputSerializer(serializers.Serializer):
        model = serializers.CharField(source="model.slug")
        reason = serializers.CharField()
        created_at = serializers.DateTimeField()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request, slug: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conflict = services.conflict_declare(
            actor=actor_of(request), model=selectors.model_get(slug), reason=data.validated_data["reason"]
        )
        return Response(self.OutputSerializer(conflict).data, status=status.HTTP_201_CREATED)


# --- health ---------------------------------------------------------------------------------------


class EvaluationSerializer(serializers.ModelSerializer[Evaluation]):
    version = serializers.CharField(source="version.version")
    submitted_by = serializers.CharField(source="submitted_by.username", allow_null=True, default=None)
    reviewed_by = serializers.CharField(source="reviewed_by.username", allow_null=True, default=None)
    passes = serializers.SerializerMethodField()
    methodology_url = serializers.SerializerMethodField()

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "version",
            "dimension",
            "value",
            "unit",
            "passes",
            "provenance",
            "status",
            "methodology_version",
            "methodology_url",
            "run",
            "evidence_note",
            "backend",
            "region",
            "carbon_intensity_g_per_kwh",
            "estimated",
            "submitted_by",
            "reviewed_by",
            "measured_at",
            "counted_at",
        ]

    def get_passes(self, evaluation: Evaluation) -> bool:
        return THRESHOLDS[evaluation.dimension].passes(evaluation.value)

    def get_methodology_url(self, evaluation: Evaluation) -> str:
        return reverse("methodology", args=[evaluation.methodology_version])


class DimensionHealthSerializer(serializers.Serializer):
    dimension = serializers.CharField()
    threshold = serializers.CharField()
    unit = serializers.CharField()
    value = serializers.DecimalField(max_digits=14, decimal_places=6, allow_null=True)
    passes = serializers.BooleanField(allow_null=True)
    estimated = serializers.BooleanField()
    evaluation = serializers.IntegerField(allow_null=True)


class CertificationSerializer(serializers.Serializer):
    status = serializers.CharField()
    certified = serializers.BooleanField()
    valid_from = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    end_reason = serializers.CharField()
    methodology_version = serializers.CharField()
    evaluation_ids = serializers.ListField(child=serializers.IntegerField())


class HealthSerializer(serializers.Serializer):
    model = serializers.CharField()
    version = serializers.CharField(allow_null=True)
    methodology_version = serializers.CharField()
    methodology_url = serializers.CharField()
    certified = serializers.BooleanField()
    certified_until = serializers.DateTimeField(allow_null=True)
    suspended = serializers.BooleanField()
    dimensions = DimensionHealthSerializer(many=True)
    certifications = CertificationSerializer(many=True)


class ModelHealthApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: HealthSerializer})
    def get(self, request: Request, slug: str) -> Response:
        return Response(HealthSerializer(health_selectors.model_health_summary(slug)).data)


class ModelEvaluationsApi(ReadPublicWriteSignedIn):
    parser_classes = [BoundedJSONParser, MultiPartParser]
    pagination_class = ListPage

    class InputSerializer(serializers.Serializer):
        dimension = serializers.ChoiceField(choices=[d.value for d in DIMENSIONS])
        value = serializers.DecimalField(max_digits=14, decimal_places=6)
        evidence_note = serializers.CharField(required=False, allow_blank=True, default="", max_length=20_000)
        evidence_file = serializers.FileField(required=False)
        run = serializers.IntegerField(required=False, min_value=1)
        backend = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
        region = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
        carbon_intensity_g_per_kwh = serializers.DecimalField(max_digits=10, decimal_places=3, required=False, allow_null=True)

    @extend_schema(responses={200: EvaluationSerializer(many=True)})
    def get(self, request: Request, slug: str) -> Response:
        model = selectors.model_get(slug)
        evaluations = (
            Evaluation.objects.none()
            if model.current_version is None
            else health_selectors.version_evaluations(model.current_version)
        )
        return page_response(request, evaluations, lambda page: EvaluationSerializer(page, many=True).data)

    # One declared body (generators build one request type per operation): multipart, as it may carry a file.
    # A JSON body without the file is accepted as well.
    @extend_schema(request={"multipart/form-data": InputSerializer}, responses={201: EvaluationSerializer})
    def post(self, request: Request, slug: str) -> Response:
        model = selectors.model_get(slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        actor = actor_of(request)
        run = run_get_for_user(actor, values.pop("run")) if values.get("run") else None
        values.pop("run", None)
        evaluation = health_services.evaluation_submit(actor=actor, model=model, run=run, **values)
        return Response(EvaluationSerializer(evaluation).data, status=status.HTTP_201_CREATED)


class EvaluationReviewApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        decision = serializers.ChoiceField(choices=["accept", "reject"])
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    @extend_schema(request=InputSerializer, responses={200: EvaluationSerializer})
    def post(self, request: Request, pk: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        evaluation = (
            Evaluation.objects.select_related("version__model").filter(pk=pk, provenance=Evaluation.Provenance.COMMUNITY).first()
        )
        if evaluation is None:
            raise NotFound("No such community value.")
        evaluation = health_services.evaluation_review(
            actor=actor_of(request),
            evaluation=evaluation,
            accept=data.validated_data["decision"] == "accept",
            note=data.validated_data["note"],
        )
        return Response(EvaluationSerializer(evaluation).data)


class EvaluationRunsApi(APIView):
    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        dimension = serializers.CharField()
        run = serializers.IntegerField(source="run_id")
        run_url = serializers.SerializerMethodField()

        def get_run_url(self, item: Any) -> str:
            return reverse("api-run", args=[item.run_id])

    @extend_schema(request=None, responses={201: OutputSerializer(many=True)})
    def post(self, request: Request, slug: str) -> Response:
        model = selectors.model_get(slug)
        if model.current_version is None:
            raise NotFound("This model has no version.")
        started = health_services.evaluations_start(actor=actor_of(request), version=model.current_version)
        return Response(self.OutputSerializer(started, many=True).data, status=status.HTTP_201_CREATED)


class ReevaluationProgressApi(APIView):
    """Progress of a steward's re-evaluation (runs by state, per model and dimension); the page polls it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        actor = actor_of(request)
        if not user_has_role(actor, Role.STEWARD, Role.ADMINISTRATOR):
            raise NotAllowed("Re-evaluations are for stewards.")
        batch = Reevaluation.objects.filter(pk=pk).first()
        if batch is None:
            raise NotFound("No such re-evaluation.")
        return Response(health_selectors.reevaluation_progress(batch))
