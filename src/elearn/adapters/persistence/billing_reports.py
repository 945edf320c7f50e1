"""Billing's staff reports: orders, payments (money captured through the payment provider),
refunds and payouts, over billing's own tables. Amounts are integer minor units with their
currency; a report's totals are per currency."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from elearn.adapters.persistence.models.billing import OrderRow, RefundRow, WithdrawalRow
from elearn.adapters.persistence.report_rows import ANY_ID, ANY_TEXT, SelectReport, cell, choices
from elearn.application.authorization import Permission
from elearn.application.report_sources import ColumnKind as K
from elearn.application.report_sources import ReportSource
from elearn.domain.billing.order import ItemKind, OrderStatus, PaymentMethod, RefundStatus
from elearn.domain.billing.withdrawal import WithdrawalStatus


def _values(enum: Any) -> list[str]:
    return [member.value for member in enum]


_ORDERS = SelectReport(
    permission=Permission.VIEW_ANY_ORDER,
    cells=(
        cell("order_id", OrderRow.id, K.ID),
        cell("created_at", OrderRow.created_at, K.INSTANT),
        cell("status", OrderRow.status),
        cell("kind", OrderRow.kind),
        cell("method", OrderRow.method),
        cell("buyer_id", OrderRow.buyer_id, K.ID),
        cell("course_id", OrderRow.course_id, K.ID),
        cell("booking_id", OrderRow.booking_id, K.ID),
        cell("paid_at", OrderRow.paid_at, K.INSTANT),
        cell("amount", OrderRow.amount, K.MONEY),
        cell("refunded", OrderRow.refunded_amount, K.MONEY),
        cell("currency", OrderRow.currency, K.CURRENCY),
    ),
    instant=OrderRow.created_at,
    filters={
        "status": choices(*_values(OrderStatus)),
        "kind": choices(*_values(ItemKind)),
        "method": choices(*_values(PaymentMethod)),
    },
    filter_columns={"status": OrderRow.status, "kind": OrderRow.kind, "method": OrderRow.method},
)

# A payment is money captured by the payment provider (a card): what enters the provider
# clearing account of the ledger, so a period's total is that account's movement from sales
# and top-ups. Purchases paid with credits move no money in: they are orders, not payments.
_PAYMENTS = SelectReport(
    permission=Permission.VIEW_ANY_ORDER,
    cells=(
        cell("order_id", OrderRow.id, K.ID),
        cell("paid_at", OrderRow.paid_at, K.INSTANT),
        cell("kind", OrderRow.kind),
        cell("buyer_id", OrderRow.buyer_id, K.ID),
        cell("provider_payment_id", OrderRow.provider_payment_id),
        cell("status", OrderRow.status),
        cell("amount", OrderRow.amount, K.MONEY),
        cell("currency", OrderRow.currency, K.CURRENCY),
    ),
    instant=OrderRow.paid_at,
    where=(OrderRow.method == PaymentMethod.CARD.value,),
    filters={"kind": choices(*_values(ItemKind)), "currency": ANY_TEXT},
    filter_columns={"kind": OrderRow.kind, "currency": OrderRow.currency},
)

_REFUNDS = SelectReport(
    permission=Permission.VIEW_REFUNDS,
    cells=(
        cell("refund_id", RefundRow.id, K.ID),
        cell("created_at", RefundRow.created_at, K.INSTANT),
        cell("completed_at", RefundRow.completed_at, K.INSTANT),
        cell("order_id", RefundRow.order_id, K.ID),
        cell("status", RefundRow.status),
        cell("reason", RefundRow.reason),
        cell("amount", RefundRow.amount, K.MONEY),
        cell("platform_covered", RefundRow.platform_covered, K.MONEY),
        cell("currency", RefundRow.currency, K.CURRENCY),
    ),
    instant=RefundRow.created_at,
    filters={"status": choices(*_values(RefundStatus))},
    filter_columns={"status": RefundRow.status},
)

_PAYOUTS = SelectReport(
    permission=Permission.VIEW_ANY_WITHDRAWAL,
    cells=(
        cell("withdrawal_id", WithdrawalRow.id, K.ID),
        cell("requested_at", WithdrawalRow.requested_at, K.INSTANT),
        cell("tutor_id", WithdrawalRow.tutor_id, K.ID),
        cell("status", WithdrawalRow.status),
        cell("decided_at", WithdrawalRow.decided_at, K.INSTANT),
        cell("paid_at", WithdrawalRow.paid_at, K.INSTANT),
        cell("transfer_id", WithdrawalRow.transfer_id),
        cell("failure_reason", WithdrawalRow.failure_reason),
        cell("amount", WithdrawalRow.amount, K.MONEY),
        cell("currency", WithdrawalRow.currency, K.CURRENCY),
    ),
    instant=WithdrawalRow.requested_at,
    filters={"status": choices(*_values(WithdrawalStatus)), "tutor_id": ANY_ID},
    filter_columns={"status": WithdrawalRow.status, "tutor_id": WithdrawalRow.tutor_id},
)


def billing_reports() -> Mapping[str, ReportSource]:
    return {"orders": _ORDERS, "payments": _PAYMENTS, "refunds": _REFUNDS, "payouts": _PAYOUTS}
