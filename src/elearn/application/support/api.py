"""What other contexts may use of the support desk: this module and nothing else (import-linter
says so). Today that is the events it publishes, for the notification center to tell people."""

from __future__ import annotations

from elearn.domain.support.tickets import (
    AutoCloseWarned,
    SlaBreached,
    TicketAssigned,
    TicketMessagePosted,
    TicketStatusChanged,
)

__all__ = [
    "AutoCloseWarned",
    "SlaBreached",
    "TicketAssigned",
    "TicketMessagePosted",
    "TicketStatusChanged",
]
