"""A fake Stripe API on loopback for the real ``stripe`` library, and builders of signed
webhook events.

``FakeStripe`` serves the few endpoints billing calls (checkout sessions, refunds, Express
accounts, account links, transfers) from a thread, on 127.0.0.1 and a free port. It reads the
form bodies the library sends, answers the JSON shapes the library parses, and keeps Stripe's
idempotency promise: a second request with the same ``Idempotency-Key`` gets the first answer
again (``Idempotent-Replayed: true``) and creates nothing, and a key reused with other
parameters is refused with an ``idempotency_error``. Everything is recorded so tests can count
requests and created objects. Scripted faults stand in for trouble *in front of* Stripe (a load
balancer's 5xx, a slow network): they happen before the endpoint runs, so nothing is stored
under the key and a retry gets a fresh chance.

    with FakeStripe() as fake:
        gateway = StripePaymentGateway("sk_test_x", api_base=fake.url)
        fake.fail_next(status=500)          # the next request gets a 500
        fake.hang_next(2.0)                 # the one after is done, but answered 2 s late
        fake.reject_next(message="No such payment_intent: 'pi_x'")   # a 400 in Stripe's format

The event builders (``checkout_completed_event`` ...) return the bytes of Stripe-shaped event
JSON; ``sign_webhook`` makes the matching ``Stripe-Signature`` header with the library's own
signing code.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from uuid import UUID

import stripe

__all__ = [
    "FakeStripe",
    "RecordedRequest",
    "charge_refunded_event",
    "checkout_completed_event",
    "checkout_expired_event",
    "decode_form",
    "payment_failed_event",
    "payment_intent_succeeded_event",
    "sign_webhook",
    "stripe_error",
    "stripe_event",
]


# ---- the fake API ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the fake received it. ``params`` are decoded from the form body (POST) or
    the query (GET) into nested dicts and lists of strings, as Stripe reads them: ``"4999"``,
    ``"true"``. ``outcome`` says what the fake did: ``"created"``, ``"listed"``, ``"replayed"``,
    ``"refused"`` (a 4xx of the endpoint), ``"fault"`` (a scripted failure) or ``"hung"``."""

    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    api_key: str | None
    outcome: str


@dataclass(slots=True)
class _Fault:
    status: int = 500
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    hang_seconds: float = 0.0
    process_first: bool = True


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _StoredAnswer:
    request: tuple[str, str, str]  # method, path, parameters: what the key was first used for
    answer: _Answer


class _Refusal(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body)
        self.answer = _Answer(status, body)


def stripe_error(
    message: str,
    *,
    error_type: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
) -> dict[str, Any]:
    """An error body in Stripe's format."""
    error: dict[str, Any] = {"type": error_type, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return {"error": error}


class FakeStripe:
    """A Stripe API double on ``url`` (``http://127.0.0.1:<port>``); a context manager.

    ``api_key``: if given, any other bearer key gets a 401 like Stripe's. ``refund_status``:
    the status new refunds are created with (``"succeeded"``, ``"pending"``, ...).
    """

    def __init__(self, *, api_key: str | None = None, refund_status: str = "succeeded") -> None:
        self.api_key = api_key
        self.refund_status = refund_status
        self.requests: list[RecordedRequest] = []
        self._objects: dict[str, list[dict[str, Any]]] = {}
        self._by_key: dict[str, _StoredAnswer] = {}
        self._faults: deque[_Fault] = deque()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._routes: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]] = {
            ("POST", "/v1/checkout/sessions"): self._create_checkout_session,
            ("POST", "/v1/refunds"): self._create_refund,
            ("POST", "/v1/accounts"): self._create_account,
            ("POST", "/v1/account_links"): self._create_account_link,
            ("POST", "/v1/transfers"): self._create_transfer,
            ("GET", "/v1/transfers"): self._list_transfers,
        }

    # ---- lifecycle -----------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeStripe is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeStripe:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        server.block_on_close = False  # a hung request must not hold up the test's teardown
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeStripe:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- scripting -----------------------------------------------------------------------
    def fail_next(
        self,
        status: int = 500,
        *,
        times: int = 1,
        message: str = "An unknown error occurred.",
        error_type: str = "api_error",
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next ``times`` requests get ``status`` with a Stripe error body, before any
        endpoint runs (nothing is created, nothing is stored under their key). ``headers`` may
        carry Stripe's advice, e.g. ``{"Stripe-Should-Retry": "false"}``."""
        body = stripe_error(message, error_type=error_type, code=code)
        with self._lock:
            for _ in range(times):
                self._faults.append(_Fault(status=status, body=body, headers=dict(headers or {})))

    def reject_next(
        self,
        status: int = 400,
        *,
        message: str = "Invalid request.",
        error_type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        """The next request is refused with a 4xx in Stripe's format (401 authentication,
        402 card error, 403 permission, 400/404 invalid request...)."""
        body = stripe_error(message, error_type=error_type, code=code, param=param)
        with self._lock:
            self._faults.append(_Fault(status=status, body=body))

    def hang_next(self, seconds: float, *, times: int = 1, process_first: bool = True) -> None:
        """The next ``times`` requests get no answer for ``seconds`` (a client with a shorter
        timeout gives up). With ``process_first`` the request is carried out first, as when a
        network drops Stripe's answer: a retry with the same key then gets the replay."""
        with self._lock:
            for _ in range(times):
                self._faults.append(_Fault(hang_seconds=seconds, process_first=process_first))

    # ---- what happened -------------------------------------------------------------------
    def created(self, object_type: str) -> list[dict[str, Any]]:
        """The objects created so far, oldest first: ``"checkout.session"``, ``"refund"``,
        ``"account"``, ``"account_link"``, ``"transfer"``."""
        with self._lock:
            return list(self._objects.get(object_type, []))

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == method and r.path == path]

    # ---- serving -------------------------------------------------------------------------
    def _serve(
        self, method: str, path: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[_Answer | None, dict[str, str], float]:
        """The answer (None: drop the connection), extra headers, and how long to wait first."""
        key = headers.get("idempotency-key")
        api_key = _bearer(headers.get("authorization"))
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        if fault is not None and not fault.hang_seconds:
            self._record(method, path, params, key, api_key, "fault")
            return _Answer(fault.status, fault.body), fault.headers, 0.0
        if fault is not None and not fault.process_first:
            self._record(method, path, params, key, api_key, "hung")
            return None, {}, fault.hang_seconds
        answer, outcome, extra = self._carry_out(method, path, params, key, api_key)
        if fault is not None:
            outcome = "hung"
        self._record(method, path, params, key, api_key, outcome)
        return answer, extra, fault.hang_seconds if fault is not None else 0.0

    def _carry_out(
        self,
        method: str,
        path: str,
        params: dict[str, Any],
        key: str | None,
        api_key: str | None,
    ) -> tuple[_Answer, str, dict[str, str]]:
        if api_key is None or (self.api_key is not None and api_key != self.api_key):
            shown = f"{api_key[:8]}{'*' * 8}{api_key[-4:]}" if api_key else "none"
            body = stripe_error(f"Invalid API Key provided: {shown}")
            return _Answer(401, body), "refused", {}
        route = self._routes.get((method, path))
        if route is None:
            body = stripe_error(f"Unrecognized request URL ({method}: {path}).")
            return _Answer(404, body), "refused", {}
        fingerprint = (method, path, json.dumps(params, sort_keys=True))
        # One request at a time, as Stripe locks a key while its first request runs.
        with self._lock:
            if method == "POST" and key:
                stored = self._by_key.get(key)
                if stored is not None:
                    if stored.request != fingerprint:
                        body = stripe_error(
                            "Keys for idempotent requests can only be used with the same "
                            f"parameters they were first used with. Key: {key!r}",
                            error_type="idempotency_error",
                        )
                        return _Answer(400, body), "refused", {}
                    return stored.answer, "replayed", {"Idempotent-Replayed": "true"}
            try:
                answer = _Answer(200, route(params))
                outcome = "created" if method == "POST" else "listed"
            except _Refusal as refusal:
                # Stripe stores no result for a request that failed validation.
                return refusal.answer, "refused", {}
            if method == "POST" and key:
                self._by_key[key] = _StoredAnswer(fingerprint, answer)
            return answer, outcome, {}

    def _record(
        self,
        method: str,
        path: str,
        params: dict[str, Any],
        key: str | None,
        api_key: str | None,
        outcome: str,
    ) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(method, path, params, key, api_key, outcome))

    # ---- endpoints (called under the lock) -----------------------------------------------
    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):06d}"

    def _store(self, stripe_object: dict[str, Any]) -> dict[str, Any]:
        self._objects.setdefault(stripe_object["object"], []).append(stripe_object)
        return stripe_object

    def _create_checkout_session(self, params: dict[str, Any]) -> dict[str, Any]:
        _require(params, "mode", "line_items")
        if params["mode"] != "payment":
            raise _invalid("Only mode=payment is faked.", param="mode")
        total, currency = 0, None
        for item in params["line_items"]:
            price = item.get("price_data") or {}
            _require(price, "currency", "unit_amount", prefix="line_items[0][price_data]")
            total += _amount_of(price["unit_amount"]) * _amount_of(item.get("quantity", "1"))
            currency = price["currency"]
        session_id = self._new_id("cs_test")
        return self._store(
            {
                "id": session_id,
                "object": "checkout.session",
                "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                "mode": "payment",
                "status": "open",
                "payment_status": "unpaid",
                "payment_intent": None,
                "amount_total": total,
                "currency": currency,
                "customer_email": params.get("customer_email"),
                "client_reference_id": params.get("client_reference_id"),
                "success_url": params.get("success_url"),
                "cancel_url": params.get("cancel_url"),
                "metadata": params.get("metadata", {}),
                "livemode": False,
                "created": int(time.time()),
            }
        )

    def _create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        if "payment_intent" not in params and "charge" not in params:
            raise _invalid(
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                code="parameter_missing",
            )
        return self._store(
            {
                "id": self._new_id("re"),
                "object": "refund",
                "amount": _amount_of(params["amount"]) if "amount" in params else None,
                "currency": "usd",
                "payment_intent": params.get("payment_intent"),
                "charge": params.get("charge"),
                "status": self.refund_status,
                "metadata": params.get("metadata", {}),
                "created": int(time.time()),
            }
        )

    def _create_account(self, params: dict[str, Any]) -> dict[str, Any]:
        requested = params.get("capabilities", {})
        return self._store(
            {
                "id": self._new_id("acct"),
                "object": "account",
                "type": params.get("type", "standard"),
                "email": params.get("email"),
                "capabilities": {name: "inactive" for name in requested},
                "charges_enabled": False,
                "payouts_enabled": False,
                "details_submitted": False,
                "metadata": params.get("metadata", {}),
                "created": int(time.time()),
            }
        )

    def _create_account_link(self, params: dict[str, Any]) -> dict[str, Any]:
        _require(params, "account", "type", "return_url", "refresh_url")
        self._known_account(params["account"], "account")
        created = int(time.time())
        return self._store(
            {
                "object": "account_link",
                "url": f"https://connect.stripe.com/setup/e/{params['account']}/{self._new_id('al')}",
                "created": created,
                "expires_at": created + 300,
            }
        )

    def _create_transfer(self, params: dict[str, Any]) -> dict[str, Any]:
        _require(params, "amount", "currency", "destination")
        self._known_account(params["destination"], "destination")
        return self._store(
            {
                "id": self._new_id("tr"),
                "object": "transfer",
                "amount": _amount_of(params["amount"]),
                "currency": params["currency"],
                "destination": params["destination"],
                "transfer_group": params.get("transfer_group"),
                "metadata": params.get("metadata", {}),
                "reversed": False,
                "created": int(time.time()),
            }
        )

    def _list_transfers(self, params: dict[str, Any]) -> dict[str, Any]:
        transfers = list(reversed(self._objects.get("transfer", [])))  # newest first, as Stripe
        if "transfer_group" in params:
            transfers = [t for t in transfers if t["transfer_group"] == params["transfer_group"]]
        if "destination" in params:
            transfers = [t for t in transfers if t["destination"] == params["destination"]]
        limit = _amount_of(params.get("limit", "10"))
        return {
            "object": "list",
            "url": "/v1/transfers",
            "has_more": len(transfers) > limit,
            "data": transfers[:limit],
        }

    def _known_account(self, account_id: str, param: str) -> None:
        if not any(a["id"] == account_id for a in self._objects.get("account", [])):
            raise _invalid(f"No such {param}: '{account_id}'", code="resource_missing", param=param)


def _handler_for(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as httpx's pool expects
        timeout = 10  # idle keep-alive connections end on their own after a test

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8") if length else ""
            params = decode_form(body if method == "POST" else parts.query)
            headers = {name.lower(): value for name, value in self.headers.items()}
            answer, extra, delay = fake._serve(method, parts.path, params, headers)
            if delay and fake._stopping.wait(delay):
                self.close_connection = True
                return
            if answer is None:
                self.close_connection = True
                return
            payload = json.dumps(answer.body).encode()
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Request-Id", f"req_fake{time.monotonic_ns()}")
                if "idempotency-key" in headers:
                    self.send_header("Idempotency-Key", headers["idempotency-key"])
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up waiting: that was the point

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: tests read fake.requests instead

    return Handler


def decode_form(encoded: str) -> dict[str, Any]:
    """Stripe's form encoding back into nested values: ``metadata[order_id]=x`` becomes
    ``{"metadata": {"order_id": "x"}}`` and ``line_items[0][quantity]=1`` a list of dicts."""
    root: dict[str, Any] = {}
    for name, value in parse_qsl(encoded, keep_blank_values=True):
        match = re.fullmatch(r"([^\[\]]+)((?:\[[^\[\]]*\])*)", name)
        if match is None:
            continue
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for step in path[:-1]:
            node = node.setdefault(step, {})
        node[path[-1]] = value
    return _lists_from_indexed(root)


def _lists_from_indexed(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    converted = {k: _lists_from_indexed(v) for k, v in value.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization.startswith("Bearer "):
        return authorization.removeprefix("Bearer ").strip() or None
    return None


def _invalid(message: str, *, code: str | None = None, param: str | None = None) -> _Refusal:
    return _Refusal(400, stripe_error(message, code=code, param=param))


def _require(params: dict[str, Any], *names: str, prefix: str = "") -> None:
    for name in names:
        if name not in params:
            shown = f"{prefix}[{name}]" if prefix else name
            raise _invalid(f"Missing required param: {shown}.", code="parameter_missing")


def _amount_of(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _invalid(f"Invalid integer: {value}", code="parameter_invalid_integer") from None


# ---- webhooks ----------------------------------------------------------------------------------
def sign_webhook(payload: bytes, secret: str, timestamp: int) -> str:
    """The ``Stripe-Signature`` header Stripe would send for ``payload`` signed at
    ``timestamp`` (Unix seconds) with the endpoint secret, computed by the stripe library."""
    signature = stripe.WebhookSignature._compute_signature(
        f"{timestamp}.{payload.decode('utf-8')}", secret
    )
    return f"t={timestamp},{stripe.WebhookSignature.EXPECTED_SCHEME}={signature}"


def stripe_event(
    event_id: str,
    event_type: str,
    data_object: dict[str, Any],
    *,
    created: int | None = None,
) -> bytes:
    """Any Stripe event (``{"object": "event", "type": ..., "data": {"object": ...}}``)."""
    event = {
        "id": event_id,
        "object": "event",
        "api_version": stripe.api_version,
        "created": created if created is not None else int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "data": {"object": data_object},
    }
    return json.dumps(event).encode()


def _order_metadata(order_id: UUID | str | None) -> dict[str, str]:
    return {} if order_id is None else {"order_id": str(order_id)}


def _checkout_session(
    order_id: UUID | str | None,
    session_id: str,
    payment_intent: str | None,
    amount: int,
    currency: str,
    *,
    status: str,
    payment_status: str,
) -> dict[str, Any]:
    return {
        "id": session_id,
        "object": "checkout.session",
        "mode": "payment",
        "status": status,
        "payment_status": payment_status,
        "payment_intent": payment_intent,
        "amount_total": amount,
        "amount_subtotal": amount,
        "currency": currency.lower(),
        "client_reference_id": None if order_id is None else str(order_id),
        "metadata": _order_metadata(order_id),
        "livemode": False,
    }


def checkout_completed_event(
    event_id: str,
    order_id: UUID | str | None,
    session_id: str,
    payment_intent: str,
    amount: int,
    currency: str,
) -> bytes:
    """``checkout.session.completed`` of a paid one-time payment session. ``order_id`` goes in
    the session's metadata and client_reference_id (None: neither; any string, even no UUID)."""
    return stripe_event(
        event_id,
        "checkout.session.completed",
        _checkout_session(
            order_id,
            session_id,
            payment_intent,
            amount,
            currency,
            status="complete",
            payment_status="paid",
        ),
    )


def checkout_expired_event(
    event_id: str,
    order_id: UUID | str | None,
    session_id: str,
    amount: int,
    currency: str,
) -> bytes:
    """``checkout.session.expired``: the buyer never paid, so the session has no payment
    intent."""
    return stripe_event(
        event_id,
        "checkout.session.expired",
        _checkout_session(
            order_id,
            session_id,
            None,
            amount,
            currency,
            status="expired",
            payment_status="unpaid",
        ),
    )


def _payment_intent(
    order_id: UUID | str | None,
    payment_intent: str,
    amount: int,
    currency: str,
    *,
    status: str,
    amount_received: int,
    failure_message: str | None,
) -> dict[str, Any]:
    return {
        "id": payment_intent,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount_received,
        "currency": currency.lower(),
        "status": status,
        "metadata": _order_metadata(order_id),
        "last_payment_error": (
            None
            if failure_message is None
            else {"type": "card_error", "code": "card_declined", "message": failure_message}
        ),
        "livemode": False,
    }


def payment_intent_succeeded_event(
    event_id: str,
    order_id: UUID | str | None,
    payment_intent: str,
    amount: int,
    currency: str,
) -> bytes:
    """``payment_intent.succeeded``: ``amount`` received in full; ``order_id`` in metadata."""
    return stripe_event(
        event_id,
        "payment_intent.succeeded",
        _payment_intent(
            order_id,
            payment_intent,
            amount,
            currency,
            status="succeeded",
            amount_received=amount,
            failure_message=None,
        ),
    )


def payment_failed_event(
    event_id: str,
    order_id: UUID | str | None,
    payment_intent: str,
    amount: int,
    currency: str,
    failure_message: str = "Your card was declined.",
) -> bytes:
    """``payment_intent.payment_failed``: nothing received; ``last_payment_error.message`` is
    ``failure_message``."""
    return stripe_event(
        event_id,
        "payment_intent.payment_failed",
        _payment_intent(
            order_id,
            payment_intent,
            amount,
            currency,
            status="requires_payment_method",
            amount_received=0,
            failure_message=failure_message,
        ),
    )


def charge_refunded_event(
    event_id: str,
    order_id: UUID | str | None,
    payment_intent: str,
    amount: int,
    amount_refunded: int,
    currency: str,
    *,
    charge_id: str | None = None,
) -> bytes:
    """``charge.refunded``: ``amount_refunded`` is everything refunded from the charge so far
    (not this refund alone); ``order_id`` in the charge's metadata."""
    return stripe_event(
        event_id,
        "charge.refunded",
        {
            "id": charge_id or f"ch_for_{payment_intent}",
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": amount_refunded,
            "refunded": amount_refunded >= amount,
            "currency": currency.lower(),
            "payment_intent": payment_intent,
            "metadata": _order_metadata(order_id),
            "livemode": False,
        },
    )
