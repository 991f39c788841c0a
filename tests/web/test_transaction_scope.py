"""A request's transaction commits before its response leaves: a client that follows a
redirect or acts on a 201 at once must find what was written (FastAPI ends dependencies
with ``yield`` after the response is sent unless they are declared with scope="function")."""

from __future__ import annotations

import typing

from nexa.api.deps import SessionDep
from nexa.web.pages import WebSession


def test_the_api_and_web_sessions_end_before_the_response_is_sent() -> None:
    for dependency in (SessionDep, WebSession):
        _, depends = typing.get_args(dependency)
        assert depends.scope == "function"
