"""Contacts: the people at accounts."""
