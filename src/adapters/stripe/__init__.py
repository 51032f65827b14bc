"""Payments through Stripe Checkout, and the built-in sandbox that imitates it."""
