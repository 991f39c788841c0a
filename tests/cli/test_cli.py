"""The ``nexa`` command line, run in-process against a fresh database of its own.

The CLI commits, so these tests do not use the rollback ``db`` fixture: each gets an empty
database (a SQLite file in a temporary folder, or with ``NEXA_TEST_DB=postgresql`` an empty
PostgreSQL database) and builds its schema with ``nexa db upgrade`` as a person would.
"""

from __future__ import annotations

import os
import re
import socket
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from nexa.cli.doctor import VENDOR_ASSETS, vendor_dir
from nexa.cli.main import app

BACKEND = os.environ.get("NEXA_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("NEXA_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"

runner = CliRunner()


def _reset_caches() -> None:
    from nexa.config import get_settings
    from nexa.core.db import reset_engine

    get_settings.cache_clear()
    reset_engine()


def _empty_pg_database(name: str) -> str:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=2):
            pass
    except OSError:
        msg = "PostgreSQL is not answering on 127.0.0.1:5432"
        if IN_CI:
            pytest.fail(msg + " (CI=true: a missing PostgreSQL fails the run)")
        pytest.skip(msg)
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def cli_db(test_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty database and var folder of this test's own, set through NEXA_* variables."""
    name = f"nexa_cli_{uuid.uuid4().hex[:10]}"
    url = (
        _empty_pg_database(name)
        if BACKEND == "postgresql"
        else f"sqlite:///{(tmp_path / 'nexa.db').as_posix()}"
    )
    monkeypatch.setenv("NEXA_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("NEXA_DATABASE_URL", url)
    monkeypatch.setenv("NEXA_REDIS_URL", "")
    _reset_caches()
    umask = os.umask(0o022)  # every command sets 077; the rest of the session keeps its own
    try:
        yield url
    finally:
        os.umask(umask)
        _reset_caches()
        if BACKEND == "postgresql":
            _drop_pg_database(name)


def nexa(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


def upgrade() -> None:
    result = nexa("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "latest" in result.output


def test_upgrade_then_doctor_passes(cli_db: str) -> None:
    upgrade()
    again = nexa("db", "upgrade")
    assert again.exit_code == 0 and "already at the latest schema" in again.output

    current = nexa("db", "current")
    assert current.exit_code == 0 and "up to date" in current.output

    result = nexa("doctor")
    out = result.output
    for label in ("Settings", "Database", "Schema", "Roles", "Var folder", "Job storage"):
        assert f"✓ {label}:" in out, out
    if all((vendor_dir() / name).is_file() for name in VENDOR_ASSETS):
        assert result.exit_code == 0, out
        assert "All checks passed" in out
    else:  # a checkout where scripts/setup.sh has not copied the npm assets yet
        assert result.exit_code == 1
        assert [line for line in out.splitlines() if line.startswith("✗")] == [
            line for line in out.splitlines() if line.startswith("✗ Front-end assets")
        ]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_upgrade_makes_the_var_folder_private_and_doctor_names_wrong_modes(
    cli_db: str, tmp_path: Path
) -> None:
    """tmp_path is the var folder; made 0755 with a 0644 upload as an older version left it."""
    loose = tmp_path / "imports" / "old.csv"
    loose.parent.mkdir()
    loose.write_text("a\n")
    for path, wide in ((tmp_path, 0o755), (loose.parent, 0o755), (loose, 0o644)):
        path.chmod(wide)
    doctor = nexa("doctor")
    assert "✗ File permissions: 3 path(s) others may read" in doctor.output, doctor.output
    assert "old.csv (0644)" in doctor.output

    upgrade()
    assert (mode(tmp_path), mode(loose.parent), mode(loose)) == (0o700, 0o700, 0o600)
    if BACKEND == "sqlite":
        database = tmp_path / "nexa.db"
        assert mode(database) == 0o600
        assert all(mode(p) == 0o600 for p in tmp_path.glob("nexa.db-*"))
    doctor = nexa("doctor")
    assert "✓ File permissions" in doctor.output, doctor.output
    (tmp_path / "later.txt").write_text("x")  # the command left umask 077 behind
    assert mode(tmp_path / "later.txt") == 0o600


def test_an_export_file_is_0600_even_over_a_wider_file(cli_db: str, tmp_path: Path) -> None:
    upgrade()
    created = nexa(
        "users", "create", "ex@example.com", "--name", "Ex Port", "--role", "admin",
        "--password", "Quartz-Lantern-Orbit-4417",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    output = tmp_path / "out" / "contacts.csv"
    output.parent.mkdir()
    output.write_text("an older export\n")
    output.chmod(0o644)
    result = nexa("export", "contacts", "--output", str(output))
    assert result.exit_code == 0, result.output
    assert mode(output) == 0o600
    assert output.read_text().startswith("id,")


def test_a_generated_secret_key_is_0600(tmp_path: Path) -> None:
    from nexa.config import Settings

    umask = os.umask(0o022)
    try:
        settings = Settings(secret_key="", var_dir=tmp_path / "fresh")
        assert len(settings.effective_secret_key) > 40
    finally:
        os.umask(umask)
    assert mode(tmp_path / "fresh" / "secret_key") == 0o600
    assert mode(tmp_path / "fresh") == 0o700


def test_doctor_before_upgrade_says_what_to_do(cli_db: str) -> None:
    result = nexa("doctor")
    assert result.exit_code == 1
    assert "nexa db upgrade" in result.output


def test_doctor_fails_readably_on_an_unreachable_database(
    cli_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXA_DATABASE_URL", "postgresql://nobody:s3cret@127.0.0.1:1/x")
    _reset_caches()
    result = nexa("doctor")
    assert result.exit_code == 1
    line = next(line for line in result.output.splitlines() if line.startswith("✗ Database"))
    assert "postgresql://nobody:***@127.0.0.1:1/x is not reachable" in line
    assert "s3cret" not in result.output
    assert "fix:" in result.output
    assert "Traceback" not in result.output


def test_doctor_names_a_bad_setting(cli_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXA_SESSION_MAX_AGE_HOURS", "soon")
    _reset_caches()
    result = nexa("doctor")
    assert result.exit_code == 1
    assert "✗ Settings: NEXA_SESSION_MAX_AGE_HOURS" in result.output


def test_users_create_then_sign_in(cli_db: str) -> None:
    from nexa.auth.service import authenticate
    from nexa.core.db import session_scope

    upgrade()
    result = nexa(
        "users",
        "create",
        "Ops@Example.com",
        "--name",
        "Olga Ops",
        "--role",
        "admin",
        "--password",
        "a-long-password",
    )
    assert result.exit_code == 0, result.output
    assert "created user Olga Ops <ops@example.com>, role admin" in result.output

    with session_scope() as session:
        user = authenticate(session, "ops@example.com", "a-long-password", "cli-test")
        assert user.role == "admin"

    duplicate = nexa(
        "users", "create", "ops@example.com", "--name", "Again", "--password", "a-long-password"
    )
    assert duplicate.exit_code == 1
    assert "exists" in duplicate.output and "Traceback" not in duplicate.output

    bad = nexa("users", "create", "not-an-email", "--name", "X", "--password", "short")
    assert bad.exit_code == 1
    assert "email:" in bad.output and "password:" in bad.output

    weak = nexa("users", "create", "weak@example.com", "--name", "W", "--password", "password12")
    assert weak.exit_code == 1 and "Traceback" not in weak.output
    assert "password:" in weak.output and "too easy to guess" in weak.output

    listed = nexa("users", "list")
    assert listed.exit_code == 0 and "ops@example.com" in listed.output


def test_users_create_prompts_for_the_password(cli_db: str) -> None:
    from nexa.auth.service import authenticate
    from nexa.core.db import session_scope

    upgrade()
    result = nexa(
        "users",
        "create",
        "pat@example.com",
        "--name",
        "Pat",
        input="prompted-secret\nprompted-secret\n",
    )
    assert result.exit_code == 0, result.output
    with session_scope() as session:
        assert (
            authenticate(session, "pat@example.com", "prompted-secret", "cli-test").full_name
            == "Pat"
        )


def test_keys_create_prints_a_token_that_authenticates(cli_db: str) -> None:
    from nexa.auth.service import authenticate_api_key
    from nexa.core.db import session_scope

    upgrade()
    assert (
        nexa(
            "users", "create", "dev@example.com", "--name", "Dev", "--password", "a-long-password"
        ).exit_code
        == 0
    )
    result = nexa("keys", "create", "dev@example.com", "--scope", "contact:read", "--name", "sdk")
    assert result.exit_code == 0, result.output
    tokens = re.findall(r"^(nexa_\S+)$", result.output, flags=re.MULTILINE)
    assert len(tokens) == 1, result.output
    with session_scope() as session:
        user, key = authenticate_api_key(session, tokens[0])
        assert user.email == "dev@example.com"
        assert key.name == "sdk" and key.scopes == ["contact:read"]

    quiet = nexa("keys", "create", "dev@example.com", "-q")
    assert quiet.exit_code == 0 and re.fullmatch(r"nexa_\S+\n", quiet.output)

    missing = nexa("keys", "create", "nobody@example.com")
    assert missing.exit_code == 1 and "no user with email" in missing.output


def _demo_counts(output: str) -> tuple[int, int, int]:
    match = re.search(r"database now holds (\d+) users, (\d+) accounts, (\d+) contacts", output)
    assert match, output
    users, accounts, contacts = (int(g) for g in match.groups())
    return users, accounts, contacts


def test_demo_is_idempotent_and_has_the_acme_hierarchy(cli_db: str) -> None:
    from nexa.core.db import session_scope
    from nexa.core.repository import unscoped
    from nexa.models import Account, AuditEntry, Contact, User

    upgrade()
    first = nexa("demo", "--accounts", "30", "--contacts", "60")
    assert first.exit_code == 0, first.output
    assert "admin@demo.nexa" in first.output and "nexa-demo-2026" in first.output
    assert _demo_counts(first.output) == (9, 30, 60)

    second = nexa("demo", "--accounts", "30", "--contacts", "60")
    assert second.exit_code == 0, second.output
    assert "nothing to create" in second.output
    assert _demo_counts(second.output) == (9, 30, 60)

    with session_scope(write=False) as session:
        acme = session.scalars(
            unscoped(select(Account).where(Account.name == "Acme Corporation"))
        ).one()
        children = session.scalars(
            unscoped(select(Account.name).where(Account.parent_id == acme.id))
        ).all()
        assert sorted(children) == ["Acme APAC", "Acme UK", "Acme USA"]
        reps = set(session.scalars(select(User.id).where(User.role == "sales_rep")).all())
        assert len(reps) == 4
        owners = set(session.scalars(unscoped(select(Contact.owner_id))).all())
        assert owners and owners <= reps
        assert (
            session.scalar(
                unscoped(
                    select(func.count()).select_from(Contact).where(Contact.account_id.is_(None))
                )
            )
            == 0
        )
        # created through the services: every account has its audit row
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.event == "account.created")
            )
            == 30
        )

    from nexa.auth.service import authenticate

    with session_scope() as session:
        assert (
            authenticate(session, "manager@demo.nexa", "nexa-demo-2026", "cli-test").role
            == "manager"
        )


def test_demo_refuses_a_database_without_the_schema(cli_db: str) -> None:
    result = nexa("demo", "--accounts", "5", "--contacts", "5")
    assert result.exit_code == 1
    assert "nexa db upgrade" in result.output


def test_demo_reset_erases_and_rebuilds(cli_db: str) -> None:
    upgrade()
    assert (
        nexa(
            "users",
            "create",
            "extra@example.com",
            "--name",
            "Extra",
            "--password",
            "a-long-password",
        ).exit_code
        == 0
    )
    result = nexa("demo", "--reset", "--yes", "--accounts", "6", "--contacts", "6")
    assert result.exit_code == 0, result.output
    assert _demo_counts(result.output) == (9, 6, 6)
    assert "extra@example.com" not in nexa("users", "list").output


def test_readme_documents_every_setting() -> None:
    from nexa.config import Settings

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert readme.lstrip().startswith("# Nexa CRM")
    assert readme.index("./run") < readme.index("./test") < readme.index("## Configuration")
    missing = [
        f"NEXA_{name.upper()}"
        for name in Settings.model_fields
        if f"`NEXA_{name.upper()}`" not in readme
    ]
    assert not missing, f"README.md's Configuration section lacks {missing}"


def test_demo_size_names_the_choices(cli_db: str) -> None:
    upgrade()
    result = nexa("demo", "--size", "huge")
    assert result.exit_code == 2
    assert "--size" in result.output and "xlarge" in result.output


def test_import_names_the_top_reasons_rows_were_not_written(cli_db: str, tmp_path: Path) -> None:
    """A real import still refuses rows whose values do not fit (the evaluate command's
    lenient mapping is for its scratch import only), and says why with counts."""
    upgrade()
    made = nexa(
        "users",
        "create",
        "ops@example.com",
        "--name",
        "Olga Ops",
        "--role",
        "admin",
        "--password",
        "a-long-password",
    )
    assert made.exit_code == 0, made.output
    source = tmp_path / "leads.csv"
    rows = ["last_name,email,country"]
    rows += [f"Lead {i},lead{i}@example.com,{'India' if i % 3 == 0 else 'IN'}" for i in range(9)]
    rows += ["Twin,lead1@example.com,IN"]
    source.write_text("\n".join(rows) + "\n")
    result = nexa("import", "leads", str(source))
    assert result.exit_code == 0, result.output
    assert "6 created" in result.output and "3 failed" in result.output
    assert "rows not written, the top reasons:" in result.output
    assert re.search(r"\n\s+3\s+country: use a two-letter ISO 3166 country code", result.output)
    assert re.search(r"\n\s+1\s+same email as an existing record; skipped", result.output)


def test_backtest_deals_prints_the_baselines_beside_the_model(
    cli_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Steady quarters (tests/forecast/history.py): the last period is exact and beats the
    over-forecasting stage probabilities and cold start; the last line says so in figures."""
    from datetime import date

    from nexa.core.db import session_scope
    from nexa.forecast import backtest, service
    from tests.forecast.history import NOW, steady_history

    upgrade()
    with session_scope() as session:
        steady_history(session, [date(2025, 10, 1), date(2026, 1, 1), date(2026, 4, 1)])
        steady_history(session, [date(2026, 7, 1)], won=2, lost=2)
    monkeypatch.setattr(backtest, "utcnow", lambda: NOW)
    result = nexa("ai", "backtest", "deals", "--periods", "3")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert "stage-p" in lines[0] and "last period" in lines[0]
    q1 = lines[1].split()
    assert q1[0] == "2026-Q1" and q1[1] == "4" and q1[6:9] == ["30,000", "10,000", "10,000"]
    assert q1[-3:] == ["200.0%", "200.0%", "0.0%"]
    assert "P10–P90 coverage: 1 of 3 actuals inside the model's simulated band" in result.output
    assert "calibrated on the residuals of last period over 3 periods" in result.output
    assert "lowest error: last period" in result.output
    last = lines[-1]
    assert re.fullmatch(
        r"MAPE=\d+\.\d{4} STAGE_MAPE=1\.5000 LAST_PERIOD_MAPE=0\.1667 "
        r"COVERAGE_P10_P90=0\.3333 CALIBRATED_COVERAGE=nan PERIODS=3",
        last,
    ), last
    assert float(last.split()[0].split("=")[1]) > 0.1667
    with session_scope() as session:
        recorded = service.latest_backtest(session)
    assert recorded is not None and recorded["winner"] == "last_period"


def test_train_deals_prints_the_rows_and_the_baseline_beside_the_model(cli_db: str) -> None:
    from nexa.core.db import session_scope
    from tests.forecast.history import synthetic_history

    upgrade()
    with session_scope() as session:
        synthetic_history(session, 80)
    result = nexa("ai", "train", "deals")
    assert result.exit_code == 0, result.output
    assert "data: 80 closed deals" in result.output
    assert re.search(r"baseline: the stage probabilities, Brier 0\.\d+ on the same", result.output)
    assert "the model beats it" in result.output or "the model does not beat it" in result.output
