"""A corrected letter's care plan replaces the earlier one (letter/careplan.py `replaces`): the
earlier plan is `revoked` and its follow-up Tasks still open are `cancelled`, in the same
transaction as the correction (issue 19, correction; hazard H172).

Otherwise the GP's worklist keeps both versions' Tasks, the earlier one's with the follow-up
dates of the record before it was corrected. What is revoked and cancelled is what the FHIR
server holds when the transaction is posted (io/replaced_plan.py reads it just before each
attempt): each is a PUT of the resource as read, its status changed, conditional on the version
read (`If-Match`), so that a change made in between (the GP completing a Task) fails the whole
transaction, the correction included, rather than being overwritten. A plan already ended, or a
Task already finished, is left as it is: a repeat of a delivered correction changes nothing.

Pure: the resources in, the transaction's entries out.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Final

from ..types import Resource
from .record.references import parse_reference

REVOKED: Final = "revoked"
CANCELLED: Final = "cancelled"
# R4 RequestStatus and TaskStatus: what is over needs no revoking or cancelling.
ENDED_PLAN: Final = frozenset({REVOKED, "completed", "entered-in-error"})
ENDED_TASK: Final = frozenset({CANCELLED, "completed", "failed", "rejected", "entered-in-error"})


def replaced_plan_searches(transaction: Resource) -> list[dict[str, str]]:
    """The searches (`identifier=system|value`) that find the plans the transaction's CarePlan
    replaces: none for a first letter."""
    searches = []
    for entry in transaction.get("entry") or []:
        plan = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(plan, dict) or plan.get("resourceType") != "CarePlan":
            continue
        for replaced in plan.get("replaces") or []:
            identifier = replaced.get("identifier") if isinstance(replaced, dict) else None
            if not isinstance(identifier, dict):
                continue
            system, value = identifier.get("system"), identifier.get("value")
            if system and value:
                # the client encodes it (derived urn:uuid values: nothing to escape)
                searches.append({"identifier": f"{system}|{value}"})
    return searches


def plan_tasks(plan: Resource) -> list[tuple[str, str]]:
    """The Tasks of a plan as the server holds it: (type, id) of each activity's reference."""
    found = []
    for activity in plan.get("activity") or []:
        reference = activity.get("reference") if isinstance(activity, dict) else None
        parsed = parse_reference(str(reference.get("reference", ""))) if reference else None
        if parsed is not None and parsed.resource_type == "Task" and parsed.id:
            found.append(("Task", parsed.id))
    return found


def revocations(plan: Resource, tasks: Sequence[Resource]) -> list[Resource]:
    """The transaction entries that revoke `plan` and cancel its `tasks` still open, each as the
    server holds it (with its id and meta.versionId), conditional on that version."""
    entries = []
    if plan.get("status") not in ENDED_PLAN:
        entries.append(_put(plan, REVOKED))
    entries += [_put(task, CANCELLED) for task in tasks if task.get("status") not in ENDED_TASK]
    return entries


def with_revocations(transaction: Resource, entries: Sequence[Resource]) -> Resource:
    """`transaction` with `entries` after its own (after the record it carries, so that the
    roles of its first entries stay where they are: transaction.entry_roles)."""
    if not entries:
        return transaction
    return {**transaction, "entry": [*(transaction.get("entry") or []), *entries]}


def _put(held: Resource, status: str) -> Resource:
    changed = copy.deepcopy(held)
    changed["status"] = status
    changed.pop("meta", None)  # the server's, written anew with the update
    version = str((held.get("meta") or {}).get("versionId", ""))
    url = f"{held['resourceType']}/{held['id']}"
    request: Resource = {"method": "PUT", "url": url}
    if version:
        request["ifMatch"] = f'W/"{version}"'
    return {"fullUrl": url, "resource": changed, "request": request}
