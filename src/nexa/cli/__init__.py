"""The ``nexa`` command line (Typer + Rich); see :mod:`nexa.cli.main`."""
