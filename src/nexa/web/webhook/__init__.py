"""The admin pages of webhooks."""
