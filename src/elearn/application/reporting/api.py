"""What other contexts may use of reporting: the event telling a requester their report is
ready (notifications make it a notification and, per preferences, an email)."""

from __future__ import annotations

from elearn.domain.reporting.reports import ReportReady

__all__ = ["ReportReady"]
