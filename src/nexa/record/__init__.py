"""Shared record services: the generic create/update/delete/restore/list life cycle, links to
"any record", and the registry of record types. Domains subclass ``RecordService``."""
