"""Browser tests use the live-server fixture."""

from tests.live.conftest import live_server

__all__ = ["live_server"]
