"""Typed settings from ``ELEARN_*`` environment variables and an optional ``.env`` file.

A bad value stops the process with one line naming the variable and what it expects. Secret
values never appear in a repr, a log line or an error message.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import secrets
import stat
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec
from dotenv import dotenv_values

from elearn.application.links import LESSON_ID, FrontEndLinks

PREFIX = "ELEARN_"
# Variables read by the test suite, not by the application.
_IGNORED_PREFIXES = ("ELEARN_TEST_",)
# The development default of earlier versions: public, so refused everywhere.
PUBLISHED_JWT_SECRET = "dev-only-insecure-jwt-secret-change-me-0000"  # noqa: S105
# Left unset outside production, these are generated once and kept under var/secrets/.
GENERATED_SECRETS = ("jwt_secret", "media_signing_key")
# Generated outside production too; production without one sends no Web Push.
GENERATED_OUTSIDE_PRODUCTION = ("push_vapid_private_key",)
_MIN_SECRET_CHARS = 32
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
SECRET_FIELDS = frozenset(
    {
        "jwt_secret",
        "jwt_previous_secrets",
        "smtp_password",
        "stripe_secret_key",
        "stripe_webhook_secret",
        "media_signing_key",
        "push_vapid_private_key",
    }
)

Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
PositiveInt = Annotated[int, msgspec.Meta(ge=1)]
# A support deadline: a minute to 90 days.
SupportMinutes = Annotated[int, msgspec.Meta(ge=1, le=90 * 24 * 60)]


class SettingsError(Exception):
    """One line naming the variable and what it expects."""


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    env: Literal["development", "test", "production"] = "development"
    app_name: str = "elearn"
    # Base of the API's own links (checkout, calendar feed, payouts' return). Unset, it is the
    # address `elearn serve` listens on (`load_settings(listen=...)`), else DEFAULT_PUBLIC_URL.
    public_url: str = DEFAULT_PUBLIC_URL
    # The front end people open from emails (unset: the public URL) and its pages.
    frontend_url: str = ""
    frontend_login_path: str = "/login"
    frontend_verify_email_path: str = "/verify-email"
    frontend_reset_password_path: str = "/reset-password"  # noqa: S105 - a page
    frontend_bookings_path: str = "/bookings"
    frontend_lesson_path: str = "/learn/lessons/{lesson_id}"
    frontend_earnings_path: str = "/earnings"
    frontend_course_invitations_path: str = "/teach/invitations"
    frontend_data_exports_path: str = "/account/data"
    frontend_notifications_path: str = "/notifications"
    frontend_messages_path: str = "/messages"
    var_dir: Annotated[str, msgspec.Meta(min_length=1)] = "var"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"

    database_url: str = ""
    database_pool_size: Annotated[int, msgspec.Meta(ge=1, le=500)] = 20
    database_echo: bool = False
    migrations_dir: str = ""
    redis_url: str = ""
    # Connections one process opens to Redis at most; more calls at once wait for one.
    redis_max_connections: Annotated[int, msgspec.Meta(ge=2, le=10_000)] = 100

    # Empty: generated into var/secrets/ outside production (see with_local_secrets).
    jwt_secret: Annotated[str, msgspec.Meta(min_length=32)] = ""
    # Keys that still verify access tokens (never sign): the secrets replaced within the last
    # access-token lifetime, so a rotation signs nobody out.
    jwt_previous_secrets: list[str] = msgspec.field(default_factory=list)
    jwt_access_ttl_seconds: Annotated[int, msgspec.Meta(ge=60, le=86_400)] = 900
    jwt_refresh_ttl_seconds: Annotated[int, msgspec.Meta(ge=3_600)] = 30 * 86_400
    media_signing_key: str = ""
    jwt_issuer: str = "elearn"
    jwt_audience: str = "elearn-api"
    one_time_token_minutes: Annotated[int, msgspec.Meta(ge=1, le=1440)] = 10
    refresh_idle_days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 7
    # Failed sign-ins per client address (IPv6: per /64), per account from unknown devices,
    # and per known device; a known device's token lasts login_device_days.
    login_attempts_per_ip: Annotated[int, msgspec.Meta(ge=1)] = 20
    login_attempts_per_account: Annotated[int, msgspec.Meta(ge=1)] = 10
    login_attempts_per_device: Annotated[int, msgspec.Meta(ge=1)] = 10
    login_device_days: Annotated[int, msgspec.Meta(ge=1, le=3650)] = 90
    login_window_seconds: Annotated[int, msgspec.Meta(ge=1)] = 900
    emails_per_account_per_hour: Annotated[int, msgspec.Meta(ge=1)] = 5
    require_2fa_for_staff: bool = False
    # Argon2id cost of new password hashes (OWASP's floor, m=19 MiB t=2, is the least allowed in
    # production; test suites lower it to save seconds per account).
    password_hash_time_cost: Annotated[int, msgspec.Meta(ge=1, le=10)] = 2
    password_hash_memory_kib: Annotated[int, msgspec.Meta(ge=8, le=1_048_576)] = 19 * 1024
    # Catalog: approving a course also publishes it; prices in filters without a currency.
    publish_courses_on_approval: bool = False
    default_currency: Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")] = "USD"
    # How long another API process may serve a catalog page or course that changed (0: no cache).
    catalog_cache_seconds: Annotated[float, msgspec.Meta(ge=0, le=300)] = 1.0
    # How long a viewer's dashboard may be answered again without reading the rollups (0: only
    # identical requests at the same moment share one answer). A recount in this process
    # forgets them at once.
    analytics_cache_seconds: Annotated[float, msgspec.Meta(ge=0, le=300)] = 10.0
    # A TrueType font for certificate PDFs, so names in any script print (default: Latin-1 only).
    certificate_font: str = ""
    # How long a signed lesson-media URL stays valid.
    media_url_seconds: Annotated[int, msgspec.Meta(ge=30, le=3600)] = 300
    # How long a one-time link to a private file (a submitted file) may wait for its one use.
    media_one_time_link_seconds: Annotated[int, msgspec.Meta(ge=10, le=600)] = 60
    # Proxies whose X-Forwarded-For is believed (IPs or CIDR networks); nobody else's is.
    trusted_proxies: list[str] = msgspec.field(default_factory=list)

    cors_allowed_origins: list[str] = msgspec.field(default_factory=list)
    # Where a checkout may send the buyer back (origins); none given: the public URL's and the
    # CORS origins (the front ends).
    checkout_return_origins: list[str] = msgspec.field(default_factory=list)
    max_request_body_bytes: PositiveInt = 1024 * 1024

    # Web Push: the VAPID private key (a raw P-256 key, base64url, as web-push tools print it;
    # generated into var/secrets/ outside production, unset in production: no push), who the
    # push services may contact about it (mailto: or https:), and the push services a browser's
    # subscription may name (domains; an exact origin such as http://127.0.0.1:9000 for tests).
    push_vapid_private_key: str = ""
    push_vapid_subject: str = ""
    push_services: list[str] = msgspec.field(
        default_factory=lambda: [
            "fcm.googleapis.com",
            "updates.push.services.mozilla.com",
            "notify.windows.com",
            "push.apple.com",
        ]
    )
    mail_backend: Literal["file", "smtp"] = "file"
    mail_sender: str = "elearn <no-reply@elearn.localhost>"
    mail_outbox_dir: str = ""
    smtp_host: str = ""
    smtp_port: Port = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_security: Literal["none", "starttls", "tls"] = "starttls"

    payments_backend: Literal["sandbox", "stripe"] = "sandbox"
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    # Where the Stripe client sends its calls (tests point it at a fake on loopback).
    stripe_api_base: str = ""
    # The platform's share of a sale in basis points (1500 = 15%); the tutor gets the rest.
    platform_fee_bps: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 1_500
    # Days before a course sale's tutor share moves from pending to available.
    earnings_clearing_days: Annotated[int, msgspec.Meta(ge=0, le=365)] = 7
    # The least a tutor may withdraw, and the most one top-up may add, in major units.
    minimum_withdrawal: Annotated[int, msgspec.Meta(ge=1)] = 10
    maximum_topup: Annotated[int, msgspec.Meta(ge=1)] = 1_000
    # Tutoring: the cancellation policy copied onto each new booking, and lesson rooms.
    cancellation_cutoff_hours: Annotated[int, msgspec.Meta(ge=0, le=336)] = 24
    refund_percent_before_cutoff: Annotated[int, msgspec.Meta(ge=0, le=100)] = 100
    refund_percent_after_cutoff: Annotated[int, msgspec.Meta(ge=0, le=100)] = 0
    lesson_auto_complete_hours: Annotated[int, msgspec.Meta(ge=1, le=720)] = 24
    # Unpaid holds one student may keep at once, overall and with one tutor.
    unpaid_holds_per_student: Annotated[int, msgspec.Meta(ge=1, le=100)] = 3
    unpaid_holds_per_tutor: Annotated[int, msgspec.Meta(ge=1, le=100)] = 2
    # How long before a lesson its two people see the meeting link (until the lesson ends).
    meeting_link_lead_minutes: Annotated[int, msgspec.Meta(ge=0, le=1440)] = 15
    video_room_base: str = "https://meet.jit.si/elearn"

    storage_dir: str = ""

    # Privacy: days between asking to be erased and the erasure; days an export archive is kept.
    erasure_grace_days: Annotated[int, msgspec.Meta(ge=0, le=365)] = 14
    data_export_days: Annotated[int, msgspec.Meta(ge=1, le=90)] = 7
    # Reporting: days a staff report's file is kept for download.
    report_keep_days: Annotated[int, msgspec.Meta(ge=1, le=90)] = 7

    # Community: threads, replies and lesson comments one person may post per window.
    forum_posts_per_window: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 30
    forum_post_window_seconds: Annotated[int, msgspec.Meta(ge=1, le=86_400)] = 600
    # The realtime socket: a ticket's lifetime; the heartbeat the server sends (a socket's
    # presence lapses after two missed ones); sockets one person may hold at once; events kept
    # per person for a socket that resumes, and for how long; frames a socket may have waiting
    # to be sent before it is dropped as too slow; client messages a socket may send a minute.
    realtime_ticket_seconds: Annotated[int, msgspec.Meta(ge=5, le=300)] = 30
    realtime_heartbeat_seconds: Annotated[float, msgspec.Meta(ge=0.05, le=300)] = 25.0
    realtime_sockets_per_person: Annotated[int, msgspec.Meta(ge=1, le=100)] = 5
    realtime_history_per_person: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 100
    realtime_history_seconds: Annotated[int, msgspec.Meta(ge=60, le=30 * 86_400)] = 86_400
    realtime_socket_backlog: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 256
    realtime_client_messages_per_minute: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 120

    # Conversations: messages one person may send a minute; minutes a message stays unread
    # before it is emailed in a digest.
    messages_per_minute: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 30
    message_digest_delay_minutes: Annotated[int, msgspec.Meta(ge=1, le=1440)] = 15
    # Support desk: per priority, minutes until the first answer and until the resolution are
    # due; days a resolved ticket may be reopened; days a ticket waits on its customer before it
    # is closed, and the hours before that the customer is warned; a new agent's capacity.
    support_first_response_minutes_urgent: SupportMinutes = 60
    support_first_response_minutes_high: SupportMinutes = 4 * 60
    support_first_response_minutes_medium: SupportMinutes = 8 * 60
    support_first_response_minutes_low: SupportMinutes = 24 * 60
    support_resolution_minutes_urgent: SupportMinutes = 4 * 60
    support_resolution_minutes_high: SupportMinutes = 24 * 60
    support_resolution_minutes_medium: SupportMinutes = 3 * 24 * 60
    support_resolution_minutes_low: SupportMinutes = 5 * 24 * 60
    support_reopen_days: Annotated[int, msgspec.Meta(ge=0, le=90)] = 7
    support_auto_close_days: Annotated[int, msgspec.Meta(ge=1, le=90)] = 7
    support_auto_close_warning_hours: Annotated[int, msgspec.Meta(ge=0, le=24 * 90)] = 24
    support_agent_capacity: Annotated[int, msgspec.Meta(ge=0, le=50)] = 5

    jobs_max_retries: Annotated[int, msgspec.Meta(ge=0, le=100)] = 8
    jobs_min_backoff_ms: PositiveInt = 1_000
    jobs_max_backoff_ms: PositiveInt = 15 * 60_000
    jobs_in_process_threads: Annotated[int, msgspec.Meta(ge=1, le=64)] = 2

    # ---- derived values -------------------------------------------------------------------
    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def effective_database_url(self) -> str:
        return (
            self.database_url or f"sqlite+aiosqlite:///{(self.var_path / 'elearn.db').as_posix()}"
        )

    @property
    def var_path(self) -> Path:
        return Path(self.var_dir)

    @property
    def effective_mail_outbox_dir(self) -> Path:
        return Path(self.mail_outbox_dir) if self.mail_outbox_dir else self.var_path / "outbox"

    @property
    def front_end(self) -> FrontEndLinks:
        """Where emails send people: pages of the front end, never an API URL."""
        return FrontEndLinks(
            base_url=self.frontend_url or self.public_url,
            login_path=self.frontend_login_path,
            verify_email_path=self.frontend_verify_email_path,
            reset_password_path=self.frontend_reset_password_path,
            bookings_path=self.frontend_bookings_path,
            lesson_path=self.frontend_lesson_path,
            earnings_path=self.frontend_earnings_path,
            course_invitations_path=self.frontend_course_invitations_path,
            data_exports_path=self.frontend_data_exports_path,
            notifications_path=self.frontend_notifications_path,
            messages_path=self.frontend_messages_path,
        )

    @property
    def effective_storage_dir(self) -> Path:
        return Path(self.storage_dir) if self.storage_dir else self.var_path / "files"

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self.redacted().items())
        return f"Settings({shown})"

    __str__ = __repr__

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        # msgspec's own would show every field as it is, secrets included, to rich and structlog.
        return list(self.redacted().items())

    def redacted(self) -> dict[str, Any]:
        """Every setting, with secrets masked and passwords removed from URLs: safe to log."""
        values = msgspec.structs.asdict(self)
        for name in SECRET_FIELDS:
            if values.get(name):
                values[name] = "***"
        for name in ("database_url", "redis_url"):
            values[name] = _mask_url_password(values[name])
        return values


# Scheme, host (a name, an IPv4 address or a bracketed IPv6 one), optional port and path.
_WEB_URL = re.compile(r"https?://(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?(?:/[^\s?#]*)?")
_QUERY_PASSWORD = re.compile(r"(?i)([?&](?:password|passwd|pwd)=)[^&#]*")


def _mask_url_password(url: str) -> str:
    """Masks ``user:password@`` and a ``password=`` query parameter.

    The password ends at the *last* ``@``: a password with an unencoded ``@``, ``/`` or ``:``
    is still masked whole. When unsure, more is hidden rather than less.
    """
    scheme, separator, rest = url.partition("://")
    if separator and "@" in rest:
        userinfo, _, host_and_path = rest.rpartition("@")
        username, colon, _password = userinfo.partition(":")
        if colon and "/" not in username:
            url = f"{scheme}://{username}:***@{host_and_path}"
    return _QUERY_PASSWORD.sub(r"\1***", url)


def listen_url(host: str, port: int) -> str:
    """The URL of a server listening on ``host:port``; a wildcard address is reached on this
    machine's loopback (set ELEARN_PUBLIC_URL when others reach it by another name)."""
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - naming the wildcard, not binding it
        host = "127.0.0.1" if host != "::" else "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    env_file: Path | None = Path(".env"),
    listen: tuple[str, int] | None = None,
) -> Settings:
    """Reads ``ELEARN_*`` variables (the environment wins over ``env_file``) and validates them.
    ``listen`` is the address a server of this process listens on: the public URL unless
    ELEARN_PUBLIC_URL says otherwise."""
    source: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        try:
            values = dotenv_values(env_file, encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise SettingsError(f"{env_file}: cannot be read ({type(error).__name__})") from None
        source.update({k: v for k, v in values.items() if v is not None})
    source.update(os.environ if environ is None else environ)

    raw: dict[str, Any] = {}
    fields = {field.name: field for field in msgspec.structs.fields(Settings)}
    for key, value in source.items():
        if not key.startswith(PREFIX) or key.startswith(_IGNORED_PREFIXES):
            continue
        name = key[len(PREFIX) :].lower()
        if name not in fields:
            close = difflib.get_close_matches(name, fields, n=1)
            hint = f"did you mean {PREFIX}{close[0].upper()}?" if close else "see README.md"
            raise SettingsError(f"{key}: not a known setting ({hint})")
        if name in (
            "cors_allowed_origins",
            "trusted_proxies",
            "checkout_return_origins",
            "jwt_previous_secrets",
        ):
            raw[name] = [item.strip() for item in value.split(",") if item.strip()]
        else:
            raw[name] = value

    if listen is not None and not raw.get("public_url"):
        raw["public_url"] = listen_url(*listen)
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as error:
        raise SettingsError(_describe(error, raw)) from None
    _check_coherence(settings)
    return settings


_AT_FIELD = re.compile(r"\s*-\s*at `\$\.(\w+)`")
_SHOWN_VALUE_LENGTH = 40


def _describe(error: msgspec.ValidationError, raw: Mapping[str, Any]) -> str:
    match = _AT_FIELD.search(str(error))
    if not match:
        return f"invalid settings: {error}"
    name = match.group(1)
    message = f"{PREFIX}{name.upper()}: expected {_expected(name)}"
    if name in SECRET_FIELDS:
        return message
    return f"{message}, got {_shown(raw.get(name))}"


def _shown(value: object) -> str:
    """The value as given, on one line and short enough to read."""
    if isinstance(value, str) and len(value) > _SHOWN_VALUE_LENGTH:
        return f"{value[:_SHOWN_VALUE_LENGTH]!r}... ({len(value)} characters)"
    return repr(value)


def _expected(name: str) -> str:
    hint = typing.get_type_hints(Settings, include_extras=True)[name]
    constraints: dict[str, Any] = {}
    if typing.get_origin(hint) is Annotated:
        hint, *metadata = typing.get_args(hint)
        for meta in metadata:
            if isinstance(meta, msgspec.Meta):
                constraints.update({key: getattr(meta, key) for key in ("ge", "le", "min_length")})
    if typing.get_origin(hint) is Literal:
        return "one of " + ", ".join(str(choice) for choice in typing.get_args(hint))
    if hint is bool:
        return "true or false"
    if hint is int:
        low, high = constraints.get("ge"), constraints.get("le")
        if low is not None and high is not None:
            return f"an integer from {low} to {high}"
        if low is not None:
            return f"an integer of at least {low}"
        if high is not None:
            return f"an integer of at most {high}"
        return "an integer"
    if hint is str and constraints.get("min_length"):
        minimum = constraints["min_length"]
        return "a non-empty value" if minimum == 1 else f"at least {minimum} characters"
    return "a valid value"


def _check_coherence(settings: Settings) -> None:
    if settings.support_auto_close_warning_hours >= settings.support_auto_close_days * 24:
        raise SettingsError(
            "ELEARN_SUPPORT_AUTO_CLOSE_WARNING_HOURS: the warning comes before the closing (less "
            f"than {settings.support_auto_close_days * 24} hours, ELEARN_SUPPORT_AUTO_CLOSE_DAYS)"
        )
    for proxy in settings.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise SettingsError(
                f"ELEARN_TRUSTED_PROXIES: expected IP addresses or networks, got {proxy[:40]!r}"
            ) from None
    for origin in settings.checkout_return_origins:
        parts = urlsplit(origin)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or "@" in parts.netloc
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
        ):
            raise SettingsError(
                "ELEARN_CHECKOUT_RETURN_ORIGINS: expected origins like https://shop.example, "
                f"got {origin[:40]!r}"
            )
    if settings.mail_backend == "smtp" and not settings.smtp_host:
        raise SettingsError("ELEARN_SMTP_HOST: required when ELEARN_MAIL_BACKEND=smtp")
    if settings.payments_backend == "stripe" and not (
        settings.stripe_secret_key and settings.stripe_webhook_secret
    ):
        raise SettingsError(
            "ELEARN_STRIPE_SECRET_KEY and ELEARN_STRIPE_WEBHOOK_SECRET: required when "
            "ELEARN_PAYMENTS_BACKEND=stripe"
        )
    for url_name in ("public_url", "frontend_url"):
        url = getattr(settings, url_name)
        if url and not _WEB_URL.fullmatch(url):
            raise SettingsError(
                f"{PREFIX}{url_name.upper()}: expected an http(s) URL like "
                f"https://elearn.example.com, got {_shown(url)}"
            )
    for field in msgspec.structs.fields(Settings):
        if field.name.startswith("frontend_") and field.name.endswith("_path"):
            path = getattr(settings, field.name)
            if not path.startswith("/") or any(char.isspace() for char in path):
                raise SettingsError(
                    f"{PREFIX}{field.name.upper()}: expected a path starting with /, "
                    f"got {_shown(path)}"
                )
    if LESSON_ID not in settings.frontend_lesson_path:
        raise SettingsError(
            f"ELEARN_FRONTEND_LESSON_PATH: expected a path with {LESSON_ID} in it, "
            f"got {_shown(settings.frontend_lesson_path)}"
        )
    for url_name in ("database_url", "redis_url"):
        url = getattr(settings, url_name)
        if url and "://" not in url:
            raise SettingsError(
                f"{PREFIX}{url_name.upper()}: expected a URL like scheme://host/..."
            )
    if settings.database_url and not settings.database_url.startswith(
        ("sqlite+aiosqlite://", "postgresql+asyncpg://")
    ):
        raise SettingsError(
            "ELEARN_DATABASE_URL: expected sqlite+aiosqlite:///path or postgresql+asyncpg://..."
        )
    if PUBLISHED_JWT_SECRET in (settings.jwt_secret, *settings.jwt_previous_secrets):
        raise SettingsError(
            "ELEARN_JWT_SECRET: this is the public example value of earlier versions; "
            "set a secret of your own (32+ characters) or leave it unset outside production"
        )
    if any(len(previous) < _MIN_SECRET_CHARS for previous in settings.jwt_previous_secrets):
        raise SettingsError(
            "ELEARN_JWT_PREVIOUS_SECRETS: expected comma-separated secrets of 32+ characters"
        )
    if not settings.is_production:
        return
    if not settings.jwt_secret:
        raise SettingsError(
            "ELEARN_JWT_SECRET: set a secret of your own (32+ characters) in production"
        )
    if not settings.database_url.startswith("postgresql+asyncpg://"):
        raise SettingsError(
            "ELEARN_DATABASE_URL: production runs on PostgreSQL (postgresql+asyncpg://...)"
        )
    if settings.mail_backend != "smtp":
        raise SettingsError(
            "ELEARN_MAIL_BACKEND: production sends mail over SMTP (set smtp and ELEARN_SMTP_HOST)"
        )
    if settings.payments_backend != "stripe":
        raise SettingsError(
            "ELEARN_PAYMENTS_BACKEND: production takes payments through Stripe "
            "(set stripe and its keys)"
        )
    if settings.password_hash_time_cost < 2 or settings.password_hash_memory_kib < 19 * 1024:
        raise SettingsError(
            "ELEARN_PASSWORD_HASH_TIME_COST / _MEMORY_KIB: production hashes passwords at least "
            "at OWASP's argon2id minimum (time cost 2, 19456 KiB)"
        )
    if len(settings.media_signing_key) < 32:
        raise SettingsError(
            "ELEARN_MEDIA_SIGNING_KEY: set a key of your own (32+ characters) in production"
        )


def with_local_secrets(settings: Settings) -> Settings:
    """The settings with every secret of ``GENERATED_SECRETS`` left unset replaced by one
    generated on first start and kept in ``var/secrets/`` (mode 0600), so the embedded default
    runs with keys nobody else knows and sessions survive a restart. Production never gets
    here without its own (``load_settings`` refuses)."""
    names = GENERATED_SECRETS + (() if settings.is_production else GENERATED_OUTSIDE_PRODUCTION)
    generated = {
        name: local_secret(settings.var_path / "secrets" / name)
        for name in names
        if not getattr(settings, name)
    }
    return msgspec.structs.replace(settings, **generated) if generated else settings


def local_secret(path: Path) -> str:
    """The secret kept at ``path``, created (256 random bits) if there is none yet. Processes
    starting together agree: the file appears whole or not at all (a hard link of a finished
    temporary file), and whoever comes second reads the first one's."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as file:
                file.write(secrets.token_urlsafe(32) + "\n")
            try:
                os.link(draft, path)
            except FileExistsError:
                pass
        finally:
            draft.unlink(missing_ok=True)
    try:
        mode = path.stat().st_mode
        value = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"{path}: cannot be read ({type(error).__name__})") from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SettingsError(f"{path}: others may read this secret; chmod 600 it")
    if len(value) < _MIN_SECRET_CHARS:
        raise SettingsError(f"{path}: expected a secret of 32+ characters; delete it to renew")
    return value
