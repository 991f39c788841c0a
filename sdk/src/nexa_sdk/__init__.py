"""The Python SDK of Nexa CRM.

from nexa_sdk import Client, F

crm = Client("https://crm.example.com", api_key="nx_…")
lead = crm.leads.create(first_name="Ada", last_name="Lovelace", company="Analytical")
for deal in crm.deals.iterate(F.stage.in_(["proposal", "negotiation"])):
    print(deal.name, crm.deals.predict(deal.id).win_probability)
"""

from nexa_sdk import models
from nexa_sdk.client import AsyncClient, Client, RetryPolicy
from nexa_sdk.errors import (
    APIError,
    AuthenticationError,
    BadRequest,
    Conflict,
    ConnectionError,
    Locked,
    NexaError,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    RateLimited,
    ServerError,
    TimeoutError,
    ValidationError,
)
from nexa_sdk.filters import F, Filter, FilterSet
from nexa_sdk.insights import (
    Customer360,
    DealPrediction,
    ForecastDeal,
    ForecastModel,
    PipelineForecast,
)
from nexa_sdk.pagination import Page
from nexa_sdk.webhooks import WebhookVerificationError, sign_webhook, verify_webhook

__version__ = "0.1.0"

__all__ = [
    "APIError",
    "AsyncClient",
    "AuthenticationError",
    "BadRequest",
    "Client",
    "Conflict",
    "ConnectionError",
    "Customer360",
    "DealPrediction",
    "F",
    "Filter",
    "FilterSet",
    "ForecastDeal",
    "ForecastModel",
    "Locked",
    "NexaError",
    "NotFound",
    "Page",
    "PermissionDenied",
    "PipelineForecast",
    "PreconditionFailed",
    "RateLimited",
    "RetryPolicy",
    "ServerError",
    "TimeoutError",
    "ValidationError",
    "WebhookVerificationError",
    "models",
    "sign_webhook",
    "verify_webhook",
]
