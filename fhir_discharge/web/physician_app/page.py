"""The app's one HTML page, its script and stylesheet (static/: no build step, nothing from a
CDN), and the headers they are served with.

The page is the same for the launch, the callback and the home URL: the script reads where it is.
Its text (the catalogue's `app`, in the site's language: core/i18n/physician_texts.py) and its
configuration (the SMART client, the scopes, the screening's questions from the Questionnaire's
translations) are written into it by the service.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from functools import cache
from pathlib import Path
from string import Template
from typing import Final

from fastapi import HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse

from ...config import Settings
from ...core.i18n.catalogue import catalogue
from ...core.i18n.physician_texts import app_sentences, red_flag_names
from ...core.pathway.definition import SCREENING_RED_FLAG_ITEMS
from ...core.rendering import LETTER_CSS  # the letter's one inline stylesheet (CSP hash)
from ..urls import public_url_for

STATIC: Final = Path(__file__).resolve().parent / "static"
_STATIC_FILES: Final = {"app.js": "text/javascript", "app.css": "text/css"}

# What the app reads and writes, no more (SMART v2 scopes). The record is the patient's
# compartment; the people and places the letter names (physicians, hospital) and a
# prescription's Medication are outside it.
_READS: Final = (
    "patient/*.rs user/Practitioner.rs user/PractitionerRole.rs user/Organization.rs "
    "user/Medication.rs"
)
# The screening is created, and a corrected answer amends it (an update: issue 22, H124).
_WRITES: Final = "patient/QuestionnaireResponse.cu"
EHR_LAUNCH_SCOPE: Final = f"launch openid fhirUser {_READS} {_WRITES}"
STANDALONE_SCOPE: Final = f"launch/patient launch/encounter openid fhirUser {_READS} {_WRITES}"


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


# No inline script; the only inline style is the letter's own, in the preview frame (a srcdoc
# frame shares this page's policy), allowed by its hash.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; "
    f"style-src 'self' {_csp_hash(LETTER_CSS)}; img-src 'self' data:; connect-src 'self'; "
    "frame-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


@cache
def _template() -> Template:
    return Template((STATIC / "index.html").read_text(encoding="utf-8"))


def app_page(request: Request, settings: Settings) -> HTMLResponse:
    phrases = app_sentences(settings.site)
    site = settings.site
    language = site.default_language
    screening = site.pathway.screening
    items = [(i.link_id, *i.said_in(language)) for i in screening.items]
    # Each question's short clinical name ("caudasyndroom"), for the list of open questions.
    short_names = catalogue(language).values["items"]
    data = {
        "phrases": phrases,
        "config": {
            "clientId": settings.app_client_id,
            "redirectUri": public_url_for(request, settings, "app_callback"),
            "home": public_url_for(request, settings, "app_home"),
            "ehrLaunchScope": EHR_LAUNCH_SCOPE,
            "standaloneScope": STANDALONE_SCOPE,
            "redFlags": list(SCREENING_RED_FLAG_ITEMS),
            # the red flags by their clinical names, as a positive screening names them
            "redFlagNames": dict(
                zip(
                    SCREENING_RED_FLAG_ITEMS,
                    red_flag_names(list(SCREENING_RED_FLAG_ITEMS), site),
                    strict=True,
                )
            ),
            "brochureUrl": site.brochure(language)[0],
            "returnUrl": settings.app_return_url,
            "items": [
                {
                    "linkId": link_id,
                    "text": text,
                    "explanation": explanation,
                    "short": short_names.get(link_id, text),
                }
                for link_id, text, explanation in items
            ],
        },
    }
    # JSON in a non-executed data block; "<" escaped so no "</script>" can end it early.
    blob = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    page = _template().substitute(
        {key.replace("-", "_"): html.escape(text) for key, text in phrases.items()},
        app_data=blob,
        lang=html.escape(language),
    )
    return HTMLResponse(page, headers=SECURITY_HEADERS)


def static_file(name: str) -> FileResponse:
    """One of the page's own files; any other name is not found."""
    if name not in _STATIC_FILES:
        raise HTTPException(404, "not found")
    return FileResponse(
        STATIC / name,
        media_type=_STATIC_FILES[name],
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"},
    )
