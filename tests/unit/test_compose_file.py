"""docker-compose.yml as `docker compose` reads it: without a JWT secret of the operator's own
it refuses to start, with a message saying what to set (issue 15, finding 1)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from elearn.entrypoints.settings import PUBLISHED_JWT_SECRET

COMPOSE_FILE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
# Compose's interpolation forms: ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ...
_REFERENCE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


class MissingVariable(Exception):
    pass


def interpolate(text: str, environ: dict[str, str]) -> str:
    def resolve(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        value = environ.get(name)
        empty = value is None or (value == "" and op is not None and op.startswith(":"))
        if op in (":?", "?") and empty:
            raise MissingVariable(f"required variable {name} is missing a value: {arg}")
        if op in (":-", "-") and empty:
            return arg
        return value or ""

    # YAML comments are not interpolated.
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    return _REFERENCE.sub(resolve, "\n".join(lines))


def environment_line(text: str, name: str) -> str:
    (line,) = [line for line in text.splitlines() if line.strip().startswith(f"{name}:")]
    return line


def test_compose_refuses_to_start_without_a_jwt_secret_and_says_what_to_set() -> None:
    text = COMPOSE_FILE.read_text()
    for environ in ({}, {"ELEARN_JWT_SECRET": ""}):
        with pytest.raises(MissingVariable) as caught:
            interpolate(text, environ)
        assert "ELEARN_JWT_SECRET" in str(caught.value)
        assert "secret of your own" in str(caught.value)


def test_compose_passes_the_operators_secret_through_and_names_no_secret_itself() -> None:
    text = COMPOSE_FILE.read_text()
    secret = "an-operator-secret-0123456789-abcdefghij"

    resolved = interpolate(text, {"ELEARN_JWT_SECRET": secret})

    assert environment_line(resolved, "ELEARN_JWT_SECRET").split(":", 1)[1].strip() == secret
    assert PUBLISHED_JWT_SECRET not in text
