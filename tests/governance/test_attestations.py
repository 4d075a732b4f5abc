"""Signed attestations (issue #15 item 5): signed with `cryptography`, verified here with PyNaCl (libsodium) from the
published public key, following the DSSE protocol by hand; a tampered payload or a wrong signature fails."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from accounts.models import Role
from governance import attestations
from governance.services.sponsorship import quarter_compute, quarter_freeze, quarter_open
from tests.governance.factories import certify, register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def key(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ATTESTATION_SIGNING_KEY = ""
    settings.ATTESTATION_SIGNING_KEY_FILE = tmp_path / "keys" / "attestation.pem"
    attestations._signing_key.cache_clear()
    yield
    attestations._signing_key.cache_clear()


def _pae(payload_type: bytes, body: bytes) -> bytes:
    # Written from the DSSE spec, independently of governance.attestations.pae.
    return b"DSSEv1 " + str(len(payload_type)).encode() + b" " + payload_type + b" " + str(len(body)).encode() + b" " + body


def _verify(envelope, public_key_hex):
    body = base64.b64decode(envelope["payload"])
    signature = base64.b64decode(envelope["signatures"][0]["sig"])
    VerifyKey(bytes.fromhex(public_key_hex)).verify(_pae(envelope["payloadType"].encode(), body), signature)
    return json.loads(body)


def test_a_frozen_quarter_and_its_certifications_are_attested_and_verify_with_another_library(api, make_user):
    steward = make_user(Role.STEWARD)
    model = register(make_user(Role.CURATOR), "m0")
    certification = certify(model.current_version)
    quarter_open(actor=steward, label="2026Q4", pool_minor_units=1_000, currency="CNY")
    quarter_compute(actor=steward, label="2026Q4")
    quarter = quarter_freeze(actor=steward, label="2026Q4")

    published = api(None).get("/api/v1/attestations/public-key/").json()
    envelope = api(None).get("/api/v1/sponsorship/quarters/2026Q4/attestation.json").json()
    statement = _verify(envelope, published["public_key_hex"])

    assert published["development"] is True  # no key configured: generated on first use, and it says so
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    assert envelope["signatures"][0]["keyid"] == hashlib.sha256(bytes.fromhex(published["public_key_hex"])).hexdigest()
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["subject"] == [{"name": "manifest-2026Q4.json", "digest": {"sha256": quarter.manifest_sha256}}]
    assert statement["predicate"]["allocated_minor_units"] == quarter.allocated_minor_units

    cert_envelope = api(None).get(f"/api/v1/certifications/{certification.pk}/attestation.json").json()
    cert_statement = _verify(cert_envelope, published["public_key_hex"])
    assert cert_statement["subject"][0]["digest"] == {"sha256": model.current_version.onnx_sha256}
    assert cert_statement["predicate"]["certification"]["id"] == certification.pk
    assert [e["id"] for e in cert_statement["predicate"]["evaluations"]] == certification.evaluation_ids


def test_a_tampered_payload_or_a_foreign_key_fails_verification(api, make_user):
    model = register(make_user(Role.CURATOR), "m0")
    certification = certify(model.current_version)
    published = api(None).get("/api/v1/attestations/public-key/").json()
    envelope = api(None).get(f"/api/v1/certifications/{certification.pk}/attestation.json").json()
    statement = _verify(envelope, published["public_key_hex"])

    statement["predicate"]["evaluations"][0]["value"] = "0.000001"
    tampered = {**envelope, "payload": base64.b64encode(json.dumps(statement).encode()).decode()}
    with pytest.raises(BadSignatureError):
        _verify(tampered, published["public_key_hex"])
    other = Ed25519PrivateKey.generate().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    with pytest.raises(BadSignatureError):
        _verify(envelope, other.hex())
    assert api(None).get("/api/v1/certifications/999999/attestation.json").status_code == 404


def test_a_configured_key_signs_and_is_not_called_a_development_key(api, settings):
    private = Ed25519PrivateKey.generate()
    settings.ATTESTATION_SIGNING_KEY = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    attestations._signing_key.cache_clear()

    published = api(None).get("/api/v1/attestations/public-key/").json()

    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert published["development"] is False and published["public_key_hex"] == raw.hex()
    assert not settings.ATTESTATION_SIGNING_KEY_FILE.exists()
