"""/docs in a real browser (Debian's Chromium, driven by Playwright): Swagger UI renders the
operations and both bearer schemes under the page's policy, and no request leaves the service."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.servers import start_service

CHROMIUM = "/usr/bin/chromium"


# --- /docs without a CDN ------------------------------------------------------------------
@pytest.mark.slow
def test_swagger_ui_renders_in_chromium_under_its_policy_and_offline(tmp_path):
    """The page in a real browser: the operations and both bearer schemes show, no request
    leaves the service, and the browser reports no CSP violation or script error."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: `apt-get install -y chromium`", pytrace=False)
    service = start_service("http://127.0.0.1:9/fhir", tmp_path)  # the FHIR server is not used
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            try:
                page = browser.new_page()
                problems: list[str] = []
                elsewhere: list[str] = []
                page.on("console", lambda m: problems.append(m.text) if m.type == "error" else 0)
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.on(
                    "request",
                    lambda r: None if r.url.startswith(service.url) else elsewhere.append(r.url),
                )
                page.goto(f"{service.url}/docs")
                page.wait_for_selector(".opblock", timeout=20_000)
                assert page.locator(".opblock").count() >= 10
                page.locator(".btn.authorize").first.click()
                schemes = " ".join(page.locator(".modal-ux h4").all_inner_texts())
                assert "callerToken" in schemes and "cdsClientJwt" in schemes
            finally:
                browser.close()
    finally:
        service.stop()
    assert problems == []
    assert [url for url in elsewhere if not url.startswith("data:")] == []
