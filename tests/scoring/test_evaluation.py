"""`nexa ai evaluate leads`: a CSV of history through the product's import and training."""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from nexa.cli.main import app
from nexa.core.errors import ValidationFailed
from nexa.scoring.evaluation import prepare_file


def history_csv(path: Path, n: int = 300, delimiter: str = ";") -> Path:
    """Leads whose conversion depends on a budget and a channel; a post-outcome column."""
    rng = random.Random(3)
    with path.open("w", newline="") as fh:
        out = csv.writer(fh, delimiter=delimiter)
        out.writerow(["Budget", "Channel", "signed_up", "duration", "when"])
        for i in range(n):
            budget = rng.randint(0, 100)
            channel = rng.choice(["partner", "ads", "cold"])
            chance = 0.1 + budget / 200 + (0.25 if channel == "partner" else 0)
            won = rng.random() < chance
            out.writerow(
                [
                    budget,
                    channel,
                    "yes" if won else "no",
                    rng.randint(1, 9),
                    f"2024-01-{i % 28 + 1:02d}",
                ]
            )
    return path


def test_prepare_detects_delimiter_outcome_and_order(tmp_path: Path) -> None:
    source = history_csv(tmp_path / "h.csv", n=50)
    target = tmp_path / "out.csv"
    facts = prepare_file(source, target, target_column="signed_up", exclude=["duration"])
    assert facts["delimiter"] == ";" and facts["rows"] == 50
    assert facts["columns"] == ["Budget", "Channel", "when"]
    rows = list(csv.DictReader(target.open()))
    assert {r["status"] for r in rows} == {"converted", "lost"}
    assert rows[0]["created_at"] < rows[1]["created_at"]  # row order is time order
    assert rows[0]["last_name"] == "Row 1" and "signed_up" not in rows[0]
    dated = prepare_file(
        source, tmp_path / "d.csv", target_column="signed_up", date_column="when", exclude=[]
    )
    assert dated["columns"] == ["Budget", "Channel", "duration"]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"target_column": "nope"}, "target"),
        ({"target_column": "signed_up", "exclude": ["nope"]}, "exclude"),
        ({"target_column": "signed_up", "positive": "maybe"}, "positive"),
    ],
)
def test_prepare_refuses_with_the_field(
    tmp_path: Path, options: dict[str, Any], field: str
) -> None:
    source = history_csv(tmp_path / "h.csv", n=20)
    with pytest.raises(ValidationFailed) as err:
        prepare_file(source, tmp_path / "o.csv", **options)
    assert err.value.field == field


def test_evaluate_command_prints_metrics_and_last_line(tmp_path: Path, test_env: Any) -> None:
    source = history_csv(tmp_path / "history.csv", n=300)
    result = CliRunner().invoke(
        app,
        ["ai", "evaluate", "leads", str(source), "--target", "signed_up", "--exclude", "duration"],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    found = re.fullmatch(r"AUC=([\d.]+) BRIER=([\d.]+)", lines[-1])
    assert found, lines[-1]
    assert float(found.group(1)) > 0.6
    assert "300 rows" in result.output and "3 custom fields" in result.output
    assert "held-out AUC" in result.output
