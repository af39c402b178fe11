"""The site the tests run as: the shipped default (fhir_discharge/sites/uz-leuven.toml)."""

from __future__ import annotations

from fhir_discharge.config import DEFAULT_SITE_FILE, load_site

SITE = load_site(DEFAULT_SITE_FILE)
