"""Type aliases shared by every floor of the package."""

from __future__ import annotations

from typing import Any

# A FHIR resource (or any JSON object of one) as parsed from the wire: plain dicts, checked by
# our own readers where we rely on a field (context.py, gathering.py), not by a model class.
Resource = dict[str, Any]
