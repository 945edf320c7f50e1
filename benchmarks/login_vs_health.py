"""Does password hashing stall the event loop? `GET /health/live` latency while logins run.

Starts the real `elearn serve --demo` on a free loopback port with a temporary ELEARN_VAR_DIR
(login rate limits raised so nothing is refused), then:

1. keeps exactly 8 `POST /api/v1/auth/login` requests (the demo student) in flight for
   ``--seconds`` while another process probes `GET /health/live` every 10 ms (a probe starts on
   each 10 ms tick, or right after the previous one when that took longer);
2. the baseline: the same probing with no login in flight.

The prober runs in its own process, so the login driver's event loop does not delay it. Bounded
in time, loopback only, stops the server by itself. Usage:

    .venv/bin/python benchmarks/login_vs_health.py [--seconds 20] [--concurrency 8]
        [--accounts 1] [--database-url postgresql+asyncpg://.../empty_db]

``--accounts N`` spreads the logins over the demo student and N-1 students it registers first
(one account's logins wait for each other on its row lock on PostgreSQL). ``--database-url``
serves from that (empty, disposable) database instead of the embedded SQLite one.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

import httpx

ELEARN = str(Path(sys.executable).parent / "elearn")
LIVE = "/health/live"
LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register/student"
PROBE_INTERVAL = 0.010
TARGET_P99_MS = 20.0
# The demo student (src/elearn/entrypoints/demo.py).
CREDENTIALS = {"email": "student@demo.elearn.test", "password": "demo-password-2026"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(var_dir: Path, port: int, database_url: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ELEARN_")}
    if database_url:
        env["ELEARN_DATABASE_URL"] = database_url
    env |= {
        "ELEARN_VAR_DIR": str(var_dir),
        "ELEARN_LOG_LEVEL": "WARNING",
        "ELEARN_LOGIN_ATTEMPTS_PER_IP": "1000000",
        "ELEARN_LOGIN_ATTEMPTS_PER_ACCOUNT": "1000000",
    }
    args = [ELEARN, "serve", "--demo", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if server.poll() is not None:
            raise RuntimeError("the server exited before it was ready")
        if time.monotonic() > deadline:
            server.terminate()
            raise RuntimeError("the server was not ready within 90 s")
        time.sleep(0.05)


def probe(base_url: str, start: float, stop: float, results: Connection) -> None:
    """In a child process: GET /health/live on a 10 ms cadence from ``start`` to ``stop``
    (time.monotonic() is one clock for every process); sends back latencies in seconds."""
    latencies: list[float] = []
    failures = 0
    with httpx.Client(base_url=base_url, timeout=5) as client:
        client.get(LIVE)  # open the keep-alive connection before the clock starts
        tick = start
        while True:
            now = time.monotonic()
            if now >= stop:
                break
            if tick > now:
                time.sleep(tick - now)
            sent = time.perf_counter()
            response = client.get(LIVE)
            latencies.append(time.perf_counter() - sent)
            failures += response.status_code != 200
            tick = max(tick + PROBE_INTERVAL, time.monotonic())
    results.send((latencies, failures))
    results.close()


async def drive_logins(
    base_url: str, concurrency: int, accounts: list[dict[str, str]], start: float, stop: float
) -> tuple[list[float], int]:
    """``concurrency`` workers, each with one login in flight at all times until ``stop``;
    worker i signs in as account i modulo the number of accounts."""
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:

        async def worker(credentials: dict[str, str]) -> None:
            nonlocal failures
            while time.monotonic() < stop:
                sent = time.perf_counter()
                response = await client.post(LOGIN, json=credentials)
                latencies.append(time.perf_counter() - sent)
                if response.status_code != 200:
                    failures += 1

        await asyncio.sleep(max(0.0, start - time.monotonic()))
        await asyncio.gather(*(worker(accounts[i % len(accounts)]) for i in range(concurrency)))
    return latencies, failures


def run_phase(
    base_url: str, seconds: float, concurrency: int, accounts: list[dict[str, str]]
) -> dict[str, object]:
    start = time.monotonic() + 1.0  # time for the prober process to start and connect
    stop = start + seconds
    receiving, sending = multiprocessing.Pipe(duplex=False)
    prober = multiprocessing.get_context("spawn").Process(
        target=probe, args=(base_url, start, stop, sending), daemon=True
    )
    prober.start()
    sending.close()
    logins: tuple[list[float], int] = ([], 0)
    if concurrency:
        logins = asyncio.run(drive_logins(base_url, concurrency, accounts, start, stop))
    if not receiving.poll(seconds + 60):
        prober.kill()
        raise RuntimeError("the prober did not report")
    health, health_failures = receiving.recv()
    prober.join(timeout=10)
    elapsed = max(time.monotonic(), stop) - start
    return {
        "health": health,
        "health_failures": health_failures,
        "logins": logins[0],
        "login_failures": logins[1],
        "elapsed": elapsed,
    }


def register(client: httpx.Client, email: str) -> dict[str, str]:
    credentials = {"email": email, "password": CREDENTIALS["password"]}
    # 202 whether the account is new or from an earlier run: either is as good.
    response = client.post(REGISTER, json={**credentials, "full_name": "Bench Student"})
    response.raise_for_status()
    return credentials


def percentiles(values: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": max(values)}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def report(title: str, phase: dict[str, object]) -> float:
    health: list[float] = phase["health"]  # type: ignore[assignment]
    stats = percentiles(health)
    print(title)
    print(
        f"  GET {LIVE}: {len(health)} probes ({phase['health_failures']} failed), "
        + ", ".join(f"{name} {ms(value)}" for name, value in stats.items())
    )
    logins: list[float] = phase["logins"]  # type: ignore[assignment]
    if logins:
        login_stats = percentiles(logins)
        rate = len(logins) / phase["elapsed"]  # type: ignore[operator]
        print(
            f"  POST {LOGIN}: {len(logins)} done ({phase['login_failures']} not 200), "
            f"{rate:.1f}/s, p50 {ms(login_stats['p50'])}, p99 {ms(login_stats['p99'])}"
        )
    return stats["p99"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="per phase (1 to 300)")
    parser.add_argument("--concurrency", type=int, default=8, help="logins in flight")
    parser.add_argument("--accounts", type=int, default=1, help="accounts to sign in as")
    parser.add_argument("--database-url", default="", help="an empty, disposable database")
    args = parser.parse_args()
    seconds = min(max(args.seconds, 1.0), 300.0)
    concurrency = min(max(args.concurrency, 1), 64)
    extra_accounts = min(max(args.accounts, 1), 16) - 1  # registrations: 20 per address an hour
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="elearn-bench-") as tmp:
        server = start_server(Path(tmp), port, args.database_url)
        try:
            with httpx.Client(base_url=base_url, timeout=30) as client:
                accounts = [CREDENTIALS] + [
                    register(client, f"bench-{n}@example.com") for n in range(1, extra_accounts + 1)
                ]
                single = []
                for n in range(5):  # warm-up, and what one login costs alone
                    sent = time.perf_counter()
                    client.post(LOGIN, json=accounts[n % len(accounts)]).raise_for_status()
                    single.append(time.perf_counter() - sent)
            database = args.database_url.partition(":")[0] or "embedded SQLite"
            print(
                f"elearn serve on {base_url} ({database}), {os.cpu_count()} CPUs, "
                f"{seconds:g} s per phase, {len(accounts)} account(s); "
                f"one login alone: median {ms(statistics.median(single))}"
            )
            loaded = report(
                f"with {concurrency} logins in flight:",
                run_phase(base_url, seconds, concurrency, accounts),
            )
            report("baseline, no logins in flight:", run_phase(base_url, seconds, 0, accounts))
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    verdict = "PASS" if loaded < TARGET_P99_MS / 1000 else "FAIL"
    print(
        f"health p99 with logins in flight {ms(loaded)} (target < {TARGET_P99_MS:g} ms): {verdict}"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
