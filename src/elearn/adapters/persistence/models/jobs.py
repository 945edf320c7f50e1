"""The transactional outbox, its per-handler deliveries, dead jobs and scheduler claims."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from elearn.adapters.persistence.models.base import Base


class OutboxMessageRow(Base):
    """A domain event, stored in the transaction that produced it."""

    __tablename__ = "outbox_messages"

    event_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]]
    occurred_at: Mapped[datetime]
    deliveries: Mapped[list[OutboxDeliveryRow]] = relationship(
        back_populates="message", lazy="raise", cascade="all, delete-orphan"
    )


class OutboxDeliveryRow(Base):
    """One handler's share of an outbox message: pending → dispatched → done, or dead."""

    __tablename__ = "outbox_deliveries"
    __table_args__ = (
        UniqueConstraint("message_id", "handler", name="uq_outbox_deliveries_message_handler"),
        Index("ix_outbox_deliveries_status_created_at", "status", "created_at"),
    )

    message_id: Mapped[UUID] = mapped_column(ForeignKey("outbox_messages.id", ondelete="CASCADE"))
    handler: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    dispatched_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    message: Mapped[OutboxMessageRow] = relationship(back_populates="deliveries", lazy="raise")


class DeadJobRow(Base):
    """A background message that failed every retry, kept with its last error until an admin
    retries or discards it."""

    __tablename__ = "dead_jobs"

    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    queue_name: Mapped[str] = mapped_column(String(100))
    actor_name: Mapped[str] = mapped_column(String(100), index=True)
    message: Mapped[dict[str, Any]]
    last_error: Mapped[str] = mapped_column(Text)
    failed_at: Mapped[datetime]
    retried_at: Mapped[datetime | None]


class ScheduledRunRow(Base):
    """A periodic job's claim on a time slot: its unique key lets one scheduler fire it."""

    __tablename__ = "scheduled_runs"
    __table_args__ = (
        UniqueConstraint("job_name", "slot_start", name="uq_scheduled_runs_job_slot"),
    )

    job_name: Mapped[str] = mapped_column(String(100))
    slot_start: Mapped[datetime]
    scheduler_id: Mapped[str] = mapped_column(String(64))
