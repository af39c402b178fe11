"""Settings, from the environment (FHIR_DISCHARGE_*), built once and injected; and the site, the
hospital the service writes letters for, read from its file (FHIR_DISCHARGE_SITE)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Final, Literal
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from .core.dead_letter import alert_owner_problem
from .core.i18n.catalogue import LANGUAGES
from .core.site import Site, SiteError, site_from_toml

# The site a service runs as when FHIR_DISCHARGE_SITE names none (shipped in the wheel).
DEFAULT_SITE_FILE: Final = Path(__file__).resolve().parent / "sites" / "uz-leuven.toml"


def load_site(path: str | Path) -> Site:
    """The site of a site file; SiteError naming the file and the key it lacks or cannot use."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise SiteError(f"{path}: cannot be read ({error.strerror or error})") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SiteError(f"{path}: not a TOML file ({error})") from None
    return site_from_toml(data, str(path))


_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-\[\]:]+/?")


class CdsClient(BaseModel):
    """An EHR allowed to call the CDS Hooks service, with where its public keys are and the FHIR
    servers its hook requests may name as `fhirServer`."""

    model_config = ConfigDict(extra="forbid")

    jwks_url: str | None = None
    jwks_file: str | None = None
    jku_allowed: list[str] = []
    # This EHR's own FHIR servers (base URLs; an entry ending in ":" is a scheme and host on any
    # port), so that EHR A cannot name EHR B's server and have the service read it with A's
    # token. None (unset): the one configured client inherits fhir_base_url and cds_fhir_servers,
    # as before this setting existed; with several clients each must name its own (settings
    # check). [] : the client's hooks may name no fhirServer (prefetch only).
    fhir_servers: list[str] | None = None

    @model_validator(mode="after")
    def _has_keys(self) -> CdsClient:
        if not self.jwks_url and not self.jwks_file and not self.jku_allowed:
            raise ValueError("a CDS client needs jwks_url, jwks_file or jku_allowed")
        return self


class Settings(BaseSettings):
    # hide_input_in_errors: a settings error at start never prints the values (tokens, URLs with
    # passwords), only which setting is wrong.
    model_config = SettingsConfigDict(
        env_prefix="FHIR_DISCHARGE_", env_file=None, hide_input_in_errors=True
    )

    fhir_base_url: str = "http://127.0.0.1:8090/fhir"
    fhir_timeout_seconds: float = 30.0
    # A bearer token for the FHIR server; read from the environment or a secrets file, never logged.
    fhir_bearer_token: SecretStr | None = None
    # How this service authenticates to the FHIR server (fhir_discharge/io/smart.py): "none" (a
    # fhir_bearer_token, if set, is still sent, as before this setting existed), "bearer" (the
    # fhir_bearer_token, required), "smart" (SMART Backend Services: client_credentials with a
    # private_key_jwt assertion; the smart_* settings below).
    fhir_auth: Literal["none", "bearer", "smart"] = "none"
    smart_client_id: str | None = None
    # Path of the PEM private key the client assertion is signed with; keep it outside the repo,
    # readable only by the service (e.g. a mounted secret).
    smart_private_key_file: str | None = None
    # The kid the public key is registered under (default: its RFC 7638 thumbprint).
    smart_key_id: str | None = None
    smart_algorithm: Literal["RS384", "ES384"] = "RS384"
    # SMART v2 scopes; a server that knows only v1 wants "system/*.read system/*.write".
    smart_scope: str = "system/*.rs system/*.c"
    # The token endpoint; by default read from {fhir_base_url}/.well-known/smart-configuration.
    smart_token_url: str | None = None
    # Who may call this service's patient-data endpoints (web/deps.py, web/security.py). With
    # none of these set, those endpoints answer 401: secure by default.
    # Static bearer tokens, for development (JSON list in the environment, or a file with one per
    # line); compared in constant time, never logged.
    api_tokens: list[SecretStr] = []
    api_tokens_file: str | None = None
    # JWT bearer tokens checked against a JWKS (a file, or a URL fetched and cached).
    api_jwks_file: str | None = None
    api_jwks_url: str | None = None
    api_jwt_audience: str | None = None
    api_jwt_issuer: str | None = None
    # A scope the JWT must carry (in its space-separated `scope` claim); 403 without it.
    api_required_scope: str | None = None
    # Where a system caller gets such a JWT (the authorization server behind the JWKS): declared
    # in /metadata (rest.security, the SMART oauth-uris extension), both or neither.
    api_oauth_authorize_url: str | None = None
    api_oauth_token_url: str | None = None
    # The longest a caller's JWT may live: `iat` and `exp` are required, exp - iat <= this.
    api_jwt_max_lifetime_seconds: int = 3600
    # The service's own base URL as callers reach it (https://discharge.example.org), used in
    # everything it answers that names itself (status URLs, /metadata, the CDS card's app link,
    # the app's redirect URI, the `aud` of CDS Hooks JWTs). Unset: the request's base URL when its
    # Host is a loopback address, else the address the connection reached; never another Host.
    public_base_url: str | None = None
    # CDS Hooks 2.0 clients (EHRs), by their JWT `iss`: {"<iss>": {"jwks_url": "...", or
    # "jwks_file": "...", "jku_allowed": ["<JWKS URL the EHR may name in a jku header>"]}}. When
    # set, the CDS Hooks call needs such a client's JWT (aud = public_base_url +
    # "/cds-services/lbp-discharge", a jti never seen before); unset, the api_* tokens as elsewhere.
    cds_clients: dict[str, CdsClient] = {}

    # A FHIR terminology server (its base URL, e.g. https://tx.example.org/fhir) that holds SNOMED
    # CT and the red-flag ValueSets of profiles/ (loaded by canonical URL and version): per
    # discharge, the SNOMED CT codes of the record the listed concepts do not match are asked
    # whether they are in a red-flag category, i.e. a descendant of one of its concepts
    # (pathway.md, "SNOMED CT descendants"; io/terminology.py). Unset: the listed concepts only,
    # said at start-up (the residual risk: docs/safety/hazard-log.md).
    terminology_server: str | None = None
    # The most one discharge waits for the terminology server, all its requests together. Past
    # it, or when the server cannot answer, the discharge is refused with 503 and nothing is
    # written: a red flag the server would have found is never let through unasked.
    terminology_deadline_seconds: float = 5.0
    # How long an answer of the terminology server is reused (an in-process LRU, per code and
    # red-flag category); 0: never reused.
    terminology_cache_seconds: float = 3600.0

    # Who is alerted when a discharge does not reach the record (refused by the FHIR server, an
    # identity conflict there, or not taken after max_delivery_attempts): a Task for this owner
    # is written to the FHIR server (core/dead_letter.py), e.g. the ED secretariat's
    # `Organization/{id}` or a `PractitionerRole/{id}` there. Unset: no one is alerted (the
    # failure is logged at ERROR and counted), said at start-up.
    dead_letter_alert_owner: str | None = None

    @field_validator("dead_letter_alert_owner")
    @classmethod
    def _alert_owner_reference(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        problem = alert_owner_problem(value.strip())
        if problem is not None:
            raise ValueError(f"dead_letter_alert_owner {problem}")
        return value.strip()

    @field_validator("outbox_retention_days")
    @classmethod
    def _positive_retention(cls, value: float) -> float:
        if not value > 0:
            raise ValueError("outbox_retention_days must be more than 0")
        return value

    @field_validator("app_frame_ancestors")
    @classmethod
    def _origins(cls, values: list[str]) -> list[str]:
        # Each goes into a header as it is: an origin and nothing else (no path, no ";" or ",").
        for value in values:
            parts = urlsplit(value)
            if (
                parts.scheme not in ("http", "https")
                or not parts.hostname
                or not _ORIGIN.fullmatch(value)
                or value.rstrip("/") != f"{parts.scheme}://{parts.netloc}"
            ):
                raise ValueError("app_frame_ancestors holds origins: scheme://host[:port]")
        return [value.rstrip("/") for value in values]

    @field_validator("public_base_url")
    @classmethod
    def _absolute_http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise ValueError("public_base_url must be an absolute http(s) URL, without a query")
        return value.rstrip("/")

    @field_validator("app_return_url")
    @classmethod
    def _return_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("app_return_url must be an absolute http(s) URL")
        return value.strip()

    @field_validator("terminology_server")
    @classmethod
    def _terminology_base_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.query
            or parts.fragment
            or parts.username is not None
            or parts.password is not None
        ):
            raise ValueError(
                "terminology_server must be an absolute http(s) FHIR base URL, without "
                "credentials, a query or a fragment"
            )
        return value.strip().rstrip("/")

    @field_validator("terminology_deadline_seconds")
    @classmethod
    def _positive_deadline(cls, value: float) -> float:
        if not 0 < value <= 120:
            raise ValueError("terminology_deadline_seconds must be more than 0 and at most 120")
        return value

    @field_validator("terminology_cache_seconds")
    @classmethod
    def _cache_not_negative(cls, value: float) -> float:
        if value < 0:
            raise ValueError("terminology_cache_seconds must not be negative")
        return value

    @field_validator("language")
    @classmethod
    def _a_catalogue_language(cls, value: str | None) -> str | None:
        # Else every discharge would fail on a catalogue that does not exist (a 500, issue 21).
        if value is not None and value not in LANGUAGES:
            raise ValueError(f"language must be one of the catalogues' languages {list(LANGUAGES)}")
        return value

    @model_validator(mode="after")
    def _site_readable(self) -> Settings:
        try:
            site = load_site(self.site_file or DEFAULT_SITE_FILE)
            self._site = site.speaking(self.language) if self.language else site
        except SiteError as error:
            raise ValueError(f"FHIR_DISCHARGE_SITE: {error}") from None
        return self

    @property
    def site(self) -> Site:
        """The site the service runs as, in the language the settings give it."""
        assert self._site is not None  # set by the validator
        return self._site

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        # A half-configured deployment would start and then fail, or worse pass, at each call:
        # refuse to start instead, naming the variables to set.
        problems = settings_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # CDS Hooks: FHIR servers (base URLs; a value ending in ":" is a scheme+host prefix, e.g.
    # "http://127.0.0.1:") a hook request's fhirServer may name, besides fhir_base_url.
    cds_fhir_servers: list[str] = []
    # The physician's SMART on FHIR app (fhir_discharge/web/physician_app/, served under /app/).
    # Its launch URL, as the CDS Hooks card's `smart` link names it (absolute; default: this
    # service's own /app/launch on its public base URL, public_base_url).
    app_launch_url: str | None = None
    # The app's client_id at the EHR's authorization server (a public client: PKCE, no secret).
    app_client_id: str = "fhir-discharge-app"
    # The FHIR servers (base URLs; a value ending in ":" is a scheme+host prefix) a launch's `iss`
    # may name, besides fhir_base_url: the app reads and writes there with the physician's token.
    # They are the EHR's FHIR endpoints onto the record fhir_base_url holds (the same ids): the
    # app's discharge reads that encounter from fhir_base_url, and refuses if its patient is not
    # the launch's.
    app_fhir_servers: list[str] = []
    # How long the app's session (the opaque handle the browser holds in place of the SMART
    # access token, web/physician_app/) lives at most; never longer than that token.
    app_session_seconds: int = Field(default=900, ge=30, le=12 * 3600)
    # The EHR origins (scheme://host[:port]) that may frame the app's pages (SMART apps are often
    # embedded in the EHR): Content-Security-Policy frame-ancestors. Empty: no one ('none').
    app_frame_ancestors: list[str] = []
    # Where "Terug naar het EPD" takes the physician (an absolute http(s) URL the hospital's EHR
    # opens its own screen at). SMART App Launch defines no return URL; without one the app
    # closes its window (an EHR that opened it as a window), or says it may be closed.
    app_return_url: str | None = None
    # A context Bundle's record (Patient, physicians, hospital, Encounter, diagnosis, screening...)
    # always travels with the letter as conditional creates on business identifiers (carry.py).
    # `false` (reference the record by id on a server that is not its source, where the ids may
    # be somebody else's) is no longer allowed: the service refuses to start with it.
    carry_record: bool = True
    # The hospital the service writes letters for (fhir_discharge/sites/*.toml, core/site.py): its
    # name, address and phone numbers, its spine programme and brochure, the canonical base of its
    # definitions. A missing or malformed key stops the service at start-up, naming it.
    site_file: str | None = Field(
        default=None, validation_alias=AliasChoices("site_file", "FHIR_DISCHARGE_SITE")
    )
    # Overrides the site's default language (the letter's when the GP's Practitioner names none
    # the catalogues speak, the physician's app's and the CDS card's): one of the catalogues'
    # (core/i18n/*.toml). Unset: the site file's.
    language: str | None = None
    _site: Site | None = PrivateAttr(default=None)
    max_body_bytes: int = 1_000_000
    # The durable outbox (SQLite file): accepted discharges survive a crash or a FHIR outage.
    outbox_path: str = "var/outbox.sqlite3"
    # A PostgreSQL outbox instead (e.g. postgresql://user@127.0.0.1:5432/db), shared by several
    # service replicas; needs the [postgres] extra. When set, outbox_path is not used. A secret
    # (it may carry a password): never logged.
    outbox_url: SecretStr | None = None
    # How long a delivered discharge keeps its payload (the transaction: the patient's record and
    # the letter) in the outbox, in days; then it is emptied, its state, ids and where each
    # resource landed kept. The letters it wrote stay recorded (for `$document`) for ever.
    outbox_retention_days: float = 7.0
    # How long a discharge request waits for delivery before answering 202 with a status URL.
    sync_wait_seconds: float = 10.0
    # After this many failed deliveries an item is dead-lettered (kept, visible, re-drivable).
    max_delivery_attempts: int = 8
    delivery_base_delay_seconds: float = 1.0


def _env(*names: str) -> str:
    return " and ".join(f"FHIR_DISCHARGE_{name.upper()}" for name in names)


def settings_problems(settings: Settings) -> list[str]:
    """The cross-field rules the settings break, each naming the environment variables."""
    s, problems = settings, []
    if s.fhir_auth == "bearer" and s.fhir_bearer_token is None:
        problems.append(f"FHIR_DISCHARGE_FHIR_AUTH=bearer needs {_env('fhir_bearer_token')}")
    smart = ("smart_client_id", "smart_private_key_file", "smart_key_id", "smart_token_url")
    if s.fhir_auth == "smart":
        missing = [name for name in smart[:2] if not getattr(s, name)]
        if missing:
            problems.append(f"FHIR_DISCHARGE_FHIR_AUTH=smart needs {_env(*missing)}")
    elif given := [name for name in smart if getattr(s, name)]:
        problems.append(
            f"{_env(*given)} configure SMART Backend Services, which FHIR_DISCHARGE_FHIR_AUTH="
            f"{s.fhir_auth} does not use: set FHIR_DISCHARGE_FHIR_AUTH=smart (with "
            f"{_env(*smart[:2])}), or unset them"
        )
    if not s.carry_record:
        problems.append(
            f"{_env('carry_record')}=false is no longer supported: a context Bundle's record "
            "always travels with the letter (by id, it would be filed on whoever holds those ids "
            "on the FHIR server); unset it"
        )
    jwks = s.api_jwks_file or s.api_jwks_url
    if s.api_jwks_file and s.api_jwks_url:
        problems.append(f"set one of {_env('api_jwks_url')} or {_env('api_jwks_file')}, not both")
    if jwks and not s.api_jwt_audience:
        # Else a token the same issuer made for any other service would be accepted here.
        problems.append(f"a JWKS for caller JWTs needs {_env('api_jwt_audience')}")
    claims = ("api_jwt_audience", "api_jwt_issuer", "api_required_scope")
    if not jwks and (given := [name for name in claims if getattr(s, name)]):
        problems.append(
            f"{_env(*given)} check caller JWTs, which need {_env('api_jwks_url')} "
            f"or {_env('api_jwks_file')}"
        )
    oauth = ("api_oauth_authorize_url", "api_oauth_token_url")
    if (given := [name for name in oauth if getattr(s, name)]) and len(given) != len(oauth):
        problems.append(f"{_env(*oauth)} are declared together (the oauth-uris extension)")
    if given and not jwks:
        problems.append(f"{_env(*given)} name where JWTs of a JWKS are issued: set a JWKS too")
    if s.api_jwt_audience and s.api_jwt_audience.rstrip("/") in fhir_server_urls(s):
        # A token the EHR issued for its own FHIR server is no caller of this service.
        problems.append(
            f"{_env('api_jwt_audience')} names a FHIR server: it must name this service"
        )
    if len(s.cds_clients) > 1 and (
        unnamed := sorted(iss for iss, c in s.cds_clients.items() if c.fhir_servers is None)
    ):
        problems.append(
            "with several CDS clients each names its own fhir_servers (EHR A may not name EHR "
            f"B's server); missing for {', '.join(unnamed)}"
        )
    return problems


def fhir_server_urls(settings: Settings) -> set[str]:
    """The FHIR base URLs this service is configured with, exactly (not the any-port entries),
    without a trailing slash: tokens for them are the FHIR servers', not this service's."""
    named = [
        settings.fhir_base_url,
        *settings.app_fhir_servers,
        *settings.cds_fhir_servers,
        *(url for c in settings.cds_clients.values() for url in c.fhir_servers or []),
    ]
    return {url.rstrip("/") for url in named if not url.endswith(":")}
