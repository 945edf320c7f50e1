"""The hexagon's import rules, checked on every test run as CI checks them, and shown to bite.

Two checks guard the domain, on purpose: import-linter's contracts (a deny-list of the project's
dependencies, and the layers) and an allow-list read straight from the source here (standard
library and the domain itself), which also catches a package that arrives only as a dependency
of a dependency. import-linter skips any folder without an ``__init__.py`` and still reports
its contracts kept, so every folder holding Python must be a package.
"""

from __future__ import annotations

import ast
import configparser
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import distribution
from pathlib import Path
from typing import NamedTuple

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SOURCE_ROOT = PROJECT_ROOT / "src"
PACKAGE_DIR = SOURCE_ROOT / "elearn"
DOMAIN_DIR = PACKAGE_DIR / "domain"
IMPORT_LINTER_CONFIG = PROJECT_ROOT / ".importlinter"
DOMAIN_PACKAGE = "elearn.domain"


def lint_imports_command() -> Path:
    command = Path(sys.executable).parent / "lint-imports"
    if not command.exists():
        pytest.fail(f"lint-imports is not installed next to {sys.executable}")
    return command


def run_lint_imports(
    config: Path, *, cwd: Path, source_root: Path | None = None
) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ)
    if source_root is not None:
        # Ahead of the editable install on sys.path, so grimp finds the copy's elearn.
        environment["PYTHONPATH"] = str(source_root)
    return subprocess.run(
        [str(lint_imports_command()), "--no-cache", "--no-logo", str(config)],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def contract_outcomes(lint_imports_output: str) -> dict[str, str]:
    # A contract's line may end in a count of ignored imports: "... KEPT (7 ignored imports)".
    outcome = re.compile(r"^(.+?) (KEPT|BROKEN)(?: \(\d+ ignored imports?\))?$", re.MULTILINE)
    return dict(outcome.findall(lint_imports_output))


def read_import_linter_config(path: Path = IMPORT_LINTER_CONFIG) -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(path, encoding="utf-8")
    return config


def contract_name(contract_id: str) -> str:
    return read_import_linter_config()[f"importlinter:contract:{contract_id}"]["name"]


# ---- every folder holding Python is a package ------------------------------------------------


def folders_missing_init(package_dir: Path) -> list[Path]:
    """Folders from ``package_dir`` down to any ``.py`` file that have no ``__init__.py``."""
    missing: set[Path] = set()
    for module in package_dir.rglob("*.py"):
        folder = module.parent
        while folder.is_relative_to(package_dir):
            if not (folder / "__init__.py").is_file():
                missing.add(folder)
            folder = folder.parent
    return sorted(missing)


def test_every_folder_holding_python_under_src_elearn_is_a_package() -> None:
    missing = [
        str(folder.relative_to(PROJECT_ROOT)) for folder in folders_missing_init(PACKAGE_DIR)
    ]

    assert missing == [], f"import-linter and mypy skip these folders; add __init__.py: {missing}"


def test_a_folder_without_init_is_found_however_deep(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    for path in ("__init__.py", "plain/__init__.py", "plain/module.py", "bare/deep/module.py"):
        (package / path).parent.mkdir(parents=True, exist_ok=True)
        (package / path).write_text("", encoding="utf-8")
    (package / "templates" / "welcome").mkdir(parents=True)
    (package / "templates" / "welcome" / "body.txt").write_text("", encoding="utf-8")

    assert folders_missing_init(package) == [package / "bare", package / "bare" / "deep"]


# ---- the domain's allow-list: standard library and the domain, contexts apart ----------------


@dataclass(frozen=True, slots=True)
class ForeignImport:
    path: Path
    line: int
    imported: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.imported}: {self.reason}"


STANDARD_LIBRARY = frozenset(sys.stdlib_module_names)
# Standard library, yet a way around a static check: what a module loads by name is invisible here.
DYNAMIC_IMPORT_MODULES = frozenset({"importlib"})


def module_name_of(path: Path, domain_dir: Path, domain_package: str) -> str:
    parts = path.relative_to(domain_dir).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((domain_package, *parts))


def absolute_target(node: ast.ImportFrom, module_name: str, is_package: bool) -> str | None:
    """The module a ``from`` import reads from, relative imports resolved; None past the root."""
    if not node.level:
        return node.module or ""
    anchor = module_name.split(".") if is_package else module_name.split(".")[:-1]
    climb = node.level - 1
    if climb >= len(anchor):
        return None
    base = anchor[: len(anchor) - climb]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(tree: ast.Module, module_name: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """Every module an import may load; ``from a import b`` counts as ``a.b``, which b may be."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            target = absolute_target(node, module_name, is_package)
            if target is None:
                yield node.lineno, "." * node.level + (node.module or "")
                continue
            for alias in node.names:
                yield node.lineno, target if alias.name == "*" else f"{target}.{alias.name}"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "__import__":
                yield node.lineno, "__import__"


def context_of(module_name: str, domain_package: str, contexts: frozenset[str]) -> str | None:
    """The context package a domain module lies in; None for the shared kernel and the root."""
    remainder = module_name.removeprefix(domain_package + ".")
    if remainder == module_name:
        return None
    first = remainder.split(".")[0]
    return first if first in contexts else None


def why_foreign(
    imported: str, importer_context: str | None, domain_package: str, contexts: frozenset[str]
) -> str | None:
    top = imported.split(".")[0]
    if imported == "__import__" or top in DYNAMIC_IMPORT_MODULES:
        return "a dynamic import, which no static check can follow"
    if top in STANDARD_LIBRARY:
        return None
    if imported != domain_package and not imported.startswith(domain_package + "."):
        if top == domain_package.split(".")[0] or imported.startswith("."):
            return "outside the domain"
        return "neither the standard library nor the domain"
    target_context = context_of(imported, domain_package, contexts)
    if target_context is None or target_context == importer_context:
        return None
    if importer_context is None:
        return f"the shared kernel depends on no context, here {target_context}"
    return f"context {importer_context} reaches into context {target_context}"


def foreign_domain_imports(
    domain_dir: Path = DOMAIN_DIR, domain_package: str = DOMAIN_PACKAGE
) -> list[ForeignImport]:
    """Imports under ``domain_dir`` other than the standard library, the importer's own context
    and the shared kernel (``shared`` and any module at the domain's root)."""
    contexts = frozenset(
        folder.name
        for folder in domain_dir.iterdir()
        if folder.is_dir() and folder.name not in {"shared", "__pycache__"}
    )
    found = []
    for path in sorted(domain_dir.rglob("*.py")):
        module_name = module_name_of(path, domain_dir, domain_package)
        importer_context = context_of(module_name, domain_package, contexts)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, imported in imports_of(tree, module_name, path.name == "__init__.py"):
            reason = why_foreign(imported, importer_context, domain_package, contexts)
            if reason is not None:
                found.append(ForeignImport(path.relative_to(domain_dir), line, imported, reason))
    return found


def test_the_domain_imports_only_the_standard_library_and_its_own_context_or_kernel() -> None:
    found = foreign_domain_imports()

    assert found == [], "\n".join(map(str, found))


def fake_domain(root: Path) -> Path:
    domain_dir = root / "domain"
    for path in (
        "__init__.py",
        "shared/__init__.py",
        "shared/money.py",
        "billing/__init__.py",
        "billing/fees.py",
        "billing/order.py",
        "tutoring/__init__.py",
        "tutoring/booking.py",
    ):
        (domain_dir / path).parent.mkdir(parents=True, exist_ok=True)
        (domain_dir / path).write_text("", encoding="utf-8")
    return domain_dir


ALLOWED_IN_THE_DOMAIN = """\
from __future__ import annotations
import decimal, zoneinfo
from collections.abc import Sequence
from datetime import datetime as instant
from typing import TYPE_CHECKING
from elearn.domain.shared.money import Money
from elearn.domain.shared import money
from elearn.domain.billing import fees
from elearn.domain import shared
from . import fees
from .fees import split_fee
from ..shared.money import Money
from .. import shared
if TYPE_CHECKING:
    from elearn.domain.billing.fees import FeeRate
"""


def test_the_allow_list_lets_the_standard_library_the_own_context_and_the_kernel_in(
    tmp_path: Path,
) -> None:
    domain_dir = fake_domain(tmp_path)
    (domain_dir / "billing" / "order.py").write_text(ALLOWED_IN_THE_DOMAIN, encoding="utf-8")

    assert foreign_domain_imports(domain_dir, DOMAIN_PACKAGE) == []


@pytest.mark.parametrize(
    ("module", "source", "reason"),
    [
        ("billing/order.py", "import babel", "neither the standard library nor the domain"),
        ("billing/order.py", "from sqlalchemy.orm import Session", "neither the standard"),
        ("billing/order.py", "import typing_extensions", "neither the standard library"),
        ("billing/__init__.py", "import pyotp", "neither the standard library nor the domain"),
        ("billing/order.py", "def f():\n    import msgspec", "neither the standard library"),
        ("billing/order.py", "from elearn.application.ports import Clock", "outside the domain"),
        ("billing/order.py", "from elearn import adapters", "outside the domain"),
        ("billing/order.py", "from ... import adapters", "outside the domain"),
        ("billing/order.py", "from .... import elearn", "outside the domain"),
        ("tutoring/booking.py", "from elearn.domain.billing.order import Order", "reaches into"),
        ("tutoring/booking.py", "import elearn.domain.billing.order", "reaches into"),
        ("tutoring/booking.py", "from elearn.domain import billing", "reaches into"),
        ("tutoring/booking.py", "from ..billing import order", "reaches into"),
        ("tutoring/booking.py", "from ..billing.order import Order", "reaches into"),
        ("shared/money.py", "from elearn.domain.billing import fees", "the shared kernel"),
        ("__init__.py", "from .tutoring import booking", "the shared kernel"),
        ("billing/order.py", "import importlib", "a dynamic import"),
        ("billing/order.py", "gateway = __import__('stripe')", "a dynamic import"),
    ],
)
def test_the_allow_list_refuses(tmp_path: Path, module: str, source: str, reason: str) -> None:
    domain_dir = fake_domain(tmp_path)
    (domain_dir / module).write_text(source + "\n", encoding="utf-8")

    found = foreign_domain_imports(domain_dir, DOMAIN_PACKAGE)

    assert len(found) == 1, found
    assert found[0].path == Path(module)
    assert reason in found[0].reason


# ---- import-linter: the contracts hold, cover every dependency, and bite -----------------------


def test_import_linter_contracts_are_kept() -> None:
    result = run_lint_imports(IMPORT_LINTER_CONFIG, cwd=PROJECT_ROOT)

    assert result.returncode == 0, f"lint-imports failed:\n{result.stdout}\n{result.stderr}"
    assert re.search(r"Contracts: [1-9]\d* kept, 0 broken", result.stdout), result.stdout


def runtime_dependencies() -> list[str]:
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [
        re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]
        for requirement in pyproject["project"]["dependencies"]
    ]


def import_names(distribution_name: str) -> set[str]:
    """The top-level packages and modules an installed distribution puts on sys.path."""
    names = set()
    for file in distribution(distribution_name).files or []:
        top = file.parts[0]
        if len(file.parts) == 1:
            if file.suffix == ".py":
                names.add(file.stem)
        elif not top.endswith((".dist-info", ".data")) and top not in {"..", "__pycache__"}:
            names.add(top)
    return {name for name in names if not name.startswith("_")}


def test_the_domain_contract_forbids_every_runtime_dependency() -> None:
    forbidden = set(
        read_import_linter_config()["importlinter:contract:domain-is-pure"][
            "forbidden_modules"
        ].split()
    )

    names = {dependency: import_names(dependency) for dependency in runtime_dependencies()}

    assert all(names.values()), f"no import names known: {[d for d, n in names.items() if not n]}"
    unforbidden = {
        dependency: sorted(n - forbidden) for dependency, n in names.items() if n - forbidden
    }
    assert unforbidden == {}, "add them to the domain-is-pure contract in .importlinter"


class BadImport(NamedTuple):
    module: str  # dotted, an existing module of the copy
    statement: str  # appended to it
    broken: str  # id of the contract that must break, as in .importlinter


# One row, one line, per way to break the architecture; a new contract gets its row here.
# fmt: off
BAD_IMPORTS = [
    BadImport("elearn.domain.billing.order", "import babel", "domain-is-pure"),
    BadImport("elearn.domain.identity.user", "import pyotp", "domain-is-pure"),
    BadImport("elearn.domain.learning", "from fpdf import FPDF", "domain-is-pure"),
    BadImport("elearn.domain.tutoring.booking", "import icalendar", "domain-is-pure"),
    BadImport("elearn.domain.tutoring.booking", "from elearn.domain.billing import order", "contexts-independent"),
    BadImport("elearn.domain.shared.money", "from elearn.application import ports", "layers"),
    BadImport("elearn.application.ports", "import sqlalchemy", "application-has-no-frameworks"),
    BadImport("elearn.application.learning.lessons", "import litestar", "application-has-no-frameworks"),
    BadImport("elearn.application.identity", "from elearn.adapters import security", "layers"),
    BadImport("elearn.application.identity.accounts", "from elearn.application.catalog import deps", "identity-application-uses-published-apis"),
    BadImport("elearn.application.catalog.review", "from elearn.domain.learning import enrollment", "catalog-application-uses-published-apis"),
    BadImport("elearn.adapters.persistence.catalog_queries", "from elearn.adapters.persistence import learning_queries", "catalog-adapters-use-published-apis"),
    BadImport("elearn.application.learning.lessons", "from elearn.application.catalog import deps", "learning-application-uses-published-apis"),
    BadImport("elearn.application.billing.checkout", "from elearn.application.learning import enrollments", "billing-application-uses-published-apis"),
    BadImport("elearn.application.tutoring.bookings", "from elearn.application.billing import refunds", "tutoring-application-uses-published-apis"),
    BadImport("elearn.application.tutoring.bookings", "from elearn.domain.billing import order", "tutoring-application-uses-published-apis"),
    BadImport("elearn.adapters.persistence.tutoring_repositories", "from elearn.adapters.persistence import billing_repositories", "tutoring-adapters-use-published-apis"),
]
# fmt: on


def module_path(source_root: Path, dotted: str) -> Path:
    base = source_root.joinpath(*dotted.split("."))
    path = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
    assert path.is_file(), f"{dotted} is not a module of the copy"
    return path


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """``src/elearn`` and ``.importlinter`` copied under ``tmp_path``, nothing else."""
    shutil.copytree(
        PACKAGE_DIR,
        tmp_path / "src" / "elearn",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    shutil.copy2(IMPORT_LINTER_CONFIG, tmp_path / ".importlinter")
    return tmp_path


def test_the_untouched_copy_keeps_every_contract(project_copy: Path) -> None:
    result = run_lint_imports(
        project_copy / ".importlinter", cwd=project_copy, source_root=project_copy / "src"
    )

    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    outcomes = contract_outcomes(result.stdout)
    config = read_import_linter_config(project_copy / ".importlinter")
    contracts = [section for section in config if section.startswith("importlinter:contract:")]
    assert len(outcomes) == len(contracts), result.stdout
    assert set(outcomes.values()) == {"KEPT"}, result.stdout


@pytest.mark.parametrize("bad", BAD_IMPORTS, ids=lambda bad: f"{bad.module}: {bad.statement}")
def test_a_bad_import_breaks_its_contract(project_copy: Path, bad: BadImport) -> None:
    source_root = project_copy / "src"
    path = module_path(source_root, bad.module)
    path.write_text(path.read_text(encoding="utf-8") + f"\n{bad.statement}\n", encoding="utf-8")

    result = run_lint_imports(
        project_copy / ".importlinter", cwd=project_copy, source_root=source_root
    )

    assert result.returncode != 0, result.stdout
    assert contract_outcomes(result.stdout).get(contract_name(bad.broken)) == "BROKEN", (
        f"{result.stdout}\n{result.stderr}"
    )
