"""`GET /docs`: Swagger UI from the package itself, not from a CDN.

FastAPI's own /docs loads Swagger UI from jsdelivr, which a hospital workstation often cannot
reach. The files here come from the PyPI package swagger-ui-bundle-v2 (Swagger UI 5, which reads
OpenAPI 3.1; Apache-2.0), and the page may load nothing from anywhere else: its
Content-Security-Policy allows this service only, plus FastAPI's one inline script by its hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from importlib.resources.abc import Traversable
from typing import Final

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

SWAGGER_UI: Final[Traversable] = swagger_ui_path
router = APIRouter(include_in_schema=False)

ASSETS_PATH: Final = "/docs/assets"
ASSET_TYPES: Final = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _csp_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def content_security_policy(page: str) -> str:
    # Swagger UI's CSS inlines its icons as data: URIs; it fetches the OpenAPI from here. Who
    # may frame it is said for every answer in one place (app.SecurityHeadersMiddleware).
    scripts = " ".join(_csp_hash(s) for s in _INLINE_SCRIPT.findall(page))
    return (
        f"default-src 'none'; script-src 'self' {scripts}; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
        "object-src 'none'"
    )


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    root = str(request.scope.get("root_path", "")).rstrip("/")
    assets = root + ASSETS_PATH
    page = get_swagger_ui_html(
        openapi_url=root + str(request.app.openapi_url),
        title=f"{request.app.title} – API",
        swagger_js_url=f"{assets}/swagger-ui-bundle.js",
        swagger_css_url=f"{assets}/swagger-ui.css",
        swagger_favicon_url=f"{assets}/favicon-32x32.png",
    )
    html = bytes(page.body).decode()
    page.headers["Content-Security-Policy"] = content_security_policy(html)
    page.headers["Referrer-Policy"] = "no-referrer"
    return page


@cache
def _asset(name: str) -> bytes:
    return (SWAGGER_UI / name).read_bytes()


@router.get(ASSETS_PATH + "/{name}")
async def swagger_ui_asset(name: str) -> Response:
    if name not in ASSET_TYPES:  # only these files: never a path into the package
        raise HTTPException(404, "no such file")
    return Response(
        _asset(name),
        media_type=ASSET_TYPES[name],
        headers={"Cache-Control": "public, max-age=86400"},
    )
