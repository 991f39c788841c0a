"""Optional modules: a domain may not have every file role (endpoints, subscribers, jobs …)."""

from __future__ import annotations

import importlib
from types import ModuleType


def import_if_present(name: str) -> ModuleType | None:
    """The module, or None when it does not exist. A module that exists but fails to import
    (including one of *its* imports missing) still raises."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None
        raise
