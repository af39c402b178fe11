"""What the SMART Backend Services tests share (tests/unit/test_smart_backend_auth.py against a
scripted authorization server, tests/integration/test_smart_auth.py against the protected
sandbox): the client's private keys, as PEM, and the checks on a refusal."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from fhir_discharge import FhirServerError
from fhir_discharge.errors import operation_outcome
from tests.support.site import SITE


def rsa_private_key() -> rsa.RSAPrivateKey:
    """RS384's key (slow to make: take it in a module-scoped fixture)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_private_key() -> ec.EllipticCurvePrivateKey:
    """ES384's key."""
    return ec.generate_private_key(ec.SECP384R1())


def pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def failure_of(coroutine: Coroutine[Any, Any, Any]) -> FhirServerError:
    with pytest.raises(FhirServerError) as caught:
        asyncio.run(coroutine)
    return caught.value


def assert_no_secrets(error: FhirServerError, *secrets: str) -> None:
    text = str(error) + json.dumps(operation_outcome(error, SITE.canonical_base))
    assert "eyJ" not in text  # no JWT (token or assertion)
    for secret in secrets:
        assert secret not in text
