"""Reads the written policy (role_table.csv, routes/*.csv with the API key scope of each
operation) — data, not code under test."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
ROLES = ("admin", "manager", "sales_rep", "support_agent", "marketer", "read_only")
CASES = ("own", "team", "other")
SESSION_ONLY = "session"


def _rows(name: str) -> list[dict[str, str]]:
    with (HERE / name).open() as fh:
        lines = [line for line in fh if line.strip() and not line.lstrip().startswith("#")]
    return list(csv.DictReader(lines))


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    object: str
    action: str
    record: bool
    # the API key scopes the operation needs (all of them); "a|b" = either; "session" = none
    # will do: refused to every API key
    key_scopes: tuple[str, ...] = ()

    @property
    def session_only(self) -> bool:
        return SESSION_ONLY in self.key_scopes


POLICY: dict[tuple[str, str], dict[str, str]] = {
    (r["object"], r["action"]): {role: r[role] for role in ROLES} for r in _rows("role_table.csv")
}
# routes/<domain>.csv: which policy row governs each API operation of that domain
ROUTES: list[Route] = [
    Route(
        r["method"],
        r["path"],
        r["object"],
        r["action"],
        r["record"] == "yes",
        tuple(r["key_scope"].split()),
    )
    for path in sorted((HERE / "routes").glob("*.csv"))
    for r in _rows(f"routes/{path.name}")
]


def scope(obj: str, action: str, role: str) -> str:
    return POLICY[(obj, action)][role]


def allowed(obj: str, action: str, role: str, case: str = "own") -> bool:
    s = scope(obj, action, role)
    return (
        s in ("all", "self")
        or (s == "team" and case in ("own", "team"))
        or (s == "own" and case == "own")
    )


def normalise(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)
