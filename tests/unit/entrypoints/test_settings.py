"""Settings: typed values from ELEARN_* variables and .env, one-line errors, no leaked secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from elearn.entrypoints.settings import (
    PUBLISHED_JWT_SECRET,
    Settings,
    SettingsError,
    load_settings,
    with_local_secrets,
)

PROJECT_ROOT = Path(__file__).resolve().parents[3]

JWT_SECRET = "jwt-SECRET-value-0123456789-abcdefghij"
SMTP_PASSWORD = "smtp-PASSWORD-value-42"
STRIPE_SECRET_KEY = "sk_live_STRIPE-secret-key-value"
STRIPE_WEBHOOK_SECRET = "whsec_STRIPE-webhook-secret-value"
MEDIA_SIGNING_KEY = "media-SIGNING-key-value-0123456789-abcdef"
DB_PASSWORD = "db-PASSWORD-value"
REDIS_PASSWORD = "redis-PASSWORD-value"
SECRETS = [
    JWT_SECRET,
    SMTP_PASSWORD,
    STRIPE_SECRET_KEY,
    STRIPE_WEBHOOK_SECRET,
    MEDIA_SIGNING_KEY,
    DB_PASSWORD,
    REDIS_PASSWORD,
]

PRODUCTION = {
    "ELEARN_ENV": "production",
    "ELEARN_JWT_SECRET": JWT_SECRET,
    "ELEARN_DATABASE_URL": f"postgresql+asyncpg://elearn:{DB_PASSWORD}@db.internal:5432/elearn",
    "ELEARN_REDIS_URL": f"redis://:{REDIS_PASSWORD}@redis.internal:6379/0",
    "ELEARN_MAIL_BACKEND": "smtp",
    "ELEARN_SMTP_HOST": "smtp.internal",
    "ELEARN_SMTP_USERNAME": "mailer",
    "ELEARN_SMTP_PASSWORD": SMTP_PASSWORD,
    "ELEARN_PAYMENTS_BACKEND": "stripe",
    "ELEARN_STRIPE_SECRET_KEY": STRIPE_SECRET_KEY,
    "ELEARN_STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
    "ELEARN_MEDIA_SIGNING_KEY": MEDIA_SIGNING_KEY,
}


def load(environ: dict[str, str]) -> Settings:
    return load_settings(environ, env_file=None)


def error_for(environ: dict[str, str]) -> str:
    with pytest.raises(SettingsError) as caught:
        load(environ)
    return str(caught.value)


def assert_one_line(message: str) -> None:
    assert message and "\n" not in message and "\r" not in message
    assert "Traceback" not in message


# ---- good values -----------------------------------------------------------------------------
def test_defaults_load_without_any_variable() -> None:
    settings = load({})

    assert settings.env == "development"
    assert settings.database_pool_size == 20
    assert settings.effective_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.mail_backend == "file"
    assert settings.payments_backend == "sandbox"
    assert settings.cors_allowed_origins == []


def test_integers_are_read_from_text() -> None:
    settings = load(
        {
            "ELEARN_DATABASE_POOL_SIZE": "7",
            "ELEARN_SMTP_PORT": "2525",
            "ELEARN_JOBS_MAX_RETRIES": "0",
            "ELEARN_JWT_ACCESS_TTL_SECONDS": "60",
            "ELEARN_MAX_REQUEST_BODY_BYTES": "10485760",
        }
    )

    assert settings.database_pool_size == 7
    assert settings.smtp_port == 2525
    assert settings.jobs_max_retries == 0
    assert settings.jwt_access_ttl_seconds == 60
    assert settings.max_request_body_bytes == 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("TRUE", True), ("1", True), ("false", False), ("0", False)],
)
def test_booleans_are_read_from_text(text: str, expected: bool) -> None:
    assert load({"ELEARN_DATABASE_ECHO": text}).database_echo is expected


@pytest.mark.parametrize("env", ["development", "test"])
def test_literal_choices_are_accepted(env: str) -> None:
    settings = load(
        {
            "ELEARN_ENV": env,
            "ELEARN_LOG_LEVEL": "DEBUG",
            "ELEARN_LOG_FORMAT": "console",
            "ELEARN_SMTP_SECURITY": "tls",
        }
    )

    assert settings.env == env
    assert settings.log_level == "DEBUG"
    assert settings.log_format == "console"
    assert settings.smtp_security == "tls"


def test_cors_origins_are_a_comma_separated_list() -> None:
    settings = load(
        {"ELEARN_CORS_ALLOWED_ORIGINS": " https://app.example.com, https://m.example.com ,, "}
    )

    assert settings.cors_allowed_origins == ["https://app.example.com", "https://m.example.com"]


def test_empty_cors_list_means_no_origins() -> None:
    assert load({"ELEARN_CORS_ALLOWED_ORIGINS": ""}).cors_allowed_origins == []


def test_paths_are_derived_from_var_dir_unless_given(tmp_path: Path) -> None:
    derived = load({"ELEARN_VAR_DIR": str(tmp_path / "var")})
    given_dirs = load(
        {
            "ELEARN_VAR_DIR": str(tmp_path / "var"),
            "ELEARN_MAIL_OUTBOX_DIR": str(tmp_path / "mail"),
            "ELEARN_STORAGE_DIR": str(tmp_path / "files"),
        }
    )

    assert derived.var_path == tmp_path / "var"
    assert derived.effective_mail_outbox_dir == tmp_path / "var" / "outbox"
    assert derived.effective_storage_dir == tmp_path / "var" / "files"
    assert derived.effective_database_url == (
        f"sqlite+aiosqlite:///{(tmp_path / 'var' / 'elearn.db').as_posix()}"
    )
    assert given_dirs.effective_mail_outbox_dir == tmp_path / "mail"
    assert given_dirs.effective_storage_dir == tmp_path / "files"


def test_variables_without_the_prefix_are_ignored() -> None:
    assert load({"PATH": "/usr/bin", "DATABASE_URL": "nonsense"}).database_url == ""


def test_test_suite_variables_are_ignored() -> None:
    settings = load(
        {
            "ELEARN_TEST_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1/test",
            "ELEARN_TEST_ANYTHING": "x",
        }
    )

    assert settings.database_url == ""


# ---- bad values ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("variable", "value", "expects"),
    [
        ("ELEARN_DATABASE_POOL_SIZE", "abc", "an integer"),
        ("ELEARN_DATABASE_POOL_SIZE", "5.5", "an integer"),
        ("ELEARN_DATABASE_POOL_SIZE", "0", "from 1 to 500"),
        ("ELEARN_DATABASE_POOL_SIZE", "501", "from 1 to 500"),
        ("ELEARN_SMTP_PORT", "0", "from 1 to 65535"),
        ("ELEARN_SMTP_PORT", "65536", "from 1 to 65535"),
        ("ELEARN_SMTP_PORT", "smtp", "an integer"),
        ("ELEARN_JWT_REFRESH_TTL_SECONDS", "60", "at least 3600"),
        ("ELEARN_DATABASE_ECHO", "yes", "true or false"),
        ("ELEARN_ENV", "prod", "one of development, test, production"),
        ("ELEARN_LOG_LEVEL", "verbose", "one of DEBUG, INFO, WARNING, ERROR"),
        ("ELEARN_MAIL_BACKEND", "sendmail", "one of file, smtp"),
        ("ELEARN_VAR_DIR", "", "non-empty"),
    ],
)
def test_a_bad_value_names_the_variable_and_what_it_expects(
    variable: str, value: str, expects: str
) -> None:
    message = error_for({variable: value})

    assert_one_line(message)
    assert message.startswith(f"{variable}: ")
    assert expects in message
    assert repr(value) in message


def test_a_long_bad_value_is_shortened_in_the_message() -> None:
    message = error_for({"ELEARN_DATABASE_POOL_SIZE": "9" * 5000})

    assert_one_line(message)
    assert message.startswith("ELEARN_DATABASE_POOL_SIZE: ")
    assert len(message) < 200


def test_a_short_jwt_secret_is_refused_without_showing_it() -> None:
    message = error_for({"ELEARN_JWT_SECRET": "too-short-secret"})

    assert_one_line(message)
    assert message.startswith("ELEARN_JWT_SECRET: ")
    assert "32" in message
    assert "too-short-secret" not in message


def test_an_unknown_variable_is_refused_with_a_suggestion() -> None:
    message = error_for({"ELEARN_DATABSE_URL": "postgresql+asyncpg://u:p@h/db"})

    assert_one_line(message)
    assert message.startswith("ELEARN_DATABSE_URL: not a known setting")
    assert "ELEARN_DATABASE_URL" in message
    assert "u:p@h" not in message


def test_a_database_url_must_be_a_supported_driver() -> None:
    message = error_for({"ELEARN_DATABASE_URL": "mysql://root@localhost/elearn"})

    assert message.startswith("ELEARN_DATABASE_URL: ")


def test_a_url_without_a_scheme_is_refused() -> None:
    assert error_for({"ELEARN_REDIS_URL": "localhost:6379"}).startswith("ELEARN_REDIS_URL: ")


def test_smtp_backend_needs_a_host_in_any_environment() -> None:
    message = error_for({"ELEARN_MAIL_BACKEND": "smtp"})

    assert message.startswith("ELEARN_SMTP_HOST: ")


def test_stripe_backend_needs_both_keys_in_any_environment() -> None:
    message = error_for({"ELEARN_PAYMENTS_BACKEND": "stripe", "ELEARN_STRIPE_SECRET_KEY": "sk"})

    assert "ELEARN_STRIPE_WEBHOOK_SECRET" in message


# ---- secrets ---------------------------------------------------------------------------------
def test_repr_str_and_redacted_hide_every_secret() -> None:
    settings = load(PRODUCTION)
    shown = [repr(settings), str(settings), repr(settings.redacted())]
    shown.append(repr(list(settings.__rich_repr__())))

    for text in shown:
        for secret in SECRETS:
            assert secret not in text
    redacted = settings.redacted()
    assert redacted["jwt_secret"] == "***"
    assert redacted["smtp_password"] == "***"
    assert redacted["database_url"] == "postgresql+asyncpg://elearn:***@db.internal:5432/elearn"
    assert redacted["redis_url"] == "redis://:***@redis.internal:6379/0"
    assert redacted["smtp_username"] == "mailer"  # not a secret


def test_settings_values_stay_readable_by_the_application() -> None:
    settings = load(PRODUCTION)

    assert settings.jwt_secret == JWT_SECRET
    assert settings.database_url == PRODUCTION["ELEARN_DATABASE_URL"]


@pytest.mark.parametrize(
    "password", ["p@ss@word", "with/slash", "with:colon", "%40encoded", "p@ss/w:rd?x#y"]
)
def test_a_password_in_a_url_is_masked_whole(password: str) -> None:
    settings = load({"ELEARN_DATABASE_URL": f"postgresql+asyncpg://app:{password}@db:5432/el"})

    masked = settings.redacted()["database_url"]
    assert masked == "postgresql+asyncpg://app:***@db:5432/el"
    assert password not in repr(settings)


def test_a_password_in_a_url_query_is_masked() -> None:
    settings = load({"ELEARN_REDIS_URL": f"redis://cache:6379/0?password={REDIS_PASSWORD}&db=1"})

    assert settings.redacted()["redis_url"] == "redis://cache:6379/0?password=***&db=1"


def test_urls_without_a_password_are_shown_as_they_are() -> None:
    url = "postgresql+asyncpg://app@db:5432/el?ssl=require"

    assert load({"ELEARN_DATABASE_URL": url}).redacted()["database_url"] == url


def test_empty_secrets_are_shown_as_empty() -> None:
    assert load({}).redacted()["smtp_password"] == ""


# ---- .env file -------------------------------------------------------------------------------
def test_env_file_is_read(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# local settings\nELEARN_DATABASE_POOL_SIZE=3\nELEARN_LOG_FORMAT='console'\n",
        encoding="utf-8",
    )

    settings = load_settings({}, env_file=env_file)

    assert settings.database_pool_size == 3
    assert settings.log_format == "console"


def test_environment_overrides_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("ELEARN_DATABASE_POOL_SIZE=3\nELEARN_APP_NAME=from-file\n", "utf-8")

    settings = load_settings({"ELEARN_DATABASE_POOL_SIZE": "9"}, env_file=env_file)

    assert settings.database_pool_size == 9
    assert settings.app_name == "from-file"


def test_a_missing_env_file_is_fine(tmp_path: Path) -> None:
    assert load_settings({}, env_file=tmp_path / "absent.env").database_pool_size == 20


def test_a_typo_in_the_env_file_is_refused(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("ELEARN_LOG_LEVL=DEBUG\n", "utf-8")

    with pytest.raises(SettingsError, match=r"^ELEARN_LOG_LEVL: not a known setting"):
        load_settings({}, env_file=env_file)


def test_an_unreadable_env_file_is_a_settings_error(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(b"ELEARN_APP_NAME=\xff\xfe\n")

    with pytest.raises(SettingsError, match="cannot be read"):
        load_settings({}, env_file=env_file)


# ---- production ------------------------------------------------------------------------------
def test_a_complete_production_configuration_loads() -> None:
    settings = load(PRODUCTION)

    assert settings.is_production
    assert settings.effective_database_url == PRODUCTION["ELEARN_DATABASE_URL"]


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"ELEARN_JWT_SECRET": None}, "ELEARN_JWT_SECRET"),
        ({"ELEARN_JWT_SECRET": PUBLISHED_JWT_SECRET}, "ELEARN_JWT_SECRET"),
        ({"ELEARN_DATABASE_URL": None}, "ELEARN_DATABASE_URL"),
        ({"ELEARN_DATABASE_URL": "sqlite+aiosqlite:///var/elearn.db"}, "ELEARN_DATABASE_URL"),
        ({"ELEARN_MAIL_BACKEND": "file"}, "ELEARN_MAIL_BACKEND"),
        ({"ELEARN_MAIL_BACKEND": None}, "ELEARN_MAIL_BACKEND"),
        ({"ELEARN_SMTP_HOST": None}, "ELEARN_SMTP_HOST"),
        ({"ELEARN_PAYMENTS_BACKEND": "sandbox"}, "ELEARN_PAYMENTS_BACKEND"),
        ({"ELEARN_STRIPE_SECRET_KEY": None}, "ELEARN_STRIPE_SECRET_KEY"),
        ({"ELEARN_STRIPE_WEBHOOK_SECRET": None}, "ELEARN_STRIPE_WEBHOOK_SECRET"),
        ({"ELEARN_MEDIA_SIGNING_KEY": None}, "ELEARN_MEDIA_SIGNING_KEY"),
        ({"ELEARN_MEDIA_SIGNING_KEY": "short-key"}, "ELEARN_MEDIA_SIGNING_KEY"),
    ],
)
def test_production_refuses_an_unsafe_configuration(
    change: dict[str, str | None], variable: str
) -> None:
    environ = dict(PRODUCTION)
    for key, value in change.items():
        if value is None:
            environ.pop(key)
        else:
            environ[key] = value

    message = error_for(environ)

    assert_one_line(message)
    assert variable in message
    for secret in SECRETS:
        assert secret not in message


def test_the_development_defaults_are_fine_outside_production() -> None:
    settings = load({"ELEARN_ENV": "test"})

    assert settings.jwt_secret == ""  # generated into the var directory on start
    assert not settings.is_production


# ---- secrets of the embedded default (issue 15, finding 1) -------------------------------------
def test_the_published_secret_of_earlier_versions_is_refused_everywhere() -> None:
    for environ in (
        {"ELEARN_JWT_SECRET": PUBLISHED_JWT_SECRET},
        {"ELEARN_ENV": "test", "ELEARN_JWT_SECRET": PUBLISHED_JWT_SECRET},
        {"ELEARN_JWT_PREVIOUS_SECRETS": PUBLISHED_JWT_SECRET},
    ):
        message = error_for(environ)
        assert_one_line(message)
        assert message.startswith("ELEARN_JWT_SECRET: ") and PUBLISHED_JWT_SECRET not in message


def test_unset_secrets_are_generated_once_private_and_kept(tmp_path: Path) -> None:
    settings = load({"ELEARN_VAR_DIR": str(tmp_path / "var")})

    started = with_local_secrets(settings)

    assert len(started.jwt_secret) >= 32 and len(started.media_signing_key) >= 32
    assert started.jwt_secret != started.media_signing_key
    assert PUBLISHED_JWT_SECRET not in (started.jwt_secret, started.media_signing_key)
    kept = tmp_path / "var" / "secrets" / "jwt_secret"
    assert kept.read_text().strip() == started.jwt_secret
    assert (kept.stat().st_mode & 0o777) == 0o600
    assert (kept.parent.stat().st_mode & 0o077) == 0
    # A restart reuses them, so sessions survive it; another installation has its own.
    assert with_local_secrets(settings) == started
    elsewhere = with_local_secrets(load({"ELEARN_VAR_DIR": str(tmp_path / "other")}))
    assert elsewhere.jwt_secret != started.jwt_secret
    assert sorted(p.name for p in kept.parent.iterdir()) == [
        "jwt_secret",
        "media_signing_key",
        "push_vapid_private_key",
    ]
    # Outside production the VAPID key is generated too (production without one: no push).
    assert len(started.push_vapid_private_key) >= 43


def test_secrets_given_in_the_environment_are_used_and_nothing_is_written(tmp_path: Path) -> None:
    settings = load(
        {
            "ELEARN_VAR_DIR": str(tmp_path / "var"),
            "ELEARN_JWT_SECRET": JWT_SECRET,
            "ELEARN_MEDIA_SIGNING_KEY": MEDIA_SIGNING_KEY,
            "ELEARN_PUSH_VAPID_PRIVATE_KEY": "A" * 43,
        }
    )

    assert with_local_secrets(settings) == settings
    assert not (tmp_path / "var" / "secrets").exists()


def test_a_kept_secret_others_may_read_or_too_short_is_refused(tmp_path: Path) -> None:
    settings = load({"ELEARN_VAR_DIR": str(tmp_path)})
    with_local_secrets(settings)
    kept = tmp_path / "secrets" / "jwt_secret"
    kept.chmod(0o644)
    with pytest.raises(SettingsError, match="chmod 600") as caught:
        with_local_secrets(settings)
    assert_one_line(str(caught.value))
    kept.write_text("short")
    kept.chmod(0o600)
    with pytest.raises(SettingsError, match="32\\+ characters") as caught:
        with_local_secrets(settings)
    assert "short" not in str(caught.value).replace("too short", "")


def test_previous_jwt_secrets_are_a_comma_separated_list_of_long_secrets() -> None:
    other = "previous-JWT-secret-value-0123456789-xyz"
    settings = load({"ELEARN_JWT_PREVIOUS_SECRETS": f"{JWT_SECRET}, {other}"})
    assert settings.jwt_previous_secrets == [JWT_SECRET, other]
    assert settings.redacted()["jwt_previous_secrets"] == "***"
    assert JWT_SECRET not in repr(settings)

    message = error_for({"ELEARN_JWT_PREVIOUS_SECRETS": f"{JWT_SECRET},short-one"})
    assert message.startswith("ELEARN_JWT_PREVIOUS_SECRETS: ")
    assert "short-one" not in message and JWT_SECRET not in message


# ---- properties ------------------------------------------------------------------------------
@given(st.text())
def test_any_pool_size_text_loads_in_range_or_is_a_settings_error(text: str) -> None:
    try:
        settings = load({"ELEARN_DATABASE_POOL_SIZE": text})
    except SettingsError as error:
        message = str(error)
        assert_one_line(message)
        assert message.startswith("ELEARN_DATABASE_POOL_SIZE: ")
    else:
        assert isinstance(settings.database_pool_size, int)
        assert 1 <= settings.database_pool_size <= 500


SECRET_VARIABLES = [
    "ELEARN_JWT_SECRET",
    "ELEARN_SMTP_PASSWORD",
    "ELEARN_STRIPE_SECRET_KEY",
    "ELEARN_STRIPE_WEBHOOK_SECRET",
    "ELEARN_MEDIA_SIGNING_KEY",
]
OTHER_VARIABLES = [
    "ELEARN_DATABASE_POOL_SIZE",
    "ELEARN_SMTP_PORT",
    "ELEARN_ENV",
    "ELEARN_DATABASE_ECHO",
    "ELEARN_MAIL_BACKEND",
    "ELEARN_PAYMENTS_BACKEND",
    "ELEARN_DATABASE_URL",
]


@given(
    secret_variable=st.sampled_from(SECRET_VARIABLES),
    secret=st.text(min_size=1).map(lambda tail: "s3cr3t-" + tail),
    others=st.dictionaries(st.sampled_from(OTHER_VARIABLES), st.text(), max_size=4),
)
def test_a_secret_value_never_appears_in_an_error_message(
    secret_variable: str, secret: str, others: dict[str, str]
) -> None:
    assume(not any(secret in value for value in others.values()))
    environ = {**others, secret_variable: secret}
    # also as a repr would escape it
    forms = {secret, repr(secret)[1:-1]}
    try:
        settings = load(environ)
    except SettingsError as error:
        assert not any(form in str(error) for form in forms)
    else:
        for shown in (repr(settings), str(settings.redacted())):
            assert not any(form in shown for form in forms)


# ---- the command line ------------------------------------------------------------------------
def test_the_cli_prints_one_line_and_exits_2_on_a_bad_setting(tmp_path: Path) -> None:
    environ = {key: value for key, value in os.environ.items() if not key.startswith("ELEARN_")}
    environ["ELEARN_DATABASE_POOL_SIZE"] = "abc"
    environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(PROJECT_ROOT / "src"), environ.get("PYTHONPATH")])
    )

    result = subprocess.run(
        [sys.executable, "-m", "elearn.entrypoints.cli", "migrate"],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "ELEARN_DATABASE_POOL_SIZE" in lines[0]
    assert "'abc'" in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "var").exists()  # stopped before touching anything


# ---- links -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 8710, "http://127.0.0.1:8710"),
        ("0.0.0.0", 8710, "http://127.0.0.1:8710"),
        ("::", 9000, "http://[::1]:9000"),
        ("::1", 9000, "http://[::1]:9000"),
        ("api.local", 80, "http://api.local:80"),
    ],
)
def test_the_public_url_is_where_the_server_listens_unless_set(
    host: str, port: int, expected: str
) -> None:
    assert load_settings({}, env_file=None, listen=(host, port)).public_url == expected
    given = {"ELEARN_PUBLIC_URL": "https://elearn.example.com"}
    assert (
        load_settings(given, env_file=None, listen=(host, port)).public_url
        == given["ELEARN_PUBLIC_URL"]
    )
    # A process that serves nothing (a worker, the CLI) uses the documented default.
    assert load({}).public_url == "http://127.0.0.1:8000"


def test_email_links_go_to_the_front_end_pages_configured() -> None:
    links = load(
        {
            "ELEARN_PUBLIC_URL": "https://api.example.com",
            "ELEARN_FRONTEND_URL": "https://app.example.com/",
            "ELEARN_FRONTEND_VERIFY_EMAIL_PATH": "/account/verify?from=mail",
            "ELEARN_FRONTEND_LESSON_PATH": "/courses/lesson/{lesson_id}/view",
            "ELEARN_FRONTEND_BOOKINGS_PATH": "/me/lessons",
        }
    ).front_end
    lesson = UUID(int=7)

    assert links.login() == "https://app.example.com/login"
    assert links.verify_email("a+b/c") == (
        "https://app.example.com/account/verify?from=mail&token=a%2Bb%2Fc"
    )
    assert links.reset_password("t") == "https://app.example.com/reset-password?token=t"
    assert links.bookings() == "https://app.example.com/me/lessons"
    assert links.lesson(lesson) == f"https://app.example.com/courses/lesson/{lesson}/view"
    assert links.earnings() == "https://app.example.com/earnings"
    # Without a front-end address, the pages are under the public URL.
    assert load({"ELEARN_PUBLIC_URL": "https://x.test"}).front_end.login() == "https://x.test/login"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ELEARN_PUBLIC_URL", "elearn.example.com"),
        ("ELEARN_PUBLIC_URL", "ftp://elearn.example.com"),
        ("ELEARN_PUBLIC_URL", "https://elearn.example.com/?next=1"),
        ("ELEARN_FRONTEND_URL", "javascript:alert(1)"),
        ("ELEARN_FRONTEND_URL", "https://app example.com"),
        ("ELEARN_FRONTEND_LOGIN_PATH", "login"),
        ("ELEARN_FRONTEND_BOOKINGS_PATH", "/my bookings"),
        ("ELEARN_FRONTEND_LESSON_PATH", "/lessons"),
    ],
)
def test_a_link_setting_that_cannot_make_a_link_is_refused(variable: str, value: str) -> None:
    message = error_for({variable: value})

    assert_one_line(message)
    assert message.startswith(f"{variable}: expected ")
