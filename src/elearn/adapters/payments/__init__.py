"""Payment adapters: Stripe's API (checkout, refunds, Connect payouts) and its signed webhooks."""
