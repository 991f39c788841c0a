"""Saved list views and per-user list columns."""
