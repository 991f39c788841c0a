from __future__ import annotations

from typing import Literal

# What a task, meeting, call or note can be linked to (core.repository.LINKABLE).
RecordType = Literal["lead", "contact", "account", "deal", "quote", "order"]
