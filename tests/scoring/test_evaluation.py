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
    assert facts.delimiter == ";" and facts.rows == 50
    assert facts.columns == ["Budget", "Channel", "when"]
    rows = list(csv.DictReader(target.open()))
    assert {r["status"] for r in rows} == {"converted", "lost"}
    assert rows[0]["created_at"] < rows[1]["created_at"]  # row order is time order
    assert rows[0]["last_name"] == "Row 1" and "signed_up" not in rows[0]
    dated = prepare_file(
        source, tmp_path / "d.csv", target_column="signed_up", date_column="when", exclude=[]
    )
    assert dated.columns == ["Budget", "Channel", "duration"]
    times = [r["created_at"] for r in csv.DictReader((tmp_path / "d.csv").open())]
    assert times == sorted(times) and len(set(times)) == 50  # oldest first, no two alike


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


LAST_LINE = re.compile(
    r"AUC=(?P<auc>[\d.]+) BASELINE_AUC=(?P<baseline>[\d.]+) BRIER=[\d.]+ "
    r"BASELINE_BRIER=[\d.]+ HELD_OUT=(?P<held_out>\d+) ROWS=(?P<rows>\d+)"
)


def evaluate(*args: str) -> Any:
    return CliRunner().invoke(app, ["ai", "evaluate", "leads", *args])


def last_line(output: str) -> re.Match[str]:
    line = output.strip().splitlines()[-1]
    found = LAST_LINE.fullmatch(line)
    assert found, line
    return found


def test_evaluate_command_prints_metrics_and_last_line(tmp_path: Path, test_env: Any) -> None:
    source = history_csv(tmp_path / "history.csv", n=300)
    result = evaluate(str(source), "--target", "signed_up", "--exclude", "duration")
    assert result.exit_code == 0, result.output
    found = last_line(result.output)
    assert float(found["auc"]) > 0.6 and float(found["baseline"]) > 0.5
    assert found["rows"] == "300" and found["held_out"] == "60"
    assert "300 read" in result.output and "3 custom fields" in result.output
    assert "held-out AUC" in result.output and "on 60 held-out leads" in result.output
    assert "baseline (plain gradient boosting" in result.output


def countries_csv(path: Path, n: int = 300, *, duplicate_emails: int = 0) -> Path:
    """Leads whose Country column holds country names (and a few ISO codes), a Job column
    holding job titles, a title column holding ticket subjects longer than a job title may
    be; conversion depends on the budget and the country. ``duplicate_emails`` rows repeat
    an earlier row's email."""
    rng = random.Random(11)
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["Budget", "Country", "Job", "title", "Email", "Converted"])
        for i in range(n):
            budget = rng.randint(0, 100)
            country = rng.choice(["India", "United States", "Germany", "DE", "Brazil"])
            chance = 0.1 + budget / 200 + (0.2 if country == "India" else 0)
            subject = rng.choice(["Refund", "Login fails"]) + " — " + "details " * 20
            email = f"person{0 if i <= duplicate_emails else i}@example.com"
            out.writerow(
                [
                    budget,
                    country,
                    rng.choice(["CEO", "Intern"]),
                    subject,
                    email,
                    int(rng.random() < chance),
                ]
            )
    return path


def test_values_that_do_not_fit_a_field_keep_their_row(tmp_path: Path, test_env: Any) -> None:
    """Issue 16, point 1: country names auto-mapped onto the ISO-code field cost 73 % of a
    file's rows; now every row is evaluated, the names kept in a custom field, the mapping
    printed first with a warning."""
    source = countries_csv(tmp_path / "countries.csv")
    result = evaluate(str(source), "--target", "Converted")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("mapping"), lines[:3]
    mapping = "\n".join(lines[: lines.index(next(x for x in lines if x.startswith("split:")))])
    assert re.search(r"Country\s+→ country \(auto\); \d+ values that do not fit", mapping)
    assert "custom field 'Country (as written)'" in mapping
    assert re.search(r"title\s+→ title \(auto\); \d+ values that do not fit", mapping)
    assert re.search(r"Budget\s+→ custom field 'Budget'", mapping)
    warnings = [x for x in lines if "warning:" in x]
    assert any("Country:" in w and "'India'" in w and "ISO 3166" in w for w in warnings)
    assert "300 read" in result.output and "300 used, 0 refused" in result.output
    assert last_line(result.output)["rows"] == "300"


def test_map_and_no_map_choose_the_fields(tmp_path: Path, test_env: Any) -> None:
    source = countries_csv(tmp_path / "countries.csv")
    result = evaluate(
        str(source),
        "--target",
        "Converted",
        "--no-map",
        "Country",
        "--no-map",
        "title",
        "--map",
        "Job=title",
        "--map",
        "Email=custom",
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert re.fullmatch(
        r"\s+Country\s+→ custom field 'Country \(as written\)' \(--no-map\)", lines[2]
    )
    assert any(re.fullmatch(r"\s+Job\s+→ title \(--map\)", x) for x in lines)
    assert any(
        re.fullmatch(r"\s+Email\s+→ custom field 'Email \(as written\)' \(--map\)", x)
        for x in lines
    )
    assert not any("warning:" in x for x in lines)
    assert last_line(result.output)["rows"] == "300"
    refused = evaluate(str(source), "--target", "Converted", "--map", "Job=job_title")
    assert refused.exit_code == 1 and "not a lead field" in refused.output


def test_more_than_one_percent_refused_says_why_and_fails(tmp_path: Path, test_env: Any) -> None:
    source = countries_csv(tmp_path / "dups.csv", duplicate_emails=6)  # 2 % of the rows
    stopped = evaluate(str(source), "--target", "Converted")
    assert stopped.exit_code == 1, stopped.output
    assert "294 used, 6 refused (2.0 %)" in stopped.output
    assert re.search(r"\n\s+6\s+same email as an existing record; skipped\n", stopped.output)
    assert re.search(
        r"the refused rows converted at [\d.]+ %, the rows used at [\d.]+ %", stopped.output
    )
    assert "not evaluated" in stopped.output and "--allow-refused" in stopped.output
    assert "AUC=" not in stopped.output
    allowed = evaluate(str(source), "--target", "Converted", "--allow-refused")
    assert allowed.exit_code == 0, allowed.output
    assert last_line(allowed.output)["rows"] == "294"


def test_stratified_shuffle_holds_out_the_same_share(tmp_path: Path) -> None:
    source = history_csv(tmp_path / "h.csv", n=200)
    facts = prepare_file(
        source, tmp_path / "o.csv", target_column="signed_up", shuffle_seed=4, stratify=True
    )
    train, held = facts.labels[:160], facts.labels[160:]
    assert abs(sum(train) / 160 - sum(held) / 40) < 0.02
    assert "stratified" in facts.split
    with pytest.raises(ValidationFailed) as err:
        prepare_file(source, tmp_path / "p.csv", target_column="signed_up", stratify=True)
    assert err.value.field == "stratify"


def test_a_file_sorted_by_its_outcome_is_refused_with_the_reason(
    tmp_path: Path, test_env: Any
) -> None:
    """Issue 16, point 4: the time split of a file sorted by its outcome leaves one class on
    one side; training there gives a constant model, so it is refused, saying why."""
    source = history_csv(tmp_path / "history.csv", n=300)
    with source.open() as fh:
        header, *rows = list(csv.reader(fh, delimiter=";"))
    rows.sort(key=lambda r: r[2])  # every "no", then every "yes"
    sorted_file = tmp_path / "sorted.csv"
    with sorted_file.open("w", newline="") as fh:
        out = csv.writer(fh, delimiter=";")
        out.writerow(header[:4])  # no date column: the file's order is the time order
        out.writerows(r[:4] for r in rows)
    result = evaluate(str(sorted_file), "--target", "signed_up", "--exclude", "duration")
    assert result.exit_code != 0, result.output
    assert "sorted by its outcome" in result.output, result.output
    assert "--shuffle" in result.output
    shuffled = evaluate(
        str(sorted_file), "--target", "signed_up", "--exclude", "duration", "--shuffle", "7"
    )
    assert shuffled.exit_code == 0, shuffled.output


ROLLING_LINE = re.compile(
    r"AUC=(?P<auc>[\d.]+) BASELINE_AUC=(?P<baseline>[\d.]+) BRIER=[\d.]+ BASELINE_BRIER=[\d.]+ "
    r"WORST_GAP=(?P<gap>[\d.]+) BASELINE_WORST_GAP=[\d.]+ HELD_OUT=(?P<held_out>\d+) "
    r"SLICES=(?P<slices>\d+) ROWS=(?P<rows>\d+)"
)


def test_rolling_retrains_before_each_slice_and_pools_the_figures(
    tmp_path: Path, test_env: Any
) -> None:
    source = history_csv(tmp_path / "history.csv", n=400)
    result = evaluate(
        str(source), "--target", "signed_up", "--exclude", "duration", "--rolling", "3"
    )
    assert result.exit_code == 0, result.output
    line = result.output.strip().splitlines()[-1]
    found = ROLLING_LINE.fullmatch(line)
    assert found, line
    assert found["slices"] == "3" and found["held_out"] == "80" and found["rows"] == "400"
    assert float(found["auc"]) > 0.6 and float(found["baseline"]) > 0.5
    assert "rolling evaluation" in result.output and "3 consecutive slices" in result.output
    # the slices' training grows: every lead before the slice (320, 346, 373)
    assert re.search(r"│\s*1\s*│\s*26\s*│\s*320\s*│", result.output), result.output
    assert re.search(r"│\s*3\s*│\s*27\s*│\s*373\s*│", result.output), result.output
    assert "pooled over the slices: AUC" in result.output
    assert "retrained before each slice" in result.output
