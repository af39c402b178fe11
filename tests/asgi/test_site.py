"""A site is data (issue 21 point 1): the hospital's name, address, phone numbers, spine programme,
brochure and canonical base come from its site file, chosen by FHIR_DISCHARGE_SITE for the
service, the CLI, the physician's app and the CDS Hooks card alike; none of them is in code.

Another hospital (a made-up one: AZ Voorbeeld) copies the shipped fhir_discharge/sites/uz-leuven
.toml, changes its values and starts the service with it: its letters, their KMEHR message and PDF
carry its name and numbers and not one of UZ Leuven's. A missing or malformed key stops the
service at start-up, naming the key.
"""

from __future__ import annotations

import base64
import io
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from pypdf import PdfReader

import fhir_discharge
from fhir_discharge import build_discharge, cli, context_from_bundle
from fhir_discharge.config import DEFAULT_SITE_FILE, Settings, load_site
from fhir_discharge.core.record.identifiers import hospital_nihdi
from fhir_discharge.core.site import Site, SiteError
from fhir_discharge.web.cds_hooks.service import discovery
from tests.support.factories import happy_bundle
from tests.support.in_process import in_process_app

TOKEN = "site-" + "0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

PACKAGE = Path(fhir_discharge.__file__).parent
# UZ Leuven's facts, as the shipped site file and pathway.md give them: none may be left in code,
# and none may reach another hospital's letter.
UZ_LEUVEN = (
    "UZ Leuven",
    "uzleuven",
    "Herestraat",
    "Leuven",
    "016 33 22 11",
    "016 34 25 60",
    "700457",
    "wervelkolomaandoeningen",
)
OTHER = {
    "name": "AZ Voorbeeld",
    "address": ["Voorbeeldstraat 1", "9999 Voorbeeldstad"],
    "city": "Voorbeeldstad",
    "phone": "09 123 45 67",
    "spine_phone": "09 765 43 21",
    "base": "https://fhir.az-voorbeeld.be/discharge",
    "brochure": "https://www.az-voorbeeld.be/brochures/rugpijn-42",
    "url": "https://www.az-voorbeeld.be",
    "nihdi": "71099020000",  # a hospital's NIHDI number that passes its check (not UZ Leuven's)
}


def _other_site_file(tmp_path: Path) -> Path:
    """A copy of the shipped site file, every value the other hospital's."""
    text = DEFAULT_SITE_FILE.read_text(encoding="utf-8")
    for old, new in (
        ("https://fhir.uzleuven.be/discharge", OTHER["base"]),
        ("https://www.uzleuven.be/brochure/700457", OTHER["brochure"]),
        ('url = "https://www.uzleuven.be"', f'url = "{OTHER["url"]}"'),
        ('"UZ Leuven"', f'"{OTHER["name"]}"'),
        ('["Herestraat 49", "3000 Leuven"]', json.dumps(OTHER["address"])),
        ('city = "Leuven"', f'city = "{OTHER["city"]}"'),
        ('phone = "016 33 22 11"', f'phone = "{OTHER["phone"]}"'),
        ('phone = "016 34 25 60"', f'phone = "{OTHER["spine_phone"]}"'),
        ('number = "700457"', 'number = "42"'),
        ("zorgprogramma wervelkolomaandoeningen", "rugcentrum"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    # The comments are UZ Leuven's too: the other hospital's file says nothing of it.
    text = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    path = tmp_path / "az-voorbeeld.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _other_record() -> dict[str, Any]:
    """The happy path's record as the other hospital's EHR holds it (its Organization, its
    identifier systems, its brochure's number in the screening's question)."""
    assert hospital_nihdi(OTHER["nihdi"]) is not None
    text = json.dumps(happy_bundle(), ensure_ascii=False)
    for old, new in (
        ("71000436000", OTHER["nihdi"]),
        ("Herestraat 49", OTHER["address"][0]),
        ("3000", OTHER["address"][1].split()[0]),
        ("016 33 22 11", OTHER["phone"]),
        ("UZ Leuven", OTHER["name"]),
        ("uzleuven", "az-voorbeeld"),
        ("Leuven", OTHER["city"]),
        ("700457", "42"),
    ):
        text = text.replace(old, new)
    record: dict[str, Any] = json.loads(text)
    assert not _leuven_in(json.dumps(record, ensure_ascii=False))
    return record


def _leuven_in(text: str) -> list[str]:
    return [fact for fact in UZ_LEUVEN if fact.casefold() in text.casefold()]


def _kmehr(bundle: dict[str, Any]) -> bytes:
    (communication,) = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Communication"
    ]
    (attachment,) = [
        p["contentAttachment"] for p in communication["payload"] if "contentAttachment" in p
    ]
    return base64.b64decode(attachment["data"])


def _pdf_text(kmehr: bytes) -> str:
    found = re.search(rb"<lnk [^>]*MEDIATYPE=\"application/pdf\"[^>]*>([^<]+)</lnk>", kmehr)
    assert found is not None
    pdf = PdfReader(io.BytesIO(base64.b64decode(found.group(1))))
    return " ".join(page.extract_text() for page in pdf.pages)


@pytest.fixture
def other_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = _other_site_file(tmp_path)
    monkeypatch.setenv("FHIR_DISCHARGE_SITE", str(path))
    return path


def test_another_hospitals_site_file_gives_its_letter_and_none_of_uz_leuvens(
    other_site: Path,
) -> None:
    site = Settings().site
    assert (site.name, site.source) == (OTHER["name"], str(other_site))
    discharge = build_discharge(context_from_bundle(_other_record()), site)
    transaction = json.dumps(discharge.bundle, ensure_ascii=False)
    kmehr = _kmehr(discharge.bundle)
    pdf = _pdf_text(kmehr)
    # The whole transaction Bundle, the KMEHR message (its text included) and the PDF's text.
    for said in (transaction, kmehr.decode("utf-8"), pdf):
        assert _leuven_in(said) == []
    # and the other hospital's facts where UZ Leuven's were.
    letter = discharge.letter["text"]["div"]
    assert f"van {OTHER['name']} (afspraken: {OTHER['spine_phone']})" in letter
    assert "naar de raadpleging fysische geneeskunde van het rugcentrum" in letter
    assert OTHER["brochure"] in letter and "(nr. 42)" in letter
    assert discharge.letter["meta"]["profile"] == [
        f"{OTHER['base']}/StructureDefinition/lbp-gp-letter"
    ]
    care_plan = discharge.bundle["entry"][2]["resource"]
    assert care_plan["instantiatesCanonical"] == [
        f"{OTHER['base']}/PlanDefinition/lbp-ed-discharge-pathway"
    ]
    assert OTHER["name"] in pdf and OTHER["phone"] in pdf and OTHER["spine_phone"] in pdf


def test_the_service_the_cli_the_app_and_the_card_run_as_the_site_the_setting_names(
    other_site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = _other_record()
    settings = Settings(api_tokens=[TOKEN], outbox_path=str(tmp_path / "outbox.sqlite3"))
    no_fhir_server = lambda request: httpx.Response(404)  # noqa: E731 (a dry run reads nothing)
    with in_process_app(settings, no_fhir_server) as client:
        answer = client.post("/Encounter/$lbp-discharge?_dry-run=true", json=record, headers=AUTH)
        assert answer.status_code == 200, answer.text
        assert _leuven_in(answer.text) == [] and OTHER["spine_phone"] in answer.text
        # the physician's app (its page) and the CDS Hooks card (its discovery)
        page = client.get("/app/").text
        assert f"spoedgevallen {OTHER['name']}" in page and _leuven_in(page) == []
        services = client.get("/cds-services").json()["services"]
        assert services[0]["title"].startswith(OTHER["name"])
        assert _leuven_in(json.dumps(services, ensure_ascii=False)) == []
        # the operation's own definition names the site's canonical base
        definition = client.get("/OperationDefinition/lbp-discharge").json()
        assert definition["url"] == f"{OTHER['base']}/OperationDefinition/lbp-discharge"
    # the CLI, with the same setting
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    assert cli.main(["discharge", str(path), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert _leuven_in(printed) == [] and OTHER["spine_phone"] in printed


def _without(data: dict[str, Any], dotted: str) -> dict[str, Any]:
    *tables, key = dotted.split(".")
    holder = data
    for table in tables:
        holder = holder[table]
    del holder[key]
    return data


def _with(data: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    *tables, key = dotted.split(".")
    holder = data
    for table in tables:
        holder = holder[table]
    holder[key] = value
    return data


def _toml(data: dict[str, Any]) -> str:
    """A site file of `data` (strings, lists of strings and tables are all a site holds)."""
    lines: list[str] = []

    def table(prefix: str, values: dict[str, Any]) -> None:
        plain = {k: v for k, v in values.items() if not isinstance(v, dict)}
        if prefix:
            lines.append(f"[{prefix}]")
        lines.extend(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in plain.items())
        for k, v in values.items():
            if isinstance(v, dict):
                table(f"{prefix}.{k}" if prefix else k, v)

    table("", data)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: _without(d, "hospital.name"), "hospital.name is missing"),
        (lambda d: _without(d, "canonical_base"), "canonical_base is missing"),
        (lambda d: _without(d, "spine_programme.fr-BE"), "spine_programme.fr-BE is missing"),
        (lambda d: _without(d, "spine_programme.en.programme"), "spine_programme.en.programme"),
        (lambda d: _without(d, "brochure.url.nl-BE"), "brochure.url.nl-BE is required"),
        (lambda d: _with(d, "hospital.phone", "call us"), "hospital.phone must be a phone"),
        (lambda d: _with(d, "canonical_base", "fhir.example"), "canonical_base must be an"),
        (lambda d: _with(d, "default_language", "de-BE"), "default_language must be one of"),
        (lambda d: _with(d, "hospital.address", "Herestraat"), "hospital.address must be a"),
        (lambda d: _with(d, "brochure.url.de-BE", "https://x.example"), "brochure.url.de-BE"),
        (lambda d: _with(d, "hospital.name", "  "), "hospital.name must be text"),
    ],
    ids=[
        "no name",
        "no base",
        "no French words",
        "no English programme",
        "no default brochure",
        "a phone that is none",
        "a base that is no URL",
        "no catalogue's language",
        "an address that is no list",
        "a brochure of no catalogue's language",
        "an empty name",
    ],
)
def test_a_missing_or_malformed_key_stops_start_up_naming_it(
    change: Any, named: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = change(tomllib.loads(DEFAULT_SITE_FILE.read_text(encoding="utf-8")))
    path = tmp_path / "site.toml"
    path.write_text(_toml(data), encoding="utf-8")
    with pytest.raises(SiteError, match=re.escape(named)):
        load_site(path)
    monkeypatch.setenv("FHIR_DISCHARGE_SITE", str(path))
    # the service does not start: its settings are refused, naming the key
    with pytest.raises(ValidationError, match=re.escape(named)):
        Settings()


def test_a_site_file_that_is_not_there_or_not_toml_stops_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[hospital\nname = ", encoding="utf-8")
    for path, said in ((tmp_path / "absent.toml", "cannot be read"), (broken, "not a TOML file")):
        monkeypatch.setenv("FHIR_DISCHARGE_SITE", str(path))
        with pytest.raises(ValidationError, match=said):
            Settings()
        # The CLI says so and stops (exit 2), with no traceback.
        assert cli.main(["discharge", str(broken), "--dry-run"]) == cli.EXIT_INVALID
        assert said in capsys.readouterr().err


def test_the_default_site_is_uz_leuven_shipped_in_the_package() -> None:
    site = Settings().site
    assert site == load_site(DEFAULT_SITE_FILE)
    assert DEFAULT_SITE_FILE.parent == PACKAGE / "sites"
    assert (site.name, site.phone, site.spine_programme.phone) == (
        "UZ Leuven",
        "016 33 22 11",
        "016 34 25 60",
    )
    assert site.brochure("fr-BE") == ("https://www.uzleuven.be/brochure/700457", "nl-BE")
    assert isinstance(discovery(site)["services"][0]["title"], str)


# What the code may not hold: the default site's facts belong in its file (and in the compiled
# definitions its canonical base publishes, which the code rebases onto any site's).
_DATA = (
    PACKAGE / "sites",
    PACKAGE / "core" / "pathway" / "definitions",
    PACKAGE / "core" / "fonts",
)


def test_no_hospital_fact_is_left_in_code() -> None:
    found = {}
    for path in PACKAGE.rglob("*"):
        if not path.is_file() or any(path.is_relative_to(data) for data in _DATA):
            continue
        if path.suffix == ".pyc":
            continue
        # config.py names the default site's file (DEFAULT_SITE_FILE): a file name, not a fact.
        text = path.read_text(encoding="utf-8").replace(DEFAULT_SITE_FILE.name, "")
        facts = _leuven_in(text)
        if facts:
            found[str(path.relative_to(PACKAGE))] = facts
    assert found == {}


def test_a_site_speaks_a_language_a_catalogue_speaks() -> None:
    site: Site = Settings().site
    assert site.speaking("fr-BE").default_language == "fr-BE"
    with pytest.raises(SiteError, match="none of the catalogues'"):
        site.speaking("de-BE")
