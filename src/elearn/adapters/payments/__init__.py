"""Payment adapters: Stripe's API and signed webhooks, and the keyless sandbox gateway."""
