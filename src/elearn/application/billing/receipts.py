"""Receipts: an email to the buyer once an order is paid (a course, a lesson or wallet credits),
with the amount written in its currency."""

from __future__ import annotations

from elearn.application.billing.deps import BillingDeps
from elearn.application.mail import EmailTemplates, MailAbout, PersonalMailer, in_zone
from elearn.domain.billing.order import ItemKind, OrderPaid, PaymentMethod
from elearn.domain.shared.events import DomainEvent

_PAID_WITH = {PaymentMethod.CARD: "card", PaymentMethod.CREDITS: "wallet credits"}


class SendReceipt:
    """Mails the buyer what they paid, for what, how and when (on their own clocks, in their
    language where the template has it); delivered at least once from the outbox."""

    def __init__(
        self, deps: BillingDeps, mailer: PersonalMailer, templates: EmailTemplates
    ) -> None:
        self._deps = deps
        self._mailer = mailer
        self._templates = templates

    async def __call__(self, event: DomainEvent) -> None:
        assert isinstance(event, OrderPaid)
        deps = self._deps
        async with deps.uow(read_only=True) as uow:
            buyer = await deps.identity.recipient(uow, event.buyer_id)
            order = await uow.billing.orders.get(event.order_id)
            course = (
                await deps.catalog.course_for_sale(uow, order.course_id)
                if order is not None and order.course_id is not None
                else None
            )
        if buyer is None or order is None or order.paid_at is None:
            return
        if order.kind is ItemKind.WALLET_TOPUP:
            item = "Wallet credits"
        elif order.kind is ItemKind.BOOKING:
            item = "A 1:1 lesson"
        else:
            item = f"Course: {course.title}" if course is not None else "A course"
        context: dict[str, object] = {
            "full_name": buyer.full_name,
            "item": item,
            "is_topup": order.kind is ItemKind.WALLET_TOPUP,
            "amount": deps.currency(order.amount.currency).format(order.amount),
            "paid_with": _PAID_WITH[order.method],
            "paid_at": in_zone(order.paid_at, buyer.time_zone),
            "order_id": str(order.id),
        }
        message = self._templates.render(
            "receipt", context, to=[buyer.email], language=buyer.language
        )
        await self._mailer.send(message, MailAbout(event.buyer_id, "payment", str(event.event_id)))
