"""``elearn serve --workers N``: more than one process needs Redis, where the processes share
revoked sessions, rate limits and jobs; without it the command refuses before touching the
database or the port."""

from __future__ import annotations

from pathlib import Path

import pytest

from elearn.entrypoints import cli


@pytest.fixture
def embedded_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env read
    for name in ("ELEARN_REDIS_URL", "ELEARN_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ELEARN_VAR_DIR", str(tmp_path / "var"))


@pytest.mark.usefixtures("embedded_default")
@pytest.mark.parametrize("workers", ["2", "0"])
def test_serve_refuses_workers_it_cannot_run(
    workers: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["serve", "--workers", workers]) == 2
    assert "--workers" in capsys.readouterr().err
