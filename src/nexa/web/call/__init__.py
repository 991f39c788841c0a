"""The call pages."""
