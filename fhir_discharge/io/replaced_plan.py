"""Before a correction is posted: the care plan it replaces and that plan's Tasks, read from
the FHIR server, revoked and cancelled in the same transaction (core/replaced_plan.py; hazard
H172). Read just before each attempt to post, so the versions the transaction is conditional on
(`If-Match`) are the ones the server holds then.
"""

from __future__ import annotations

from ..core.replaced_plan import plan_tasks, replaced_plan_searches, revocations, with_revocations
from ..types import Resource
from .fhir_client import FhirClient


async def with_replaced_plan_revoked(client: FhirClient, transaction: Resource) -> Resource:
    """`transaction`, with the plan its CarePlan replaces revoked and that plan's open Tasks
    cancelled, as the server holds them now; as it is for a first letter. FhirServerError when
    the server cannot be asked."""
    entries: list[Resource] = []
    for search in replaced_plan_searches(transaction):
        for plan in await client.search("CarePlan", search):
            tasks = [await client.read(kind, task_id) for kind, task_id in plan_tasks(plan)]
            entries += revocations(plan, [t for t in tasks if t is not None])
    return with_revocations(transaction, entries)
