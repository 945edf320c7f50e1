from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from elearn.adapters.mail.rendering import DEFAULT_TEMPLATES_DIR, JinjaEmailTemplates
from elearn.application.mail import (
    EmailMessage,
    EmailTemplateError,
    InvalidEmailMessage,
    UnknownEmailTemplate,
    in_zone,
)

BASE = {"app_name": "Elearn"}

SHIPPED = {
    "welcome": {
        "full_name": "Ada Lovelace",
        "role": "student",
        "login_url": "https://elearn.test/login",
    },
    "verify_email": {
        "full_name": "Ada Lovelace",
        "verify_url": "https://elearn.test/verify?token=abc",
        "expires_minutes": 10,
    },
    "password_reset": {
        "full_name": "Ada Lovelace",
        "reset_url": "https://elearn.test/reset?token=abc",
        "expires_minutes": 10,
    },
}


@pytest.fixture
def templates() -> JinjaEmailTemplates:
    # Identity ships these; the shared layouts are in the default directory.
    return JinjaEmailTemplates(
        [DEFAULT_TEMPLATES_DIR / "identity", DEFAULT_TEMPLATES_DIR], base_context=BASE
    )


def write_template(root: Path, name: str, **parts: str) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    for part, text in parts.items():
        (folder / part.replace("_", ".")).write_text(text, encoding="utf-8")


def test_the_platform_templates_are_shipped(templates: JinjaEmailTemplates) -> None:
    assert set(SHIPPED) <= set(templates.available())


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_each_shipped_template_renders_text_and_html(
    templates: JinjaEmailTemplates, name: str
) -> None:
    message = templates.render(name, SHIPPED[name], to=["ada@example.com"])

    assert message.to == ("ada@example.com",)
    assert "Elearn" in message.subject
    assert "\n" not in message.subject
    assert "Ada Lovelace" in message.text_body
    assert message.html_body is not None
    assert "Ada Lovelace" in message.html_body
    url = next(value for key, value in SHIPPED[name].items() if key.endswith("_url"))
    assert url in message.text_body
    assert f'href="{url}"' in message.html_body


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_each_shipped_template_needs_its_whole_context(
    templates: JinjaEmailTemplates, name: str
) -> None:
    for missing in SHIPPED[name]:
        context = {k: v for k, v in SHIPPED[name].items() if k != missing}
        with pytest.raises(EmailTemplateError, match=missing):
            templates.render(name, context, to=["ada@example.com"])


def test_expiry_is_stated_in_minutes(templates: JinjaEmailTemplates) -> None:
    message = templates.render("verify_email", SHIPPED["verify_email"], to=["a@example.com"])

    assert "expires in 10 minutes" in message.text_body
    one = templates.render(
        "password_reset", {**SHIPPED["password_reset"], "expires_minutes": 1}, to=["a@example.com"]
    )
    assert "expires in 1 minute." in one.text_body


def test_context_values_are_escaped_in_html_but_not_in_text(
    templates: JinjaEmailTemplates,
) -> None:
    context = {
        "full_name": '<script>alert("x")</script> & Co',
        "login_url": "https://elearn.test/login?a=1&b=2",
        "role": "student",
    }

    message = templates.render("welcome", context, to=["a@example.com"])

    assert '<script>alert("x")</script> & Co' in message.text_body
    assert "https://elearn.test/login?a=1&b=2" in message.text_body
    assert message.html_body is not None
    assert "<script>" not in message.html_body
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in message.html_body
    assert 'href="https://elearn.test/login?a=1&amp;b=2"' in message.html_body


def test_call_context_overrides_base_context(templates: JinjaEmailTemplates) -> None:
    message = templates.render(
        "welcome", {**SHIPPED["welcome"], "app_name": "Tutorly"}, to=["a@example.com"]
    )

    assert message.subject == "Welcome to Tutorly"


def test_a_missing_variable_is_an_error_not_an_empty_string(tmp_path: Path) -> None:
    write_template(tmp_path, "hello", subject_txt="Hi {{ name }}", body_txt="Body {{ nope }}")
    templates = JinjaEmailTemplates(tmp_path)

    with pytest.raises(EmailTemplateError, match="nope"):
        templates.render("hello", {"name": "Ada"}, to=["a@example.com"])


def test_an_unknown_template_is_a_clear_error(templates: JinjaEmailTemplates) -> None:
    with pytest.raises(UnknownEmailTemplate, match=r"'no_such_template'.*available: .*welcome"):
        templates.render("no_such_template", {}, to=["a@example.com"])


@pytest.mark.parametrize("name", ["../welcome", "welcome/../welcome", "_layout", "", "Welcome"])
def test_template_names_cannot_reach_outside_or_into_shared_pieces(
    templates: JinjaEmailTemplates, name: str
) -> None:
    with pytest.raises(UnknownEmailTemplate):
        templates.render(name, SHIPPED["welcome"], to=["a@example.com"])


def test_html_part_is_optional(tmp_path: Path) -> None:
    write_template(tmp_path, "plain", subject_txt="Hello", body_txt="Just text, {{ name }}.\n")

    message = JinjaEmailTemplates(tmp_path).render("plain", {"name": "Ada"}, to=["a@example.com"])

    assert message == EmailMessage(
        to=("a@example.com",), subject="Hello", text_body="Just text, Ada.\n"
    )


def test_a_template_without_text_body_is_an_error(tmp_path: Path) -> None:
    write_template(tmp_path, "broken", subject_txt="Hello")

    with pytest.raises(EmailTemplateError, match=r"body\.txt"):
        JinjaEmailTemplates(tmp_path).render("broken", {}, to=["a@example.com"])


def test_a_syntax_error_is_a_template_error(tmp_path: Path) -> None:
    write_template(tmp_path, "broken", subject_txt="Hello {{ name ", body_txt="x")

    with pytest.raises(EmailTemplateError, match=r"subject\.txt"):
        JinjaEmailTemplates(tmp_path).render("broken", {"name": "A"}, to=["a@example.com"])


def test_subject_is_folded_to_one_line(tmp_path: Path) -> None:
    write_template(tmp_path, "multi", subject_txt="  Hello\n  {{ name }}\r\n\n", body_txt="x")

    message = JinjaEmailTemplates(tmp_path).render(
        "multi", {"name": "Ada\r\nBcc: victim@example.com"}, to=["a@example.com"]
    )

    assert message.subject == "Hello Ada Bcc: victim@example.com"


def test_recipients_are_validated(templates: JinjaEmailTemplates) -> None:
    with pytest.raises(InvalidEmailMessage):
        templates.render("welcome", SHIPPED["welcome"], to=["a@example.com\r\nBcc: x@y.z"])
    with pytest.raises(InvalidEmailMessage):
        templates.render("welcome", SHIPPED["welcome"], to=[])


# ---- languages and times ---------------------------------------------------------------------
def bilingual(tmp_path: Path) -> JinjaEmailTemplates:
    """``hello`` in English and German, and a Brazilian Portuguese subject and body."""
    write_template(
        tmp_path,
        "hello",
        subject_txt="Hello {{ name }}",
        body_txt="Your lesson: {{ at|when }}",
        **{"subject_de_txt": "Hallo {{ name }}", "body_de_txt": "Ihre Stunde: {{ at|when }}"},
        **{"subject_pt-br_txt": "Olá {{ name }}", "body_pt-br_txt": "Sua aula: {{ at|when }}"},
    )
    return JinjaEmailTemplates(tmp_path)


AT = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        (None, "Hello Ada"),
        ("en", "Hello Ada"),
        ("de", "Hallo Ada"),
        ("de-AT", "Hallo Ada"),  # no Austrian translation: the German one
        ("DE", "Hallo Ada"),
        ("pt-BR", "Olá Ada"),
        ("pt", "Hello Ada"),  # the Brazilian text is not every Portuguese reader's
        ("fr", "Hello Ada"),  # no French: English
        ("../de", "Hello Ada"),  # not a language tag: never a path
        ("de/../../x", "Hello Ada"),
        ("", "Hello Ada"),
    ],
)
def test_a_recipient_reads_their_language_or_english(
    tmp_path: Path, language: str | None, subject: str
) -> None:
    message = bilingual(tmp_path).render(
        "hello", {"name": "Ada", "at": AT}, to=["a@x.test"], language=language
    )

    assert message.subject == subject


def test_times_are_written_in_the_zone_given_and_the_language_of_the_message(
    tmp_path: Path,
) -> None:
    templates = bilingual(tmp_path)
    in_new_york = AT.astimezone(ZoneInfo("America/New_York"))
    in_berlin = AT.astimezone(ZoneInfo("Europe/Berlin"))

    english = templates.render("hello", {"name": "A", "at": in_new_york}, to=["a@x.test"])
    german = templates.render(
        "hello", {"name": "A", "at": in_berlin}, to=["a@x.test"], language="de"
    )

    assert english.text_body == (
        "Your lesson: Monday, December 7, 2026, 3:00 AM (America/New_York)"
    )
    assert german.text_body == "Ihre Stunde: Montag, 7. Dezember 2026, 09:00 (Europe/Berlin)"


def test_a_recipient_zone_that_is_not_a_zone_reads_utc() -> None:
    assert in_zone(AT, "Mars/Olympus_Mons") == AT
    assert in_zone(AT, "Mars/Olympus_Mons").utcoffset() == timedelta(0)
    assert in_zone(AT, "Asia/Tokyo").hour == 17


@pytest.mark.parametrize(
    "name", ["booking_confirmed", "booking_rescheduled", "booking_reminder", "booking_cancelled"]
)
@pytest.mark.parametrize("role", ["student", "tutor"])
def test_a_booking_email_names_the_other_person_and_its_own_event(name: str, role: str) -> None:
    templates = JinjaEmailTemplates(
        [DEFAULT_TEMPLATES_DIR / "tutoring", DEFAULT_TEMPLATES_DIR], base_context=BASE
    )
    context = {
        "full_name": "Reader Person",
        "role": role,
        "other_name": "Other Person",
        "starts_at": AT,
        "previous_start": AT - timedelta(days=1),
        "duration_minutes": 60,
        "meeting_url": "https://meet.example/room",
        "cancelled_by": "student",
        "lead": "tomorrow",
        "bookings_url": "https://app.example/bookings",
    }

    message = templates.render(name, context, to=["r@x.test"])

    assert message.html_body is not None
    for body in (message.text_body, message.html_body):
        assert "Other Person" in body
        assert body.count("Reader Person") == 1  # the greeting, nowhere else
        assert "https://app.example/bookings" in body
        assert "Monday, December 7, 2026, 8:00 AM (UTC)" in body
        # A cancelled lesson cannot be joined; every other email says how to.
        assert ("https://meet.example/room" in body) is (name != "booking_cancelled")
        assert ("Join the lesson" in body) is (name != "booking_cancelled")
    assert "Other Person" in message.subject


def test_the_welcome_speaks_to_a_tutor_waiting_for_approval_as_such(
    templates: JinjaEmailTemplates,
) -> None:
    student = templates.render("welcome", SHIPPED["welcome"], to=["a@x.test"])
    tutor = templates.render("welcome", {**SHIPPED["welcome"], "role": "tutor"}, to=["a@x.test"])

    assert "book lessons with tutors" in student.text_body
    assert "book lessons with tutors" not in tutor.text_body
    assert "approve your application" in tutor.text_body
    assert tutor.html_body is not None and "approve your application" in tutor.html_body
