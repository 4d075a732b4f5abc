"""Signed attestations: an in-toto Statement (v1) in a DSSE envelope, signed with the portal's Ed25519 key.

DSSE (github.com/secure-systems-lab/dsse, protocol.md): the signature is over the pre-authentication encoding
PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, with LEN the ASCII decimal byte length;
the envelope is {"payload": base64(body), "payloadType": type, "signatures": [{"keyid", "sig": base64(sig)}]}.
Ed25519 signatures are deterministic, so an attestation signed on request is the same bytes every time.

The key comes from `ATTESTATION_SIGNING_KEY` (PKCS#8 PEM) or the PEM file `ATTESTATION_SIGNING_KEY_FILE`. When
neither exists, a development key is generated into that file on first use, logged as such, and the published
public key says `"development": true`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
QUARTER_PREDICATE = "https://go3s.community/attestations/sponsorship-quarter/v1"
CERTIFICATION_PREDICATE = "https://go3s.community/attestations/model-certification/v1"


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    development: bool

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def public_raw(self) -> bytes:
        return self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def keyid(self) -> str:
        """SHA-256 of the raw 32-byte public key, hex: names the key in every envelope."""
        return hashlib.sha256(self.public_raw).hexdigest()

    @property
    def public_pem(self) -> str:
        return self.public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _load(pem: bytes, source: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(f"{source} is not an unencrypted PKCS#8 PEM private key") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{source} is not an Ed25519 key")
    return key


def _generate_development_key(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once keep one key (the loser reads the winner's file below).
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _load(path.read_bytes(), str(path))
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    logger.warning("Generated a DEVELOPMENT attestation signing key in %s; set ATTESTATION_SIGNING_KEY in production.", path)
    return key


@lru_cache(maxsize=4)
def _signing_key(pem: str, path: str) -> SigningKey:
    if pem:
        return SigningKey(_load(pem.encode(), "ATTESTATION_SIGNING_KEY"), development=False)
    file = Path(path)
    if file.exists():
        # A file the operator placed is the production key; one this module generated carries the marker below.
        development = file.with_suffix(".development").exists()
        return SigningKey(_load(file.read_bytes(), str(file)), development=development)
    key = _generate_development_key(file)
    file.with_suffix(".development").write_text("generated on first run by governance.attestations\n")
    return SigningKey(key, development=True)


def signing_key() -> SigningKey:
    return _signing_key(settings.ATTESTATION_SIGNING_KEY, str(settings.ATTESTATION_SIGNING_KEY_FILE))


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what is signed."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(body), body)


def envelope(statement: dict[str, Any], key: SigningKey | None = None) -> dict[str, Any]:
    """Signs an in-toto Statement into a DSSE envelope (canonical JSON body: sorted keys, no spaces, UTF-8)."""
    key = key or signing_key()
    body = json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    signature = key.private.sign(pae(PAYLOAD_TYPE, body))
    return {
        "payload": base64.b64encode(body).decode(),
        "payloadType": PAYLOAD_TYPE,
        "signatures": [{"keyid": key.keyid, "sig": base64.b64encode(signature).decode()}],
    }


def statement(*, subject: list[dict[str, Any]], predicate_type: str, predicate: dict[str, Any]) -> dict[str, Any]:
    return {"_type": STATEMENT_TYPE, "subject": subject, "predicateType": predicate_type, "predicate": predicate}


def public_key_document() -> dict[str, Any]:
    """What the portal publishes so anyone can check its attestations."""
    key = signing_key()
    return {
        "keytype": "ed25519",
        "scheme": "ed25519",
        "keyid": key.keyid,
        "public_key_hex": key.public_raw.hex(),
        "public_key_pem": key.public_pem,
        "development": key.development,
        "envelope": "DSSE v1 (github.com/secure-systems-lab/dsse)",
        "payload_type": PAYLOAD_TYPE,
    }
