"""Use Case 4's handleResponse: the action a response calls for, from stated rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from nexa.intelligence.next_action import ResponseFacts, reply_tone, response_actions

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "tone"),
    [
        ("Thanks, we are not interested at the moment", "refusal"),
        ("Please unsubscribe me", "refusal"),
        ("Interesting, reach out in March", "later"),
        ("Sounds good — can we book a demo on Tuesday?", "positive"),
        ("Who is this?", "neutral"),
    ],
)
def test_reply_tone(text: str, tone: str) -> None:
    assert reply_tone(text) == tone


@pytest.mark.parametrize(
    ("facts", "key", "stops"),
    [
        (ResponseFacts("replied", text="Not interested, thanks"), "stop_outreach", True),
        (ResponseFacts("replied", text="Call me next quarter"), "follow_up_later", True),
        (ResponseFacts("replied", text="Tell me more about pricing"), "book_meeting", True),
        (ResponseFacts("replied", channel="sms", text="ok"), "book_meeting", True),
        (ResponseFacts("clicked", clicks=1), "call_while_warm", False),
        (ResponseFacts("opened", opens=3), "call_while_warm", False),
        (ResponseFacts("unsubscribed"), "respect_opt_out", True),
        (ResponseFacts("bounced"), "fix_address", False),
        (ResponseFacts("booked_meeting"), "prepare_meeting", True),
    ],
)
def test_each_response_calls_for_its_action(facts: ResponseFacts, key: str, stops: bool) -> None:
    (action, params), *_ = response_actions(facts, NOW)
    assert action.key == key
    assert bool(params.get("stop_sequences")) is stops
    assert action.due_at >= NOW


def test_a_single_open_calls_for_nothing_special() -> None:
    assert response_actions(ResponseFacts("opened", opens=1), NOW) == []
