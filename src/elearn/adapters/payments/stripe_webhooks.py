"""Stripe's webhooks: the signature checked by the stripe library, the timestamp by our clock,
and the event reduced to the few fields billing reads.

The library checks the HMAC of ``"{t}.{body}"`` against every ``v1=`` signature in the
``Stripe-Signature`` header (several while a secret rolls over). Its own age check reads
``time.time()`` and refuses only old timestamps, so it is switched off and the clock judges both
ways: a timestamp more than ``tolerance_seconds`` in the past is a replay, one as far in the
future was not made by Stripe's clock.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import stripe

from elearn.application.billing.ports import InvalidWebhook, ProviderEvent
from elearn.application.ports import Clock

__all__ = ["StripeWebhookVerifier"]

# Unix seconds up to the year 5138: anything larger is no timestamp (and would overflow floats).
_LATEST_TIMESTAMP = 10**11


class StripeWebhookVerifier:
    """``WebhookVerifier`` for Stripe's signed events (secret ``whsec_...``)."""

    __slots__ = ("_clock", "_secret", "_tolerance")

    def __init__(self, secret: str, clock: Clock, *, tolerance_seconds: int = 300) -> None:
        if not secret or not secret.strip():
            raise ValueError("StripeWebhookVerifier needs the endpoint's signing secret")
        if tolerance_seconds <= 0:
            raise ValueError("tolerance_seconds must be positive")
        self._secret = secret
        self._clock = clock
        self._tolerance = tolerance_seconds

    def verify(self, payload: bytes, signature: str | None) -> ProviderEvent:
        if not signature:
            raise InvalidWebhook("no Stripe-Signature header")
        try:
            body = payload.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidWebhook("the body is not UTF-8") from None
        signed_at = _timestamp_of(signature)
        try:
            # tolerance=None: the age is checked below, by our clock and in both directions.
            stripe.WebhookSignature.verify_header(body, signature, self._secret, tolerance=None)
        except stripe.SignatureVerificationError:
            raise InvalidWebhook("the signature does not match the body") from None
        age = self._clock.now().timestamp() - signed_at
        if age > self._tolerance:
            raise InvalidWebhook(f"signed {int(age)} s ago, beyond the {self._tolerance} s allowed")
        if -age > self._tolerance:
            raise InvalidWebhook(f"signed {int(-age)} s in the future")
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            raise InvalidWebhook("the body is not JSON") from None
        return _event_from(document)


def _timestamp_of(header: str) -> int:
    # The first "t=" item, as the library reads it, so both judge the same instant.
    for item in header.split(","):
        key, _, value = item.partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                break
            if 0 <= timestamp < _LATEST_TIMESTAMP:
                return timestamp
            break
    raise InvalidWebhook("the Stripe-Signature header has no valid timestamp")


def _event_from(document: object) -> ProviderEvent:
    if not isinstance(document, dict):
        raise InvalidWebhook("the body is not an event")
    event_id, event_type = document.get("id"), document.get("type")
    if not isinstance(event_id, str) or not event_id:
        raise InvalidWebhook("the event has no id")
    if not isinstance(event_type, str) or not event_type:
        raise InvalidWebhook("the event has no type")
    if event_type.startswith("checkout.session."):
        session = _object_of(document)
        return ProviderEvent(
            id=event_id,
            type=event_type,
            order_id=_order_id(_metadata(session).get("order_id"))
            or _order_id(session.get("client_reference_id")),
            session_id=_id_of(session, "id"),
            payment_id=_id_of(session, "payment_intent"),
            amount=_amount(session, "amount_total"),
            currency=_currency(session),
            # "unpaid" for a delayed method (SEPA, ACH): the money comes later, if at all.
            paid=session.get("payment_status") in ("paid", "no_payment_required"),
        )
    if event_type.startswith("payment_intent."):
        intent = _object_of(document)
        error = intent.get("last_payment_error")
        failure = error.get("message") if isinstance(error, dict) else None
        return ProviderEvent(
            id=event_id,
            type=event_type,
            order_id=_order_id(_metadata(intent).get("order_id")),
            payment_id=_id_of(intent, "id"),
            # A failed intent received nothing: its amount is what was asked.
            amount=_amount(intent, "amount_received") or _amount(intent, "amount"),
            currency=_currency(intent),
            failure=failure if isinstance(failure, str) else None,
        )
    if event_type == "charge.refunded":
        charge = _object_of(document)
        return ProviderEvent(
            id=event_id,
            type=event_type,
            order_id=_order_id(_metadata(charge).get("order_id")),
            payment_id=_id_of(charge, "payment_intent"),
            amount=_amount(charge, "amount"),
            amount_refunded=_amount(charge, "amount_refunded"),
            currency=_currency(charge),
        )
    return ProviderEvent(id=event_id, type=event_type)


def _object_of(document: dict[str, Any]) -> dict[str, Any]:
    data = document.get("data")
    stripe_object = data.get("object") if isinstance(data, dict) else None
    if not isinstance(stripe_object, dict):
        raise InvalidWebhook("the event carries no object")
    return stripe_object


def _metadata(stripe_object: dict[str, Any]) -> dict[str, Any]:
    metadata = stripe_object.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def _order_id(value: object) -> UUID | None:
    # Metadata is free text that other integrations on the account may fill: not ours, no order.
    if not isinstance(value, str):
        return None
    try:
        return UUID(value)
    except ValueError:
        return None


def _id_of(stripe_object: dict[str, Any], name: str) -> str | None:
    # A reference is an id, or the whole object when the endpoint expands it.
    value = stripe_object.get(name)
    if isinstance(value, dict):
        value = value.get("id")
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidWebhook(f"{name} is not an id")
    return value


def _amount(stripe_object: dict[str, Any], name: str) -> int | None:
    value = stripe_object.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidWebhook(f"{name} is not an amount in minor units")
    return value


def _currency(stripe_object: dict[str, Any]) -> str | None:
    value = stripe_object.get("currency")
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidWebhook("currency is not a code")
    return value.upper()
