"""The htmx web UI, mounted by app.py."""
