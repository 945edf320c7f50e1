from __future__ import annotations

from pathlib import Path

import pytest

from elearn.adapters.mail.rendering import DEFAULT_TEMPLATES_DIR, JinjaEmailTemplates
from elearn.application.mail import (
    EmailMessage,
    EmailTemplateError,
    InvalidEmailMessage,
    UnknownEmailTemplate,
)

BASE = {"app_name": "Elearn"}

SHIPPED = {
    "welcome": {"full_name": "Ada Lovelace", "login_url": "https://elearn.test/login"},
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
    "account_exists": {
        "full_name": "Ada Lovelace",
        "login_url": "https://elearn.test/login",
        "reset_url": "https://elearn.test/forgot-password",
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
