"""JSON out, once the same way everywhere: the transaction on the wire and in the outbox.

orjson writes what `json.dumps(value, ensure_ascii=False, separators=(",", ":"))` writes, ~20x
faster (tests/unit/test_fhir_client.py holds the two byte for byte). Integers beyond 64 bits, which
orjson refuses, go through the standard library. NaN and Infinity never get here: a request body
holding them is refused as not JSON (web/body.py).
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def json_bytes(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        compact = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return compact.encode()


def json_text(value: Any) -> str:
    """`value` as compact JSON text (for a TEXT or JSONB column)."""
    return json_bytes(value).decode()
