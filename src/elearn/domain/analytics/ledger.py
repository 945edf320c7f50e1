"""What the ledger's journal says to the dashboards: the figures every journal line moves.

The figures are read from journal lines, never from stored balances, so the platform-revenue
series summed over any range is the change of the platform revenue accounts over that range,
to the minor unit. Account and entry kinds are the billing ledger's published names.
"""

from __future__ import annotations

PLATFORM_REVENUE = "platform_revenue"
PAYOUTS = "payouts"
TUTOR_ACCOUNTS = ("tutor_pending", "tutor_available", "tutor_hold")
SALE_ENTRIES = ("card_payment", "credit_purchase")
REFUND_ENTRY = "refund"
PAYOUT_ENTRY = "payout"
