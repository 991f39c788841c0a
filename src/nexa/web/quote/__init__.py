"""The quote pages."""
