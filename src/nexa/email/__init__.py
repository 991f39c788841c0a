"""Email (issue 17): outbound messages through the outbox, templates, suppression, settings."""
