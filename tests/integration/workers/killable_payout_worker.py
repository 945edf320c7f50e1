"""A Dramatiq worker module for the payout kill test: the real worker with a payment provider
whose transfers are files in ``TEST_MARKERS_DIR/transfers``, so they outlive the process.

The provider has forgotten every idempotency key (as Stripe does after a day, while a message
can be redelivered later than that): each ``transfer`` call sends money anew. Only looking the
transfer up by its group (``find_transfer``) keeps a second attempt from paying twice. The first
``transfer`` stalls after the money has gone, so the test can kill the worker between the
gateway call and the commit.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from uuid import uuid4

import dramatiq

from elearn.adapters.jobs.broker import build_broker
from elearn.adapters.payments.sandbox import SandboxPaymentGateway
from elearn.adapters.system import SystemClock
from elearn.domain.shared.money import Money
from elearn.entrypoints.billing import sandbox_links
from elearn.entrypoints.settings import load_settings
from elearn.entrypoints.workers.actors import WorkerRuntime, register_actors

MARKERS = Path(os.environ["TEST_MARKERS_DIR"])
TRANSFERS = MARKERS / "transfers"


class ForgetfulProvider(SandboxPaymentGateway):
    async def find_transfer(self, *, group: str) -> str | None:
        (MARKERS / f"looked-{uuid4().hex}").touch()
        for sent in sorted(TRANSFERS.glob("*.json")):
            transfer = json.loads(sent.read_text())
            if transfer["group"] == group:
                return str(transfer["id"])
        return None

    async def transfer(
        self, *, destination: str, amount: Money, idempotency_key: str, group: str
    ) -> str:
        transfer_id = f"tr_{uuid4().hex}"  # a new transfer every call: the key is forgotten
        record = {
            "id": transfer_id,
            "group": group,
            "idempotency_key": idempotency_key,
            "destination": destination,
            "amount": amount.amount,
            "currency": amount.currency,
        }
        TRANSFERS.mkdir(exist_ok=True)
        staged = TRANSFERS / f"{transfer_id}.tmp"
        staged.write_text(json.dumps(record))
        staged.rename(TRANSFERS / f"{transfer_id}.json")  # whole or absent for the test
        attempt = len(list(MARKERS.glob("transferred-*"))) + 1
        (MARKERS / f"transferred-{attempt}").touch()
        if attempt == 1:
            await asyncio.sleep(120)  # the money has gone; the test kills us here
        return transfer_id


settings = load_settings(env_file=None)
broker = build_broker(
    settings.redis_url,
    namespace=os.environ["TEST_BROKER_NAMESPACE"],
    heartbeat_timeout_ms=1_000,
)
# Check for dead peers on every fetch, so the test does not wait for the odds.
broker.maintenance_chance = 1_000_000  # type: ignore[attr-defined]
dramatiq.set_broker(broker)
register_actors(
    broker,
    WorkerRuntime(
        settings,
        broker,
        overrides={
            "gateway": ForgetfulProvider(
                settings.public_url, sandbox_links(settings, SystemClock())
            )
        },
    ),
)
