"""The care plan and the two timed follow-ups (pathway.md, advice and expected course)."""

from __future__ import annotations

from fhir_discharge import build_discharge
from tests.support.contexts import held_by_server
from tests.support.factories import happy_bundle, resource, screening
from tests.support.site import SITE


def built(bundle):
    entries = build_discharge(held_by_server(bundle), SITE).bundle["entry"]
    return entries, {e["resource"]["resourceType"]: e["resource"] for e in entries[:3]}


def test_the_care_plan_holds_each_advice_and_both_follow_ups():
    entries, by_type = built(happy_bundle())
    plan = by_type["CarePlan"]
    assert (plan["status"], plan["intent"]) == ("active", "plan")
    assert plan["period"] == {
        "start": "2026-11-25T12:40:00+01:00",
        "end": "2027-01-06T12:40:00+01:00",
    }
    assert plan["addresses"] == [{"reference": "Condition/lbp-example-diagnosis"}]
    assert plan["supportingInfo"] == [
        {"reference": entries[0]["fullUrl"]},
        {"reference": entries[1]["fullUrl"]},
    ]
    details = [a["detail"] for a in plan["activity"] if "detail" in a]
    # the eight advice items, then the two safety-net instructions (GP, then the ED)
    assert len(details) == len(SITE.pathway.advice) + 2 == 10
    assert all(d["description"] and d["status"] == "in-progress" for d in details)
    assert details[8]["description"].startswith("De huisarts raadplegen bij: Radiculaire pijn")
    assert details[9]["description"].startswith("Onmiddellijk naar de spoedgevallendienst bij")
    references = [a["reference"]["reference"] for a in plan["activity"] if "reference" in a]
    assert references == [entries[3]["fullUrl"], entries[4]["fullUrl"]]


def test_follow_up_tasks_start_one_and_six_weeks_after_the_encounter_end():
    entries, _ = built(happy_bundle())
    week, six_weeks = entries[3]["resource"], entries[4]["resource"]
    assert week["restriction"]["period"]["start"] == "2026-12-02T12:40:00+01:00"
    assert six_weeks["restriction"]["period"]["start"] == "2027-01-06T12:40:00+01:00"
    for task in (week, six_weeks):
        assert (task["status"], task["intent"]) == ("requested", "plan")
        assert task["for"] == {"reference": "Patient/lbp-example-patient"}
        assert task["owner"] == {"reference": "Practitioner/lbp-example-gp"}
        assert task["basedOn"] == [{"reference": entries[2]["fullUrl"]}]
        assert task["encounter"] == {"reference": "Encounter/lbp-example-encounter"}
    assert "016 34 25 60" in six_weeks["description"]


def test_follow_up_dates_keep_the_wall_clock_across_a_dst_change():
    bundle = happy_bundle()
    # 25 March 2027 in Brussels is winter time; 1 April is summer time (DST from 28 March).
    resource(bundle, "Encounter")["period"] = {
        "start": "2027-03-25T08:00:00Z",
        "end": "2027-03-25T09:30:00Z",
    }
    screening(bundle)["authored"] = "2027-03-25T09:00:00Z"  # screened during that visit
    resource(bundle, "Condition")["onsetDateTime"] = "2027-03-24"  # acute, as at that visit
    entries, _ = built(bundle)
    assert entries[3]["resource"]["restriction"]["period"]["start"] == "2027-04-01T10:30:00+02:00"


def test_without_gp_the_patient_owns_the_follow_ups():
    bundle = happy_bundle()
    del resource(bundle, "Patient")["generalPractitioner"]
    entries, _ = built(bundle)
    assert entries[3]["resource"]["owner"] == {"reference": "Patient/lbp-example-patient"}


def test_the_safety_net_in_the_care_plan_names_erectile_dysfunction_for_men_only():
    bundle = happy_bundle()
    _, by_type = built(bundle)
    woman = by_type["CarePlan"]["activity"][9]["detail"]["description"]
    assert "Erectiestoornissen" not in woman
    resource(bundle, "Patient")["gender"] = "male"
    _, by_type = built(bundle)
    assert "Erectiestoornissen" in by_type["CarePlan"]["activity"][9]["detail"]["description"]


def test_an_older_patient_gets_the_nsaid_caution_in_the_care_plan():
    bundle = happy_bundle()
    resource(bundle, "Patient")["birthDate"] = "1950-01-01"
    _, by_type = built(bundle)
    medication = by_type["CarePlan"]["activity"][4]["detail"]["description"]
    assert "vanaf 70 jaar enkel met voorzichtigheid" in medication


def test_follow_up_tasks_say_they_are_conditional():
    entries, _ = built(happy_bundle())
    assert entries[3]["resource"]["description"].startswith("Indien de lage rugpijn na 1 week")
    assert entries[4]["resource"]["description"].startswith("Indien geen verbetering na 6 weken")


def test_follow_up_dates_count_from_the_encounter_end_not_from_today():
    bundle = happy_bundle()
    resource(bundle, "Encounter")["period"] = {
        "start": "2019-03-04T09:00:00+01:00",
        "end": "2019-03-04T11:15:00+01:00",
    }
    entries, by_type = built(bundle)
    assert entries[3]["resource"]["restriction"]["period"]["start"] == "2019-03-11T11:15:00+01:00"
    assert entries[4]["resource"]["restriction"]["period"]["start"] == "2019-04-15T11:15:00+02:00"
    assert by_type["CarePlan"]["period"]["start"] == "2019-03-04T11:15:00+01:00"
