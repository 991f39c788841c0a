"""Nexa CRM: a self-hosted CRM whose intelligence runs on the organization's own data."""

__version__ = "0.1.0"
