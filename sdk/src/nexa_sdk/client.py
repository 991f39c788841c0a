"""``Client`` (synchronous) and ``AsyncClient``: the same resources and methods."""

from nexa_sdk._async_client import AsyncClient
from nexa_sdk._base import RetryPolicy
from nexa_sdk._sync_client import Client

__all__ = ["AsyncClient", "Client", "RetryPolicy"]
