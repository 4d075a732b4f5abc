"""Registering models: a real ONNX graph, shapes that match the metadata, size limits; bad packages store nothing."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import AuditLogEntry, Role
from governance.models import CommunityModel, ModelVersion
from governance.packages import read_package
from tests.conftest import assert_error
from tests.governance.factories import npz, package_files, register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _upload(api, user, *, slug="digits", **overrides):
    files = package_files()
    data = {
        "slug": slug,
        "name": "Digits",
        "version": "1.0.0",
        "licence": "Apache-2.0",
        "model_card": "# Card",
        "onnx_file": SimpleUploadedFile("model.onnx", files["model.onnx"]),
        "eval_file": SimpleUploadedFile("eval.npz", files["eval.npz"]),
        "metadata": files["metadata.json"].decode(),
    }
    data.update(overrides)
    return api(user).post("/api/v1/models/", data, format="multipart")


def _stored_files(media):
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def test_a_valid_package_registers_the_model_with_its_first_version(api, make_user, media):
    owner = make_user(Role.CURATOR)

    response = _upload(api, owner)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "digits" and body["version"] == "1.0.0" and body["owners"] == [owner.username]
    version = ModelVersion.objects.get()
    assert version.opset == 17 and version.eval_samples == 400 and len(version.onnx_sha256) == 64
    assert version.metadata["input_shape"] == [64]
    assert AuditLogEntry.objects.filter(action="model.create").exists()
    assert api(None).get("/api/v1/models/digits/").json()["versions"][0]["eval_samples"] == 400


def test_a_package_can_be_one_zip(api, make_user):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in package_files().items():
            archive.writestr(name, data)
    data = {
        "slug": "zipped",
        "name": "Z",
        "version": "1",
        "licence": "MIT",
        "package": SimpleUploadedFile("p.zip", buffer.getvalue()),
    }

    response = api(make_user(Role.AUDITOR)).post("/api/v1/models/", data, format="multipart")

    assert response.status_code == 201, response.json()


BAD_ONNX = {
    "random bytes": b"\x00\x01 this is not protobuf \xff" * 20,
    "a pickle": b"\x80\x04\x95\x1a\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x02id\x94\x85\x94R\x94.",
    "truncated": None,  # filled below: the real file cut in half
}


@pytest.mark.parametrize("case", sorted(BAD_ONNX))
def test_malformed_onnx_is_a_400_and_nothing_is_stored(api, make_user, media, case):
    real = package_files()["model.onnx"]
    data = BAD_ONNX[case] if BAD_ONNX[case] is not None else real[: len(real) // 2]

    response = _upload(api, make_user(Role.CURATOR), onnx_file=SimpleUploadedFile("model.onnx", data))

    error = assert_error(response, 400, "invalid_package")
    assert "onnx_file" in error["fields"]
    assert CommunityModel.objects.count() == 0 and _stored_files(media) == []


@pytest.mark.parametrize(
    ("metadata_change", "field"),
    [
        ({"input_shape": [65]}, "onnx_file"),
        ({"input_shape": [8, 8]}, "onnx_file"),
        ({"class_names": ["a", "b", "c"]}, "onnx_file"),
        ({"input_shape": "64"}, "metadata"),
        ({"value_range": [1.0, 0.0]}, "metadata"),
        ({"class_names": ["same", "same"]}, "metadata"),
    ],
)
def test_metadata_that_does_not_match_the_graph_is_a_400(api, make_user, media, metadata_change, field):
    metadata = {**json.loads(package_files()["metadata.json"]), **metadata_change}
    metadata.pop("feature_names")

    response = _upload(api, make_user(Role.CURATOR), metadata=json.dumps(metadata))

    error = assert_error(response, 400)
    assert field in error["fields"], error
    assert CommunityModel.objects.count() == 0 and _stored_files(media) == []


def _eval(x, y):
    return SimpleUploadedFile("eval.npz", npz(x=x, y=y))


@pytest.mark.parametrize(
    ("eval_file", "reason"),
    [
        (lambda: _eval(np.zeros((5, 63), np.float32), np.zeros(5, np.int64)), "shape"),
        (lambda: _eval(np.zeros((5, 64), np.float64), np.zeros(5, np.int64)), "float32"),
        (lambda: _eval(np.full((5, 64), 2.0, np.float32), np.zeros(5, np.int64)), "value_range"),
        (lambda: _eval(np.zeros((5, 64), np.float32), np.full(5, 10, np.int64)), "class_names"),
        (lambda: _eval(np.zeros((5, 64), np.float32), np.zeros(4, np.int64)), "one per sample"),
        (
            lambda: SimpleUploadedFile("eval.npz", npz(x=np.array([{"a": 1}], dtype=object), y=np.zeros(1, np.int64))),
            "plain arrays",
        ),
        (lambda: SimpleUploadedFile("eval.npz", b"PK\x03\x04 broken zip"), "plain arrays"),
    ],
)
def test_a_bad_evaluation_set_is_a_400_and_is_never_unpickled(api, make_user, media, eval_file, reason):
    response = _upload(api, make_user(Role.CURATOR), eval_file=eval_file())

    error = assert_error(response, 400)
    assert reason in error["fields"]["eval_file"][0]
    assert CommunityModel.objects.count() == 0 and _stored_files(media) == []


def test_an_oversized_onnx_file_is_a_413(api, make_user, media, settings):
    settings.GOVERNANCE_ONNX_MAX_BYTES = 10_000

    response = _upload(api, make_user(Role.CURATOR))

    assert_error(response, 413, "too_large")
    assert CommunityModel.objects.count() == 0 and _stored_files(media) == []


def test_registering_needs_a_role_and_valid_fields(api, make_user):
    assert _upload(api, make_user()).status_code == 403
    assert_error(_upload(api, make_user(Role.STUDENT), slug="Bad Slug!"), 400)
    assert _upload(api, None).status_code == 401
    assert CommunityModel.objects.count() == 0


def test_a_new_version_is_a_new_record_and_only_owners_add_one(api, make_user):
    owner, other = make_user(Role.CURATOR), make_user(Role.CURATOR)
    model = register(owner)
    files = package_files()

    def post(user, version):
        data = {
            "version": version,
            "licence": "Apache-2.0",
            "onnx_file": SimpleUploadedFile("m.onnx", files["model.onnx"]),
            "eval_file": SimpleUploadedFile("e.npz", files["eval.npz"]),
            "metadata": files["metadata.json"].decode(),
        }
        return api(user).post(f"/api/v1/models/{model.slug}/versions/", data, format="multipart")

    assert post(other, "2.0.0").status_code == 403
    assert post(owner, "2.0.0").status_code == 201
    assert_error(post(owner, "2.0.0"), 409, "version_exists")
    model.refresh_from_db()
    assert [v.version for v in model.versions.order_by("number")] == ["1.0.0", "2.0.0"]
    assert model.current_version.version == "2.0.0"
    assert AuditLogEntry.objects.filter(action="model.version_create.denied", actor=other).exists()


def test_model_pages_render_the_card_safely(client, make_user):
    owner = make_user(Role.CURATOR)
    model = register(owner)
    model.current_version.model_card = "# Card\n<script>alert(1)</script>\n[x](javascript:alert(1))"
    model.current_version.save()

    html = client.get(f"/models/{model.slug}/").content.decode()

    assert "<h1>Card</h1>" in html and "<script>alert(1)" not in html and "javascript:alert" not in html
    assert client.get("/models/").status_code == 200
    assert client.get("/models/nope/").status_code == 404


def _zip_with(members: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_a_decompression_bomb_is_a_413_naming_the_ratio_and_nothing_is_stored(api, make_user, media):
    # given an eval.npz of zeros: 64 MiB once inflated, a few dozen KB on the wire
    bomb = _zip_with({"x.npy": _npy(np.zeros((262_144, 64), np.float32)), "y.npy": _npy(np.zeros(262_144, np.int64))})
    assert len(bomb) < 300_000

    response = _upload(api, make_user(Role.CURATOR), eval_file=SimpleUploadedFile("eval.npz", bomb))

    error = assert_error(response, 413, "too_large")
    assert "the limit is 100:1" in error["fields"]["eval_file"][0]
    assert CommunityModel.objects.count() == 0 and _stored_files(media) == []


def test_an_eval_set_unpacking_past_the_cap_is_a_413_naming_it(api, make_user, media, settings):
    settings.GOVERNANCE_EVAL_MAX_UNPACKED_BYTES = 50_000
    stored = _zip_with(
        {"x.npy": _npy(np.zeros((400, 64), np.float32)), "y.npy": _npy(np.zeros(400, np.int64))}, compression=zipfile.ZIP_STORED
    )

    response = _upload(api, make_user(Role.CURATOR), eval_file=SimpleUploadedFile("eval.npz", stored))

    error = assert_error(response, 413, "too_large")
    assert "the limit is 50,000" in error["fields"]["eval_file"][0]


def test_more_samples_than_the_methodology_accepts_is_a_413(api, make_user, media, settings):
    settings.GOVERNANCE_EVAL_MAX_SAMPLES = 100

    response = _upload(api, make_user(Role.CURATOR))  # the valid package holds 400 samples

    error = assert_error(response, 413, "too_large")
    assert "at most 100" in error["fields"]["eval_file"][0]


def test_an_npz_with_extra_members_is_refused_before_reading(api, make_user, media):
    three = _zip_with({"x.npy": _npy(np.zeros((5, 64), np.float32)), "y.npy": _npy(np.zeros(5, np.int64)), "z.npy": b"x"})

    error = assert_error(_upload(api, make_user(Role.CURATOR), eval_file=SimpleUploadedFile("eval.npz", three)), 413)
    assert "at most 2" in error["fields"]["eval_file"][0]


def test_an_npy_header_that_lies_about_its_shape_is_a_400(api, make_user, media):
    # given an x.npy whose header claims 900,000 samples but whose data holds five (same header length)
    honest = _npy(np.zeros((5, 64), np.float32))
    end = honest.index(b"\n") + 1
    claimed = honest[:end].replace(b"(5, 64), }", b"(900000, 64), }").replace(b" " * 5 + b"\n", b"\n")
    lying = claimed + honest[end:]
    assert len(lying) == len(honest)
    npz_file = _zip_with({"x.npy": lying, "y.npy": _npy(np.zeros(5, np.int64))})

    error = assert_error(_upload(api, make_user(Role.CURATOR), eval_file=SimpleUploadedFile("eval.npz", npz_file)), 400)
    assert "declares [900000, 64]" in error["fields"]["eval_file"][0]


def test_a_zip_package_holding_a_bomb_is_a_413(api, make_user, media):
    files = package_files()
    bomb = _zip_with({"x.npy": _npy(np.zeros((262_144, 64), np.float32)), "y.npy": _npy(np.zeros(262_144, np.int64))})
    package = _zip_with({"model.onnx": files["model.onnx"], "metadata.json": files["metadata.json"], "eval.npz": bomb})
    data = {"slug": "zipped", "name": "Z", "version": "1", "licence": "MIT", "package": SimpleUploadedFile("p.zip", package)}

    response = api(make_user(Role.AUDITOR)).post("/api/v1/models/", data, format="multipart")

    assert_error(response, 413, "too_large")
    assert CommunityModel.objects.count() == 0


def test_an_upload_over_its_limit_is_refused_from_its_size_before_it_is_read(settings):
    from governance.archive_limits import read_upload

    class Unreadable(SimpleUploadedFile):
        def read(self, *args, **kwargs):
            raise AssertionError("read before the size check")

    with pytest.raises(Exception, match="the limit is 10") as caught:
        read_upload(Unreadable("big.bin", b"x" * 11), "eval_file", 10)
    assert caught.value.status == 413


def test_a_package_whose_check_outgrows_the_checkers_memory_is_a_413_and_nothing_is_stored(api, make_user, media, settings):
    """The parse runs in a child with its own memory limit: past it, the upload is refused, not the web process."""
    settings.GOVERNANCE_PACKAGE_CHECK_MEMORY_MB = 64  # too little even to import the checker
    response = _upload(api, make_user(Role.CURATOR))

    assert response.status_code == 413, response.content
    error = response.json()["error"]
    assert error["code"] == "package_check_limit" and "64 MiB" in error["message"]
    assert not ModelVersion.objects.exists()


def test_the_checker_child_returns_the_same_facts_as_an_in_process_check():
    from governance.package_check import check_in_child
    from governance.packages import read_metadata

    files = package_files()
    metadata = read_metadata(files["metadata.json"])
    in_process = read_package(onnx_bytes=files["model.onnx"], eval_bytes=files["eval.npz"], metadata=metadata, isolated=False)

    assert check_in_child(files["model.onnx"], files["eval.npz"], metadata) == (
        in_process.onnx_sha256,
        in_process.opset,
        in_process.eval_samples,
    )
