"""Billing use cases: checkout, provider events, wallet, refunds, earnings, withdrawals."""
