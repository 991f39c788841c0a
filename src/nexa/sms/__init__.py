"""SMS as a channel (issue 19): sending, delivery through a provider, consent, inbound."""
