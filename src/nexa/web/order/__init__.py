"""The order pages."""
