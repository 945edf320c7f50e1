"""Billing's personal data: orders, refunds, withdrawals, the person's ledger accounts with
their lines, and where they are paid. Erasing keeps every money record the law requires (they
name only the account's id, whose name and address are a pseudonym by then); it drops the
replayable answers kept for Idempotency-Keys."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select

from elearn.adapters.persistence.models.billing import (
    IdempotencyKeyRow,
    JournalEntryRow,
    JournalLineRow,
    LedgerAccountRow,
    OrderRow,
    PayoutAccountRow,
    RefundRow,
    WithdrawalRow,
)
from elearn.adapters.persistence.personal_data import money, plain, write
from elearn.adapters.persistence.unit_of_work import session_of
from elearn.application.personal_data import ErasedData, PersonalData, Pseudonym
from elearn.application.ports import Transaction


class BillingPersonalData:
    async def export(self, uow: Transaction, user_id: UUID) -> PersonalData:
        session = session_of(uow)
        orders = list(
            await session.scalars(
                select(OrderRow)
                .where(OrderRow.buyer_id == user_id)
                .order_by(OrderRow.created_at, OrderRow.id)
            )
        )
        refunds = (
            list(
                await session.scalars(
                    select(RefundRow)
                    .where(RefundRow.order_id.in_([o.id for o in orders]))
                    .order_by(RefundRow.created_at)
                )
            )
            if orders
            else []
        )
        withdrawals = list(
            await session.scalars(
                select(WithdrawalRow)
                .where(WithdrawalRow.tutor_id == user_id)
                .order_by(WithdrawalRow.requested_at)
            )
        )
        accounts = list(
            await session.scalars(
                select(LedgerAccountRow)
                .where(LedgerAccountRow.owner_id == user_id)
                .order_by(LedgerAccountRow.kind, LedgerAccountRow.currency)
            )
        )
        lines = (
            (
                await session.execute(
                    select(
                        JournalLineRow.account_id,
                        JournalLineRow.amount,
                        JournalLineRow.posted_at,
                        JournalEntryRow.kind,
                        JournalEntryRow.memo,
                        JournalEntryRow.reference_id,
                    )
                    .join(JournalEntryRow, JournalEntryRow.id == JournalLineRow.entry_id)
                    .where(JournalLineRow.account_id.in_([a.id for a in accounts]))
                    .order_by(JournalLineRow.posted_at, JournalLineRow.id)
                )
            ).all()
            if accounts
            else []
        )
        currency_of = {a.id: a.currency for a in accounts}
        payout = await session.scalar(
            select(PayoutAccountRow.account_id).where(PayoutAccountRow.user_id == user_id)
        )
        return PersonalData(
            records={
                "orders": [_order(o) for o in orders],
                "refunds": [
                    {
                        "id": str(r.id),
                        "order_id": str(r.order_id),
                        "amount": money(r.amount, r.currency),
                        "reason": r.reason,
                        "status": r.status,
                        "created_at": plain(r.created_at),
                        "completed_at": plain(r.completed_at),
                    }
                    for r in refunds
                ],
                "withdrawals": [
                    {
                        "id": str(w.id),
                        "amount": money(w.amount, w.currency),
                        "status": w.status,
                        "requested_at": plain(w.requested_at),
                        "paid_at": plain(w.paid_at),
                        "reason": w.reason,
                        "failure_reason": w.failure_reason,
                    }
                    for w in withdrawals
                ],
                "ledger_accounts": [
                    {
                        "id": str(a.id),
                        "kind": a.kind,
                        "balance": money(a.balance, a.currency),
                    }
                    for a in accounts
                ],
                "ledger_lines": [
                    {
                        "account_id": str(line.account_id),
                        "amount": money(line.amount, currency_of[line.account_id]),
                        "posted_at": plain(line.posted_at),
                        "entry_kind": line.kind,
                        "memo": line.memo,
                        "reference_id": plain(line.reference_id),
                    }
                    for line in lines
                ],
                "payout_account": payout,
            }
        )

    async def erase(self, uow: Transaction, user_id: UUID, pseudonym: Pseudonym) -> ErasedData:
        session = session_of(uow)
        kept_orders = await session.scalar(
            select(func.count()).select_from(OrderRow).where(OrderRow.buyer_id == user_id)
        )
        kept_accounts = await session.scalar(
            select(func.count())
            .select_from(LedgerAccountRow)
            .where(LedgerAccountRow.owner_id == user_id)
        )
        keys = await write(
            session, delete(IdempotencyKeyRow).where(IdempotencyKeyRow.user_id == user_id)
        )
        return ErasedData(
            counts={
                "orders_kept": int(kept_orders or 0),
                "ledger_accounts_kept": int(kept_accounts or 0),
                "idempotency_records": keys,
            }
        )


def _order(order: OrderRow) -> dict[str, Any]:
    return {
        "id": str(order.id),
        "kind": order.kind,
        "method": order.method,
        "amount": money(order.amount, order.currency),
        "refunded": money(order.refunded_amount, order.currency),
        "status": order.status,
        "course_id": plain(order.course_id),
        "booking_id": plain(order.booking_id),
        "created_at": plain(order.created_at),
        "paid_at": plain(order.paid_at),
        "closed_at": plain(order.closed_at),
    }
