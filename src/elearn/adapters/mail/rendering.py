"""Email templates kept in files and rendered with Jinja2.

Layout: ``<directory>/<name>/subject.txt``, ``body.txt`` and, optionally, ``body.html``.
Names starting with ``_`` are shared pieces (layouts), not templates. Several directories may
serve together (each context ships its own, the shared layouts live in the default one): a
name is looked up in each, in order.

Languages: the files above are English. A translation sits beside them with the language in
its name (``subject.de.txt``, ``body.de.txt``, ``body.de.html``); a recipient whose language
has none (``pt-BR`` looks for ``pt-br``, then ``pt``) reads English. Times are written with
the ``when`` filter, in the language the message is in, in the zone of the datetime given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

import jinja2
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time

from elearn.application.mail import EmailMessage, EmailTemplateError, UnknownEmailTemplate

__all__ = ["DEFAULT_TEMPLATES_DIR", "JinjaEmailTemplates"]

DEFAULT_TEMPLATES_DIR = Path(__file__).parent / "templates"

_TEMPLATE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
# A BCP 47 tag as profiles hold it (``de``, ``pt-BR``, ``zh-Hant``): safe in a file name.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")
DEFAULT_LANGUAGE = "en"
# The variable that carries the message's language to the filters.
_LANGUAGE_VARIABLE = "email_language"


@jinja2.pass_context
def _when(context: jinja2.runtime.Context, moment: datetime) -> str:
    """A moment as its reader says it: the full date and time in the message's language, and
    the zone it is in (``Monday, December 7, 2026, 3:00 AM (America/New_York)``)."""
    locale = _babel_locale(context.get(_LANGUAGE_VARIABLE) or DEFAULT_LANGUAGE)
    zone = getattr(moment.tzinfo, "key", None) or moment.tzname() or "UTC"
    day = format_date(moment, format="full", locale=locale)
    time = format_time(moment, format="short", tzinfo=moment.tzinfo, locale=locale)
    # CLDR puts no-break spaces in times ("9:00\u202fAM"): a plain space reads the same and
    # keeps an English subject line ASCII.
    return f"{day}, {time} ({zone})".replace("\u202f", " ").replace("\xa0", " ")


def _babel_locale(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LANGUAGE)


def _candidates(language: str | None) -> list[str]:
    """The translations to look for, most specific first: ``pt-BR`` → ``pt-br``, ``pt``."""
    if not language or not _LANGUAGE_TAG.fullmatch(language):
        return []
    tag = language.lower().replace("_", "-")
    base = tag.split("-")[0]
    return [tag] if tag == base else [tag, base]


class JinjaEmailTemplates:
    """Renders ``<name>/subject.txt``, ``body.txt`` and ``body.html`` into an `EmailMessage`.

    HTML is autoescaped, text is not; a variable the template uses but the context lacks is
    an error, never an empty string. ``base_context`` (app name, support address, ...) is
    merged under each call's context.
    """

    __slots__ = ("_base_context", "_directories", "_env")

    def __init__(
        self,
        directory: Path | Iterable[Path] | None = None,
        *,
        base_context: Mapping[str, object] = MappingProxyType({}),
    ) -> None:
        if directory is None:
            self._directories = [DEFAULT_TEMPLATES_DIR]
        elif isinstance(directory, Path | str):
            self._directories = [Path(directory)]
        else:
            self._directories = [Path(each) for each in directory]
        self._base_context = dict(base_context)
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self._directories),
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html",), default_for_string=False, default=False
            ),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self._env.filters["when"] = _when

    @property
    def directory(self) -> Path:
        return self._directories[0]

    @property
    def directories(self) -> list[Path]:
        return list(self._directories)

    def available(self) -> list[str]:
        """The names of the templates in the directories, sorted."""
        return sorted(
            {
                entry.name
                for directory in self._directories
                if directory.is_dir()
                for entry in directory.iterdir()
                if _TEMPLATE_NAME.fullmatch(entry.name) and (entry / "subject.txt").is_file()
            }
        )

    def render(
        self,
        template: str,
        context: Mapping[str, object],
        *,
        to: Sequence[str],
        language: str | None = None,
    ) -> EmailMessage:
        translation = self._translation(template, language)
        suffix = f".{translation}" if translation else ""
        subject_template = self._load(template, f"subject{suffix}.txt")
        text_template = self._load(template, f"body{suffix}.txt")
        try:
            html_template: jinja2.Template | None = self._env.get_template(
                f"{template}/body{suffix}.html"
            )
        except jinja2.TemplateNotFound:
            html_template = None
        except jinja2.TemplateError as exc:
            raise self._error(template, f"body{suffix}.html", exc) from exc

        variables = {
            **self._base_context,
            **context,
            _LANGUAGE_VARIABLE: translation or DEFAULT_LANGUAGE,
        }
        subject = self._render(template, "subject.txt", subject_template, variables)
        text_body = self._render(template, "body.txt", text_template, variables)
        html_body = (
            self._render(template, "body.html", html_template, variables)
            if html_template is not None
            else None
        )
        return EmailMessage(
            to=tuple(to),
            # One line whatever the template or the values did: a subject is a header.
            subject=" ".join(subject.split()),
            text_body=text_body,
            html_body=html_body,
        )

    def _translation(self, template: str, language: str | None) -> str | None:
        """The most specific translation of ``template`` the language has, or None (English)."""
        if not _TEMPLATE_NAME.fullmatch(template):
            return None  # `_load` says why
        for candidate in _candidates(language):
            if any(
                (d / template / f"subject.{candidate}.txt").is_file() for d in self._directories
            ):
                return candidate
        return None

    def _load(self, template: str, part: str) -> jinja2.Template:
        if not _TEMPLATE_NAME.fullmatch(template):
            raise UnknownEmailTemplate(f"invalid email template name: {template!r}")
        try:
            return self._env.get_template(f"{template}/{part}")
        except jinja2.TemplateNotFound:
            if part.startswith("subject"):
                known = ", ".join(self.available()) or "none"
                raise UnknownEmailTemplate(
                    f"no email template named {template!r} in {self._where} (available: {known})"
                ) from None
            raise EmailTemplateError(
                f"email template {template!r} has no {part} in {self._where}"
            ) from None
        except jinja2.TemplateError as exc:
            raise self._error(template, part, exc) from exc

    def _render(
        self,
        template: str,
        part: str,
        compiled: jinja2.Template,
        variables: Mapping[str, object],
    ) -> str:
        try:
            return compiled.render(variables)
        except jinja2.TemplateError as exc:
            raise self._error(template, part, exc) from exc

    @property
    def _where(self) -> str:
        return ", ".join(str(directory) for directory in self._directories)

    @staticmethod
    def _error(template: str, part: str, exc: jinja2.TemplateError) -> EmailTemplateError:
        return EmailTemplateError(f"email template {template}/{part}: {exc.message or exc}")
