"""Step conditions: what a step's ``condition`` text means, checked when the step is saved.

- ``opened_previous`` / ``clicked_previous``: a person (not a mail scanner) opened / clicked
  the last email this campaign sent the member;
- ``not_responded`` (``not_responded_to_emails`` is the spec's alias): no reply, no message
  from them, no meeting with them since they were enrolled;
- ``score_above N`` (``score_above_60`` and ``score_above:60`` too): the lead score (a
  contact's is that of the lead it came from);
- ``in_list <list id>`` / ``not_in_list <list id>``: list membership;
- anything else: expressions in the filter language (``field:op:value``, one per line, all
  must hold), checked against the fields of the member types the campaign enrols.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from nexa.core.errors import ValidationFailed

NAMED = {
    "opened_previous": "opened_previous",
    "clicked_previous": "clicked_previous",
    "not_responded": "not_responded",
    "not_responded_to_emails": "not_responded",
}
SCORE = re.compile(r"^score_above(?:[_: ]+)(\d{1,3})$")
LIST = re.compile(r"^(in_list|not_in_list)(?:[: ]+)([0-9a-fA-F-]{32,36})$")


@dataclass(frozen=True)
class StepCondition:
    kind: str  # always opened_previous clicked_previous not_responded score_above in_list
    # not_in_list filter
    number: int | None = None
    list_id: uuid.UUID | None = None
    expressions: tuple[str, ...] = ()


ALWAYS = StepCondition("always")


def parse(text: str | None, field: str) -> StepCondition:
    """The condition ``text`` means; 422 naming ``field`` when it cannot mean anything. Filter
    expressions are only split here: ``nexa.campaign.service`` checks them against fields."""
    raw = (text or "").strip()
    if not raw:
        return ALWAYS
    key = raw.lower()
    if key in NAMED:
        return StepCondition(NAMED[key])
    score = SCORE.match(key)
    if score:
        number = int(score.group(1))
        if number > 100:
            raise ValidationFailed("score_above takes a score from 0 to 100", field=field)
        return StepCondition("score_above", number=number)
    if key.startswith("score_above"):
        raise ValidationFailed(
            "score_above needs a whole number from 0 to 100 (score_above 60)", field=field
        )
    listed = LIST.match(raw)
    if listed:
        try:
            list_id = uuid.UUID(listed.group(2))
        except ValueError:
            raise ValidationFailed("in_list needs a list id", field=field) from None
        return StepCondition(listed.group(1), list_id=list_id)
    expressions = tuple(line.strip() for line in raw.splitlines() if line.strip())
    if any(":" not in e for e in expressions):
        known = ", ".join(sorted({*NAMED, "score_above N", "in_list <id>", "field:op:value"}))
        raise ValidationFailed(f"unknown condition {raw[:60]!r}; use one of {known}", field=field)
    return StepCondition("filter", expressions=expressions)
