"""A CDS card's suggestion and a discharge transaction, each as what it writes: its resources in
order, by type and content, with the ids, fullUrls and the references between them replaced by
their place in the list (`#0`, `#1`, ...). Two that write the same thing compare equal
(tests/unit/test_cds_cards.py, tests/integration/test_cds_card_workflow.py)."""

from __future__ import annotations

from typing import Any

Resource = dict[str, Any]


def _replaced(node: Any, places: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {k: _replaced(v, places) for k, v in node.items()}
        if isinstance(node.get("reference"), str) and node["reference"] in places:
            out["reference"] = places[node["reference"]]
        return out
    if isinstance(node, list):
        return [_replaced(v, places) for v in node]
    return node


def transaction_writes(entries: list[Resource]) -> list[tuple[str, Resource]]:
    """A transaction's entries (fullUrl urn:uuid, no id) as what they write."""
    places = {str(e["fullUrl"]): f"#{i}" for i, e in enumerate(entries)}
    return [(e["resource"]["resourceType"], _replaced(e["resource"], places)) for e in entries]


def suggestion_writes(actions: list[Resource]) -> list[tuple[str, Resource]]:
    """A suggestion's `create` actions (each resource with its id, referenced as Type/id) as what
    they write."""
    assert {a["type"] for a in actions} == {"create"}
    resources = [a["resource"] for a in actions]
    places = {f"{r['resourceType']}/{r['id']}": f"#{i}" for i, r in enumerate(resources)}
    return [
        (r["resourceType"], _replaced({k: v for k, v in r.items() if k != "id"}, places))
        for r in resources
    ]
