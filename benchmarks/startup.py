"""Start-up time of `elearn serve` to a 200 from /health/ready, and the idle API process's RSS.

Runs the real console script on a fresh embedded database each round (so migrations run), then
again on the migrated database (a restart). Loopback only. Usage:

    .venv/bin/python benchmarks/startup.py [--rounds 5]

The RSS to compare with the issue's target is that of the README's first install
(`pip install -e .`, no dev extras): with the dev extras pydantic is installed, and
advanced-alchemy and Litestar load it when it is there (~8 MiB more); the script says which.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ELEARN = str(Path(sys.executable).parent / "elearn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mib(pid: int) -> float:
    """Resident memory of the process and its children (uvicorn serves in the same process)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def one_round(var_dir: Path, *, demo: bool) -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ELEARN_")}
    env |= {"ELEARN_VAR_DIR": str(var_dir), "ELEARN_LOG_LEVEL": "WARNING"}
    port = free_port()
    args = [ELEARN, "serve", "--port", str(port)] + (["--demo"] if demo else [])
    started = time.perf_counter()
    server = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/health/ready", timeout=1
                ) as r:
                    if r.status == 200:
                        break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError("server exited") from None
                time.sleep(0.01)
        ready_after = time.perf_counter() - started
        time.sleep(3)  # let start-up work (demo emails, first relay polls) settle: idle
        return ready_after, rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    fresh, restart, rss = [], [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            ready, memory = one_round(Path(tmp), demo=True)
            fresh.append(ready)
            rss.append(memory)
            ready, memory = one_round(Path(tmp), demo=False)
            restart.append(ready)
            rss.append(memory)
    print(f"rounds: {rounds}")
    print(
        f"fresh database (migrate, seed, serve) to ready: median {statistics.median(fresh):.2f} s, "
        f"min {min(fresh):.2f} s, max {max(fresh):.2f} s"
    )
    print(
        f"restart on a migrated database to ready: median {statistics.median(restart):.2f} s, "
        f"min {min(restart):.2f} s, max {max(restart):.2f} s"
    )
    print(f"idle API process RSS: median {statistics.median(rss):.1f} MiB, max {max(rss):.1f} MiB")
    if importlib.util.find_spec("pydantic") is not None:
        print("(pydantic is installed here, as the dev extras install it: see the docstring)")


if __name__ == "__main__":
    main()
