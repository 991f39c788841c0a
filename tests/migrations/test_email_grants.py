"""Migration 0011 gives the email grants to the roles of an existing database (one made
before it), keeping a grant an admin had already set."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from alembic import command

from nexa.migrations import alembic_config, upgrade


def test_existing_roles_get_the_email_grants(tmp_path: Path, test_env: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0010")
    with sqlite3.connect(tmp_path / "old.db") as conn:
        # an organization from before issue 17: no email grants, one set by hand
        for name, raw in conn.execute("SELECT name, grants FROM roles").fetchall():
            grants = {
                k: v
                for k, v in json.loads(raw).items()
                if not k.startswith(("email:", "email_template:"))
            }
            if name == "sales_rep":
                grants["email_template:write"] = "all"
            conn.execute("UPDATE roles SET grants = ? WHERE name = ?", (json.dumps(grants), name))
    command.upgrade(alembic_config(url), "head")
    with sqlite3.connect(tmp_path / "old.db") as conn:
        roles = {n: json.loads(g) for n, g in conn.execute("SELECT name, grants FROM roles")}
    assert roles["sales_rep"]["email:create"] == "own"
    assert roles["sales_rep"]["email_template:write"] == "all"  # kept
    assert roles["manager"]["email:read"] == "team"
    assert "email:create" not in roles["read_only"] and roles["read_only"]["email:read"] == "own"
    assert roles["admin"]["email:create"] == "all"
