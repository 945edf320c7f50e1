"""Email templates kept in files and rendered with Jinja2.

Layout: ``<directory>/<name>/subject.txt``, ``body.txt`` and, optionally, ``body.html``.
Names starting with ``_`` are shared pieces (layouts), not templates. Several directories may
serve together (each context ships its own, the shared layouts live in the default one): a
name is looked up in each, in order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

import jinja2

from elearn.application.mail import EmailMessage, EmailTemplateError, UnknownEmailTemplate

__all__ = ["DEFAULT_TEMPLATES_DIR", "JinjaEmailTemplates"]

DEFAULT_TEMPLATES_DIR = Path(__file__).parent / "templates"

_TEMPLATE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


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
        self, template: str, context: Mapping[str, object], *, to: Sequence[str]
    ) -> EmailMessage:
        subject_template = self._load(template, "subject.txt")
        text_template = self._load(template, "body.txt")
        try:
            html_template: jinja2.Template | None = self._env.get_template(f"{template}/body.html")
        except jinja2.TemplateNotFound:
            html_template = None
        except jinja2.TemplateError as exc:
            raise self._error(template, "body.html", exc) from exc

        variables = {**self._base_context, **context}
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

    def _load(self, template: str, part: str) -> jinja2.Template:
        if not _TEMPLATE_NAME.fullmatch(template):
            raise UnknownEmailTemplate(f"invalid email template name: {template!r}")
        try:
            return self._env.get_template(f"{template}/{part}")
        except jinja2.TemplateNotFound:
            if part == "subject.txt":
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
