"""The SDK cannot drift from the server: the committed models equal a fresh generation from
the app's OpenAPI document, the sync client equals a fresh unasync of the async one, and every
HTTP call the resources make (method + path, read from _async_client.py) exists in the API."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "sdk" / "tools"))

import generate_models  # noqa: E402
import unasync  # noqa: E402

pytestmark = pytest.mark.sdk


@pytest.fixture(scope="module")
def openapi(test_env: Path) -> dict[str, Any]:
    from nexa.app import create_app

    return create_app().openapi()


def test_models_are_generated_from_the_current_openapi_document(openapi: dict[str, Any]) -> None:
    fresh = generate_models.generate(openapi)
    committed = generate_models.TARGET.read_text()
    assert committed == fresh, (
        "sdk/src/nexa_sdk/models.py is stale: the API changed. "
        f"Regenerate with: {generate_models.REGENERATE}"
    )


def test_the_sync_client_is_generated_from_the_async_one() -> None:
    assert unasync.TARGET.read_text() == unasync.generate(), (
        f"sdk/src/nexa_sdk/_sync_client.py is stale; run: {unasync.REGENERATE}"
    )


HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}
CALLS = {"call", "call_list", "page", "send"}


def _template(node: ast.expr, class_path: str | None) -> str | None:
    """A path literal or f-string as an OpenAPI template with anonymous parameters."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if ast.unparse(node) == "self.path":
        return class_path
    if isinstance(node, ast.JoinedStr):
        out = ""
        for part in node.values:
            if isinstance(part, ast.Constant):
                out += str(part.value)
            elif ast.unparse(part.value) == "self.path":
                if class_path is None:
                    return None
                out += class_path
            else:
                out += "{}"
        return out
    raise AssertionError(f"line {node.lineno}: the path must be a literal or an f-string")


def resource_routes() -> set[tuple[str, str, str]]:
    """(class, METHOD, /template) for every HTTP call of every resource class, inherited
    calls included (``self.path`` resolved per class)."""
    tree = ast.parse((ROOT / "sdk/src/nexa_sdk/_async_client.py").read_text())
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}

    def path_of(cls: ast.ClassDef) -> str | None:
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign) and ast.unparse(stmt.targets[0]) == "path":
                return ast.literal_eval(stmt.value)
        for base in cls.bases:
            name = ast.unparse(base).split("[")[0]
            if name in classes:
                inherited = path_of(classes[name])
                if inherited:
                    return inherited
        return None

    def calls_of(cls: ast.ClassDef) -> list[ast.Call]:
        found = [
            node
            for node in ast.walk(cls)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in CALLS
            and ast.unparse(node.func.value) in ("self._client", "self")
        ]
        for base in cls.bases:
            name = ast.unparse(base).split("[")[0]
            if name in classes:
                found += calls_of(classes[name])
        return found

    routes = set()
    for name, cls in classes.items():
        if name == "AsyncClient":
            continue
        class_path = path_of(cls)
        for call in calls_of(cls):
            literals = [a for a in call.args if isinstance(a, ast.Constant)]
            method = next(a.value for a in literals if a.value in HTTP_METHODS)
            path_arg = call.args[
                call.args.index(next(a for a in literals if a.value == method)) + 1
            ]
            template = _template(path_arg, class_path)
            if template is not None:
                routes.add((name, method, template))
    return routes


def test_every_resource_call_exists_in_the_openapi_document(openapi: dict[str, Any]) -> None:
    known = {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path.removeprefix("/api/v1")))
        for path, operations in openapi["paths"].items()
        for method in operations
    }
    routes = resource_routes()
    assert len(routes) > 100  # the scan found the resources
    missing = sorted(
        f"{cls}: {method} {path}" for cls, method, path in routes if (method, path) not in known
    )
    assert not missing, "calls the API does not have:\n" + "\n".join(missing)


def test_every_record_type_of_the_api_has_a_namespace(openapi: dict[str, Any]) -> None:
    from nexa_sdk import Client

    crm = Client("http://127.0.0.1:9", api_key="unused")
    for noun in (
        "leads",
        "contacts",
        "accounts",
        "deals",
        "products",
        "quotes",
        "orders",
        "tasks",
        "meetings",
        "calls",
        "notes",
        "lists",
        "users",
        "webhooks",
    ):
        assert f"/api/v1/{noun}" in openapi["paths"], noun
        assert hasattr(crm, noun), noun
    crm.close()


def test_the_intelligence_answers_match_the_openapi_document(openapi: dict[str, Any]) -> None:
    """The forecast and prediction answers are SDK models of their own (money as Decimal, a
    ``to_dataframe()``); their fields are exactly the server's documented ones."""
    from nexa_sdk import DealPrediction, ForecastDeal, ForecastModel, PipelineForecast

    schemas = openapi["components"]["schemas"]
    for model in (DealPrediction, ForecastDeal, ForecastModel, PipelineForecast):
        documented = set(schemas[model.__name__]["properties"])
        assert set(model.model_fields) == documented, model.__name__
