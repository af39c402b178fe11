"""A discharge whose letter did not reach the record alerts someone the hospital names.

When the deliverer gives a discharge up (io/delivery.py: the FHIR server refused its transaction,
holds another patient's record under its identifiers, or did not take it after the configured
attempts: `failed` or `dead` in the outbox), none of it is in the record: not the letter, not the
follow-up Tasks, not the message to the GP. Nobody downstream can notice what never arrived, and
a metric is read by whoever watches dashboards, not by whoever can hand a letter over. So the
deliverer writes an alert to the FHIR server, for the owner the hospital names
(`FHIR_DISCHARGE_DEAD_LETTER_ALERT_OWNER`: the ED secretariat's Organization or PractitionerRole).

**Why a Task.** Of FHIR's ways to get something in front of someone: a Flag is a warning shown
with a patient's chart, with no one to act on it and no state of the work; a Communication is a
message, delivered or not, with no state of the work either. A Task has an `owner`, a `status`
the owner moves (requested, in progress, completed) and a `priority`, and the hospital's
integration engine already searches Tasks by code and owner (the letter's Task for the
eHealthBox, core/gp_message/ehealthbox.py): the same search with this code is the
secretariat's worklist.

**What it says, and nothing more:** which letter (`focus`: the Composition by its business
identifier; it never landed, so only a logical reference can name it), for which encounter and
patient (`encounter`, `for`: the references the letter has, literal when the record is the FHIR
server's own, else logical by the identifier the record travels with); why (`reasonCode`: a code,
and a summary of the failure's OperationOutcome: our own diagnostics, the codes of its issues
and the server's message ids, never the server's free text, which may quote the record); the
discharge's id in the outbox (`input`), to re-drive it (`POST /discharges/{id}/$redeliver`).
No name, birth date or narrative of the record.

**Written once:** its identifier derives from the alert's id in the outbox, which is the
discharge's id and the number of the discharge's final failures (`io/outbox`), and it is posted
as a conditional create, like every resource of a discharge: retried after a lost answer, it is
found, not written twice; a discharge re-driven that fails again alerts again.

Pure: no network, no clock (the time of the failure is given).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from ..types import Resource
from .brussels_time import fhir_datetime
from .i18n.catalogue import catalogue
from .letter.narrative import generated, one_line, paragraph, text
from .pathway.canonicals import Canonicals, claims
from .record.identifiers import identifier_of_condition
from .record.identity import business_identifier, derived_uuid, if_none_exist
from .record.references import FHIR_ID_MAX_LENGTH, FHIR_ID_PATTERN

# Our CodeSystem (profiles/input/fsh/dead-letter.fsh), under the site's canonical base
# (Canonicals.alert_system): what the Task asks, and why.
NOT_DELIVERED: Final = "letter-not-delivered"
ALERT_CODES: Final[dict[str, str]] = {
    NOT_DELIVERED: (
        "The discharge did not reach the FHIR server: hand the letter over another way, or "
        "re-drive the discharge once its cause is fixed"
    ),
    # Task.reasonCode
    "refused": "The FHIR server refused the discharge's transaction",
    "identity-conflict": (
        "The FHIR server holds another patient's record under the record's identifiers"
    ),
    "attempts-exhausted": "The FHIR server did not take the discharge in the attempts allowed",
    "changed-at-rest": (
        "The discharge changed in fhir-discharge's outbox after it was accepted: not delivered"
    ),
    # Task.input.type
    "discharge": "The discharge's id in fhir-discharge's outbox (/discharges/{id})",
}
REASONS: Final = ("refused", "identity-conflict", "attempts-exhausted", "changed-at-rest")
# The diagnostics of the outbox's refusal of an item whose payload no longer matches the digest
# recorded when it was accepted (io/outbox: changed on disk, or a bad restore; hazard H128).
CHANGED_AT_REST: Final = (
    "fhir-discharge's outbox: the discharge's content differs from what was accepted (its digest "
    "does not match): not delivered; discharge the encounter again"
)

# Who may own the alert: an Organization (the ED secretariat) or a PractitionerRole, by its id
# on the FHIR server the alert is written to.
_OWNER: Final = re.compile(rf"(?:Organization|PractitionerRole)/{FHIR_ID_PATTERN.strip('^$')}")
# A FHIR server's message id at the start of its diagnostics (HAPI: "HAPI-1094: ..."): the one
# part of its text an integrator can look up that cannot quote the record.
_SERVER_MESSAGE_ID: Final = re.compile(r"[A-Z][A-Z0-9]{1,15}-[0-9]{1,6}\b")
_SERVER_TEXT: Final = "FHIR server: "  # errors._server_findings: the server's own words
SUMMARY_MAX: Final = 1000


def alert_owner_problem(value: str) -> str | None:
    """Why `value` cannot own the alert, or None: `Organization/{id}` or `PractitionerRole/{id}`."""
    if _OWNER.fullmatch(value) is None or len(value.split("/", 1)[1]) > FHIR_ID_MAX_LENGTH:
        return (
            "names the alert's owner as a reference on the FHIR server: Organization/{id} or "
            "PractitionerRole/{id}"
        )
    return None


def failure_reason(state: str, outcome: Mapping[str, Any] | None) -> str:
    """Why the discharge failed, as a code of REASONS: the outbox's final state (`failed`: a
    refusal; `dead`: the attempts ran out) and its OperationOutcome (our identity check's
    refusal is an issue of code `conflict`, errors.IdentityConflict; the outbox's refusal of a
    payload changed at rest says CHANGED_AT_REST)."""
    issues = (outcome or {}).get("issue") or []
    if any(isinstance(i, dict) and i.get("diagnostics") == CHANGED_AT_REST for i in issues):
        return "changed-at-rest"
    if any(isinstance(i, dict) and i.get("code") == "conflict" for i in issues):
        return "identity-conflict"
    return "refused" if state == "failed" else "attempts-exhausted"


def failure_summary(outcome: Mapping[str, Any] | None) -> str:
    """The failure's OperationOutcome, said without patient data: this service's own diagnostics
    (they name resources and elements, never values), each issue's finding code, and of the FHIR
    server's text only its message id (HAPI-1094); the whole OperationOutcome stays in the
    outbox (GET /discharges/{id})."""
    said: list[str] = []
    for issue in (outcome or {}).get("issue") or []:
        if not isinstance(issue, dict):
            continue
        diagnostics = issue.get("diagnostics")
        if isinstance(diagnostics, str) and diagnostics.startswith(_SERVER_TEXT):
            found = _SERVER_MESSAGE_ID.match(diagnostics[len(_SERVER_TEXT) :].strip())
            part = f"FHIR server: {found.group()}" if found else ""
        else:
            part = one_line(diagnostics)[:300]
        codes = [
            str(c.get("code"))
            for c in (issue.get("details") or {}).get("coding") or []
            if isinstance(c, dict) and isinstance(c.get("code"), str)
        ]
        if codes:
            part = f"{part} [{', '.join(codes)}]".strip()
        if part and part not in said:
            said.append(part)
    return ("; ".join(said) or "no OperationOutcome")[:SUMMARY_MAX]


def build_dead_letter_alert(
    *,
    alert_id: str,
    discharge_id: str,
    transaction: Resource,
    reason: str,
    attempts: int,
    outcome: Mapping[str, Any] | None,
    owner: str,
    failed_at: datetime,
    canonicals: Canonicals,
    language: str,
) -> Resource:
    """The transaction that writes the alert for the discharge `discharge_id` (its outbox item's
    `transaction`) that failed for `reason` (REASONS) at `failed_at`: one Task, a conditional
    create on an identifier derived from `alert_id`, in `language` (the site's: the ED
    secretariat reads it), under the site's `canonicals`. ValueError for a transaction without
    its letter, or an owner that is no reference (alert_owner_problem)."""
    if reason not in REASONS:
        raise ValueError(f"not a reason of the alert: {reason!r}")
    if alert_owner_problem(owner) is not None:
        raise ValueError("the alert's owner is not an Organization or PractitionerRole reference")
    letter, patient, encounter = _what_did_not_land(transaction)
    phrases = catalogue(language).letter
    why = phrases[f"dead-letter-{reason}"].format(attempts=attempts)
    description = phrases["dead-letter-task"].format(reason=why, discharge=discharge_id)
    urn = derived_uuid(f"dead-letter:{alert_id}", "alert")
    task: Resource = {
        "resourceType": "Task",
        "meta": claims(canonicals.dead_letter_task_profile),
        "language": language,
        "text": generated(paragraph(text(description)), language),
        "identifier": [business_identifier(urn)],
        "status": "requested",
        "intent": "order",
        "priority": "urgent",
        "code": {"coding": [alert_coding(NOT_DELIVERED, canonicals)]},
        "description": description,
        "focus": letter,
        "for": patient,
        "encounter": encounter,
        "authoredOn": fhir_datetime(failed_at),
        "owner": {"reference": owner},
        "reasonCode": {
            "coding": [alert_coding(reason, canonicals)],
            "text": failure_summary(outcome),
        },
        "input": [
            {
                "type": {"coding": [alert_coding("discharge", canonicals)]},
                "valueString": discharge_id,
            }
        ],
    }
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": urn,
                "resource": task,
                "request": {"method": "POST", "url": "Task", "ifNoneExist": if_none_exist(urn)},
            }
        ],
    }


def alert_coding(code: str, canonicals: Canonicals) -> dict[str, str]:
    return {"system": canonicals.alert_system, "code": code, "display": ALERT_CODES[code]}


def _what_did_not_land(transaction: Resource) -> tuple[Resource, Resource, Resource]:
    """References to the letter of `transaction`, its patient and its encounter, good on the FHIR
    server whether or not the transaction landed: the letter by its business identifier; the
    patient and the encounter as the letter references them when that is the server's own
    record (`Type/id`), else by the identifier their copy in the transaction is created on."""
    entries = [e for e in transaction.get("entry") or [] if isinstance(e, dict)]
    by_url = {str(e.get("fullUrl")): e for e in entries}
    letter = next(
        (
            e["resource"]
            for e in entries
            if isinstance(e.get("resource"), dict)
            and e["resource"].get("resourceType") == "Composition"
        ),
        None,
    )
    if letter is None or not isinstance(letter.get("identifier"), dict):
        raise ValueError("the transaction holds no letter with its business identifier")
    identifier = {k: letter["identifier"][k] for k in ("system", "value")}
    return (
        {"type": "Composition", "identifier": identifier},
        _as_landed(letter.get("subject"), "Patient", by_url),
        _as_landed(letter.get("encounter"), "Encounter", by_url),
    )


def _as_landed(reference: Any, resource_type: str, by_url: dict[str, Any]) -> Resource:
    literal = reference.get("reference") if isinstance(reference, dict) else None
    if not isinstance(literal, str):
        raise ValueError(f"the letter references no {resource_type}")
    if not literal.startswith("urn:"):
        return {"reference": literal}  # the FHIR server's own record, there by its id
    condition = ((by_url.get(literal) or {}).get("request") or {}).get("ifNoneExist")
    identifier = identifier_of_condition(condition) if isinstance(condition, str) else None
    if identifier is None:
        raise ValueError(f"the transaction's {resource_type} has no identifier to be found by")
    return {"type": resource_type, "identifier": identifier}
