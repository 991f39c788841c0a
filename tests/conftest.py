"""Test fixtures: a real database per test worker, built by running the migrations.

* ``NEXA_TEST_DB=sqlite`` (default): a SQLite file per worker.
* ``NEXA_TEST_DB=postgresql``: a database per worker on 127.0.0.1:5432 (trust auth). When no
  server answers, the run is skipped with a message; with ``CI=true`` it fails instead.

Service and API tests roll back per test (a savepoint session on one connection).
Live-server tests (marker ``live``) get their own committed database and drop it after.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BACKEND = os.environ.get("NEXA_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("NEXA_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _pg_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=2):
            return True
    except OSError:
        return False


def worker_id(request: pytest.FixtureRequest) -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def create_database(name: str, tmp_dir: Path) -> str:
    """A fresh, migrated database; returns its URL."""
    from nexa.migrations import upgrade

    if BACKEND == "postgresql":
        if not _pg_answers():
            msg = "PostgreSQL is not answering on 127.0.0.1:5432"
            if IN_CI:
                pytest.fail(msg + " (CI=true: a missing PostgreSQL fails the run)")
            pytest.skip(msg + "; skipping the PostgreSQL run")
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{(tmp_dir / f'{name}.db').as_posix()}"
    upgrade(url)
    return url


def drop_database(name: str, url: str) -> None:
    if BACKEND == "postgresql":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(url.split("///", 1)[1] + suffix).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def test_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    var = tmp_path_factory.mktemp("var")
    os.environ.update(
        NEXA_VAR_DIR=str(var),
        NEXA_JOBS_IMMEDIATE="true",
        NEXA_COOKIE_SECURE="false",
        NEXA_SECRET_KEY="test-secret-key-not-for-production",
        NEXA_REDIS_URL="",
        NEXA_LOGIN_RATE_PER_MINUTE="1000",
        # webhooks and any other outbound HTTP reach loopback only, whatever a test (or the
        # fuzzer, registering webhooks with generated URLs) asks for
        NEXA_OUTBOUND_LOOPBACK_ONLY="true",
    )
    from nexa.config import get_settings
    from nexa.subscribers import install

    get_settings.cache_clear()
    install()
    import nexa.worker
    from nexa import modules

    modules.load(modules.JOBS)
    nexa.worker.set_immediate(True)  # in case the module was imported before the env was set
    yield var


@pytest.fixture(scope="session")
def database_url(request: pytest.FixtureRequest, test_env: Path) -> Iterator[str]:
    name = f"nexa_test_{worker_id(request)}_{uuid.uuid4().hex[:6]}"
    url = create_database(name, test_env)
    os.environ["NEXA_DATABASE_URL"] = url
    from nexa.config import get_settings
    from nexa.core.db import reset_engine

    get_settings.cache_clear()
    reset_engine()
    yield url
    reset_engine()
    drop_database(name, url)


@pytest.fixture
def enqueued_jobs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    """In rollback-per-test mode jobs cannot run in their own transaction (they would not
    see the test's uncommitted rows), so they are recorded; tests run them on purpose."""
    from nexa import modules

    modules.load(modules.JOBS)  # jobs register themselves first
    from nexa.core import events

    recorded: list[tuple[str, tuple[Any, ...]]] = []

    class Recorder(dict):  # type: ignore[type-arg]
        def __contains__(self, name: object) -> bool:
            return True

        def __setitem__(self, name: str, value: Any) -> None:
            pass

        def get(self, name: str, default: Any = None) -> Any:
            return lambda *args: recorded.append((name, args))

        def __getitem__(self, name: str) -> Any:
            return self.get(name)

    monkeypatch.setattr(events, "_job_dispatchers", Recorder())
    return recorded


@pytest.fixture
def db(database_url: str, enqueued_jobs: list[Any]) -> Iterator[Any]:
    """A session whose every commit is a savepoint inside one outer transaction that is
    rolled back at the end of the test."""
    from sqlalchemy.orm import Session

    from nexa.core.cache import clear_all
    from nexa.core.db import get_engine

    engine = get_engine(database_url).execution_options(nexa_write=True)
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    clear_all()
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()
        clear_all()  # the sessions never see the outer rollback: forget what it took away


@pytest.fixture(scope="session")
def built_app(database_url: str) -> Any:
    """The application, built once per worker (building ~150 routes costs most of a second);
    each test points its session dependency at that test's rolled-back session."""
    from nexa.app import create_app

    return create_app()


@pytest.fixture
def app(db: Any, built_app: Any) -> Iterator[Any]:
    from nexa.api.deps import get_session
    from nexa.core.events import run_after_commit
    from nexa.web.pages import web_session

    application = built_app

    def shared_session() -> Iterator[Any]:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise
        run_after_commit(db)

    application.dependency_overrides[get_session] = shared_session
    for route in application.routes:
        sub = getattr(route, "app", None)
        if hasattr(sub, "dependency_overrides"):
            sub.dependency_overrides[web_session] = shared_session
    yield application
    application.dependency_overrides.clear()
    for route in application.routes:
        sub = getattr(route, "app", None)
        if hasattr(sub, "dependency_overrides"):
            sub.dependency_overrides.clear()


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://testserver", raise_server_exceptions=True) as c:
        yield c


@pytest.fixture
def users(db: Any) -> Any:
    """One user of every role, in teams: see tests/factories/user.py."""
    from tests.factories.user import build_org

    org = build_org(db)
    db.commit()  # ends the fixture's savepoint: a failing request rolls back only its own work
    from nexa.core.events import discard_after_commit

    discard_after_commit(db)  # the fixture's own events are not the first request's business
    return org


@pytest.fixture
def private_var(tmp_path: Path, test_env: Path) -> Iterator[Path]:
    """A var folder of the test's own that does not exist yet, under the common umask 022:
    whatever Nexa then writes in it must be 0700/0600 by its own doing, not by the umask
    (a CLI command or the app's start-up earlier in the session sets 077)."""
    from nexa.config import get_settings

    var = tmp_path / "var"
    before = os.environ.get("NEXA_VAR_DIR", str(test_env))
    os.environ["NEXA_VAR_DIR"] = str(var)
    get_settings.cache_clear()
    old = os.umask(0o022)
    try:
        yield var
    finally:
        os.umask(old)
        os.environ["NEXA_VAR_DIR"] = before
        get_settings.cache_clear()
