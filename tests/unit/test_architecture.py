"""The hexagon's import rules, checked on every test run as CI checks them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DOMAIN_PURITY_TOOL = PROJECT_ROOT.parent / "shared" / "tools" / "check_domain_purity.py"


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_import_linter_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    if not lint_imports.exists():
        pytest.fail(f"lint-imports is not installed next to {sys.executable}")

    result = run([str(lint_imports), "--config", str(PROJECT_ROOT / ".importlinter")])

    assert result.returncode == 0, f"lint-imports failed:\n{result.stdout}\n{result.stderr}"
    assert re.search(r"Contracts: [1-9]\d* kept, 0 broken", result.stdout), result.stdout


@pytest.mark.skipif(
    not DOMAIN_PURITY_TOOL.is_file(),
    reason=f"{DOMAIN_PURITY_TOOL} lies outside the repository and is not here",
)
def test_the_domain_imports_only_the_standard_library() -> None:
    result = run([sys.executable, str(DOMAIN_PURITY_TOOL), "."])

    assert result.returncode == 0, f"domain purity check failed:\n{result.stdout}\n{result.stderr}"
