"""`nexa ai …`: train, inspect, roll back and evaluate the models trained on this
organization's own records (lead scores, deal win probabilities) and replay forecasts."""

from __future__ import annotations

import importlib

import typer

ai_app = typer.Typer(
    help="The intelligence: models trained on your own records, explained.", no_args_is_help=True
)


def _load_commands() -> None:
    """Each intelligence area adds its commands from its own module."""
    for name in ("nexa.cli.ai_leads", "nexa.cli.ai_deals", "nexa.cli.ai_routing"):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise


_load_commands()
