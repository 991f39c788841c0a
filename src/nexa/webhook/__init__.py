"""Webhooks: endpoints admins register, signed deliveries through the outbox (issue 6)."""
