"""Every problem code raised anywhere in src/elearn is in the registry, under the status the
HTTP layer answers it with, so that a route's ``@problems(...)`` documents it truthfully."""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import elearn
from elearn.application.errors import ApplicationError
from elearn.domain.shared.errors import DomainError
from elearn.entrypoints.http.problem_codes import (
    NOT_ANSWERED,
    PROBLEM_CODES,
    UnknownProblemCode,
    problems,
)
from elearn.entrypoints.http.problems import status_for

SOURCE = Path(elearn.__file__).parent
KEBAB = r"^[a-z0-9]+(-[a-z0-9]+)*$"


def raised_codes() -> Iterator[tuple[str, str, str]]:
    """(code, module, the class or callable it is given to), for every ``code = "..."`` of an
    error class and every ``code="..."``/``problem_code="..."`` argument."""
    for path in sorted(SOURCE.rglob("*.py")):
        module = "elearn." + ".".join(path.relative_to(SOURCE).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                for statement in node.body:
                    target = (
                        statement.targets[0]
                        if isinstance(statement, ast.Assign) and len(statement.targets) == 1
                        else statement.target
                        if isinstance(statement, ast.AnnAssign)
                        else None
                    )
                    value = getattr(statement, "value", None)
                    if (
                        isinstance(target, ast.Name)
                        and target.id == "code"
                        and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                    ):
                        yield value.value, module, node.name
            elif isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if (
                        keyword.arg in ("code", "problem_code")
                        and isinstance(keyword.value, ast.Constant)
                        and isinstance(keyword.value.value, str)
                    ):
                        func = node.func
                        name = func.attr if isinstance(func, ast.Attribute) else func.id  # type: ignore[attr-defined]
                        yield keyword.value.value, module, name


def answered_status(module: str, name: str) -> int | None:
    """The status the HTTP layer gives an error of this class (None: not an error class)."""
    kind = getattr(importlib.import_module(module), name, None)
    if not isinstance(kind, type) or not issubclass(kind, DomainError | ApplicationError):
        return None
    error = kind.__new__(kind)
    return status_for(error)


def test_the_scan_finds_the_codes_it_should() -> None:
    found = {code for code, _, _ in raised_codes()}
    # a class attribute, a keyword argument to an error, and a problem_code of the HTTP layer
    assert {"slug-taken", "two-factor-required", "malformed-body"} <= found


def test_every_raised_code_is_registered_with_the_status_it_is_answered_with() -> None:
    missing, wrong = [], []
    for code, module, name in raised_codes():
        if code in NOT_ANSWERED:
            continue
        if code not in PROBLEM_CODES:
            missing.append(f"{code} ({module}.{name})")
            continue
        status = answered_status(module, name)
        if status is not None and status not in PROBLEM_CODES[code]:
            wrong.append(f"{code}: {module}.{name} answers {status}, not {PROBLEM_CODES[code]}")
    assert not missing, f"add to PROBLEM_CODES: {missing}"
    assert not wrong, wrong


def test_codes_are_kebab_case_with_known_error_statuses() -> None:
    for code, statuses in PROBLEM_CODES.items():
        assert code not in NOT_ANSWERED
        assert re.fullmatch(KEBAB, code), code
        assert statuses and all(400 <= status < 600 for status in statuses), code


def test_a_declaration_of_an_unknown_code_fails_at_once() -> None:
    with pytest.raises(UnknownProblemCode, match="no-such-code"):
        problems("slug-taken", "no-such-code")


CONVENTIONS = SOURCE.parents[1] / "docs" / "api-conventions.md"
TABLE_START, TABLE_END = "<!-- problem-codes:start -->", "<!-- problem-codes:end -->"


def problem_code_table() -> str:
    rows = sorted(PROBLEM_CODES.items(), key=lambda item: (item[1], item[0]))
    lines = ["| status | code |", "| --- | --- |"]
    lines += [f"| {', '.join(map(str, statuses))} | `{code}` |" for code, statuses in rows]
    return "\n".join(lines)


def test_the_conventions_list_every_problem_code_with_its_status() -> None:
    text = CONVENTIONS.read_text(encoding="utf-8")
    table = text.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0].strip()
    assert table == problem_code_table(), (
        f"replace the table between the markers in {CONVENTIONS.name} with:\n"
        + problem_code_table()
    )
