"""The lead page: status actions, duplicate warnings and the Convert dialog."""
