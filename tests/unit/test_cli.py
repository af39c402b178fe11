"""The CLI (fhir_discharge/cli.py) builds as the service builds, from the same settings: the
site's default language is the configured one. Posting, and the service's authentication on the way,
are in the integration lane (test_integration.py, test_smart_auth.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fhir_discharge.cli import main
from fhir_discharge.core import transaction
from fhir_discharge.core.site import Site
from fhir_discharge.io import discharging
from tests.support.factories import happy_bundle


def test_the_dry_run_builds_in_the_configured_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asked: list[str] = []

    def build(ctx: Any, site: Site, **options: Any) -> transaction.Discharge:
        # The configured language is the site's default: the letter's when the GP reads no
        # language a catalogue speaks (core/i18n/language.py); what is checked here is the site
        # the CLI builds for.
        asked.append(site.default_language)
        return transaction.build_discharge(ctx, site, **options)

    monkeypatch.setattr(discharging, "build_discharge", build)
    path = tmp_path / "record.json"
    path.write_text(json.dumps(happy_bundle()), encoding="utf-8")

    monkeypatch.setenv("FHIR_DISCHARGE_LANGUAGE", "fr-BE")
    assert main(["discharge", str(path), "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["type"] == "transaction"
    monkeypatch.delenv("FHIR_DISCHARGE_LANGUAGE")
    assert main(["discharge", str(path), "--dry-run"]) == 0
    assert asked == ["fr-BE", "nl-BE"]
