"""Migration 0019 gives the sms grants to the roles of an existing database (one made before
it), keeping a grant an admin had already set."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from alembic import command

from nexa.migrations import alembic_config, upgrade


def test_existing_roles_get_the_sms_grants(tmp_path: Path, test_env: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0016")
    with sqlite3.connect(tmp_path / "old.db") as conn:
        # an organization from before issue 19: no sms grants, one set by hand
        for name, raw in conn.execute("SELECT name, grants FROM roles").fetchall():
            grants = {k: v for k, v in json.loads(raw).items() if not k.startswith("sms:")}
            if name == "sales_rep":
                grants["sms:read"] = "all"
            conn.execute("UPDATE roles SET grants = ? WHERE name = ?", (json.dumps(grants), name))
    command.upgrade(alembic_config(url), "head")
    with sqlite3.connect(tmp_path / "old.db") as conn:
        roles = {n: json.loads(g) for n, g in conn.execute("SELECT name, grants FROM roles")}
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "sms_messages" in tables
    assert roles["sales_rep"]["sms:create"] == "own"
    assert roles["sales_rep"]["sms:read"] == "all"  # kept
    assert roles["manager"]["sms:read"] == "team"
    assert "sms:create" not in roles["read_only"] and roles["read_only"]["sms:read"] == "own"
    assert roles["admin"]["sms:create"] == "all"
