"""Billing's staff reports: orders, payments (money captured through the payment provider),
refunds and payouts, over billing's own tables. Amounts are integer minor units with their
currency; a report's totals are per currency."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from elearn.adapters.persistence.models.billing import OrderRow, RefundRow, WithdrawalRow
from elearn.adapters.persistence.report_rows import ANY_ID, ANY_TEXT, SelectReport, choices
from elearn.application.authorization import Permission
from elearn.application.report_sources import ColumnKind, ReportColumn, ReportSource
from elearn.domain.billing.order import ItemKind, OrderStatus, PaymentMethod, RefundStatus
from elearn.domain.billing.withdrawal import WithdrawalStatus

K = ColumnKind


def _columns(*specs: tuple[str, ColumnKind]) -> tuple[ReportColumn, ...]:
    return tuple(ReportColumn(name, kind) for name, kind in specs)


def _values(enum: Any) -> list[str]:
    return [member.value for member in enum]


_ORDERS = SelectReport(
    permission=Permission.VIEW_ANY_ORDER,
    columns=_columns(
        ("order_id", K.ID),
        ("created_at", K.INSTANT),
        ("status", K.TEXT),
        ("kind", K.TEXT),
        ("method", K.TEXT),
        ("buyer_id", K.ID),
        ("course_id", K.ID),
        ("booking_id", K.ID),
        ("paid_at", K.INSTANT),
        ("amount", K.MONEY),
        ("refunded", K.MONEY),
        ("currency", K.CURRENCY),
    ),
    instant=OrderRow.created_at,
    select=lambda: select(
        OrderRow.id,
        OrderRow.created_at,
        OrderRow.status,
        OrderRow.kind,
        OrderRow.method,
        OrderRow.buyer_id,
        OrderRow.course_id,
        OrderRow.booking_id,
        OrderRow.paid_at,
        OrderRow.amount,
        OrderRow.refunded_amount,
        OrderRow.currency,
    ),
    row=tuple,
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
    columns=_columns(
        ("order_id", K.ID),
        ("paid_at", K.INSTANT),
        ("kind", K.TEXT),
        ("buyer_id", K.ID),
        ("provider_payment_id", K.TEXT),
        ("status", K.TEXT),
        ("amount", K.MONEY),
        ("currency", K.CURRENCY),
    ),
    instant=OrderRow.paid_at,
    select=lambda: select(
        OrderRow.id,
        OrderRow.paid_at,
        OrderRow.kind,
        OrderRow.buyer_id,
        OrderRow.provider_payment_id,
        OrderRow.status,
        OrderRow.amount,
        OrderRow.currency,
    ).where(OrderRow.method == PaymentMethod.CARD.value),
    row=tuple,
    filters={"kind": choices(*_values(ItemKind)), "currency": ANY_TEXT},
    filter_columns={"kind": OrderRow.kind, "currency": OrderRow.currency},
)

_REFUNDS = SelectReport(
    permission=Permission.VIEW_REFUNDS,
    columns=_columns(
        ("refund_id", K.ID),
        ("created_at", K.INSTANT),
        ("completed_at", K.INSTANT),
        ("order_id", K.ID),
        ("status", K.TEXT),
        ("reason", K.TEXT),
        ("amount", K.MONEY),
        ("platform_covered", K.MONEY),
        ("currency", K.CURRENCY),
    ),
    instant=RefundRow.created_at,
    select=lambda: select(
        RefundRow.id,
        RefundRow.created_at,
        RefundRow.completed_at,
        RefundRow.order_id,
        RefundRow.status,
        RefundRow.reason,
        RefundRow.amount,
        RefundRow.platform_covered,
        RefundRow.currency,
    ),
    row=tuple,
    filters={"status": choices(*_values(RefundStatus))},
    filter_columns={"status": RefundRow.status},
)

_PAYOUTS = SelectReport(
    permission=Permission.VIEW_ANY_WITHDRAWAL,
    columns=_columns(
        ("withdrawal_id", K.ID),
        ("requested_at", K.INSTANT),
        ("tutor_id", K.ID),
        ("status", K.TEXT),
        ("decided_at", K.INSTANT),
        ("paid_at", K.INSTANT),
        ("transfer_id", K.TEXT),
        ("failure_reason", K.TEXT),
        ("amount", K.MONEY),
        ("currency", K.CURRENCY),
    ),
    instant=WithdrawalRow.requested_at,
    select=lambda: select(
        WithdrawalRow.id,
        WithdrawalRow.requested_at,
        WithdrawalRow.tutor_id,
        WithdrawalRow.status,
        WithdrawalRow.decided_at,
        WithdrawalRow.paid_at,
        WithdrawalRow.transfer_id,
        WithdrawalRow.failure_reason,
        WithdrawalRow.amount,
        WithdrawalRow.currency,
    ),
    row=tuple,
    filters={"status": choices(*_values(WithdrawalStatus)), "tutor_id": ANY_ID},
    filter_columns={"status": WithdrawalRow.status, "tutor_id": WithdrawalRow.tutor_id},
)


def billing_reports() -> Mapping[str, ReportSource]:
    return {"orders": _ORDERS, "payments": _PAYMENTS, "refunds": _REFUNDS, "payouts": _PAYOUTS}
