"""The fhir.resources R4B models as a structural self-check of what the module builds.

A test tool: conformance to the R4 definitions, bindings and our profiles is proven by the
independent validator (tests/support/fhir_validator.py) and HAPI FHIR; this adds the Python
models' reading. At run time the service parses its *input* with these models
(fhir_discharge/core/record/context.py) but does not re-parse its own output (2.9 ms per discharge,
benchmarks/README.md).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


def model_check(bundle: dict[str, Any]) -> None:
    """Parse the Bundle with the fhir.resources R4B models: a structural self-check.

    Raises ValueError naming the failing paths. (Conformance to the R4 definitions, bindings and
    our profiles is proven by the independent validator in the tests.)
    """
    from fhir.resources.R4B.bundle import Bundle

    try:
        Bundle.model_validate(bundle)
    except ValidationError as error:
        paths = sorted({".".join(str(p) for p in e["loc"]) for e in error.errors()})
        raise ValueError(f"built Bundle fails the R4B models at: {', '.join(paths)}") from None
