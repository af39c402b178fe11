"""What the service cannot read: modifier extensions and implicit rules, anywhere in the record.

FHIR R4 (Extensibility, "Modifier Extensions"; Resource.implicitRules): a modifier extension may
change what the element holding it means (negate a diagnosis, say it is a relative's), and a
resource under implicit rules may mean something else under them; a reader that does not
understand them may not read the resource as if they were absent. This service understands none,
so whatever of the record carries one is refused, naming it, whatever its type: the gate reads
every resource of the context.
"""

from __future__ import annotations

from typing import Any

from ...types import Resource
from ..record.context import DischargeContext
from .findings import Findings

# Enough to say what to correct; a record with hundreds is named by its first ones.
MAX_MODIFIER_FINDINGS = 10


def check_modifiers(ctx: DischargeContext, findings: Findings) -> None:
    found = 0
    for resource in ctx.index.resources():
        literal = f"{resource.get('resourceType')}/{resource.get('id')}"
        rules = resource.get("implicitRules")
        if isinstance(rules, str) and found < MAX_MODIFIER_FINDINGS:
            found += 1
            findings.missing(
                f"{literal} is written under implicit rules this service does not "
                f"understand ({rules[:200]}): record it without implicitRules, or discharge "
                "the patient outside this pathway",
                f"{literal}.implicitRules",
                "implicit-rules",
                resource=literal,
                url=rules[:200],
            )
        for path, url in _modifier_extensions(resource):
            if found >= MAX_MODIFIER_FINDINGS:
                break
            found += 1
            findings.missing(
                f"{literal} carries a modifier extension this service does not understand "
                f"({url}) at {path}: it may change what the resource means; record it "
                "without the modifier extension, or discharge the patient outside this "
                "pathway",
                literal,
                "modifier-extension",
                resource=literal,
                url=url,
                path=path,
            )


def _modifier_extensions(resource: Resource) -> list[tuple[str, str]]:
    """(path, url) of each distinct modifier extension in a resource, contained ones included,
    in document order (iterative: a deeply nested resource cannot exhaust the stack)."""
    if not _has_modifier_extension(resource):  # the usual case, without building paths
        return []
    found: dict[str, str] = {}
    stack: list[tuple[Any, str]] = [(resource, str(resource.get("resourceType")))]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for ext in node.get("modifierExtension") or []:
                url = ext.get("url") if isinstance(ext, dict) else None
                url = url[:200] if isinstance(url, str) else "(no url)"
                found.setdefault(url, f"{path}.modifierExtension")
            children = [
                (value, f"{path}.{key}")
                for key, value in node.items()
                if key != "modifierExtension" and isinstance(value, (dict, list))
            ]
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend(
                (value, f"{path}[{i}]")
                for i, value in reversed(list(enumerate(node)))
                if isinstance(value, (dict, list))
            )
    return [(path, url) for url, path in found.items()]


def _has_modifier_extension(resource: Resource) -> bool:
    stack: list[Any] = [resource]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "modifierExtension" in node:
                return True
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        else:
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    return False
