"""`nexa ai …`: train, inspect, roll back and evaluate the models trained on this
organization's own records (lead scores, deal win probabilities) and replay forecasts."""

from __future__ import annotations

import typer

from nexa import modules

ai_app = typer.Typer(
    help="The intelligence: models trained on your own records, explained.", no_args_is_help=True
)


def ai_group(name: str, help_text: str) -> typer.Typer:
    """The `nexa ai <name>` group (train, evaluate, …), shared by the lead and deal commands."""
    for info in ai_app.registered_groups:
        if info.name == name and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(help=help_text, no_args_is_help=True)
    ai_app.add_typer(group, name=name)
    return group


def _load_commands() -> None:
    """Each intelligence area adds its commands from its own module."""
    modules.load(modules.AI_COMMANDS)


_load_commands()
