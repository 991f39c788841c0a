"""The iCalendar writer, checked by parsing its output back (unfold, split, unescape)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from nexa.meeting.ics import CalendarEvent, Person, calendar, escape_text, fold


def unfold(text: str) -> list[str]:
    assert text.endswith("\r\n")
    physical = text.split("\r\n")[:-1]
    for line in physical:
        assert "\n" not in line and "\r" not in line
        assert len(line.encode("utf-8")) <= 75, line
    lines: list[str] = []
    for line in physical:
        if line.startswith((" ", "\t")):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        c = value[i]
        if c == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def split_line(line: str) -> tuple[str, dict[str, str], str]:
    """NAME;PARAM=VALUE;PARAM="quoted":value (a colon inside quotes is not the separator)."""
    quoted, cut = False, -1
    for i, c in enumerate(line):
        if c == '"':
            quoted = not quoted
        elif c == ":" and not quoted:
            cut = i
            break
    head, value = line[:cut], line[cut + 1 :]
    name, *params = head.split(";")
    parsed = {}
    for p in params:
        key, _, v = p.partition("=")
        parsed[key] = v[1:-1] if v.startswith('"') else v
    return name, parsed, value


def parse(text: str) -> list[tuple[str, dict[str, str], str]]:
    return [split_line(line) for line in unfold(text)]


EVENT = CalendarEvent(
    uid="abc@nexa",
    sequence=3,
    stamp=datetime(2026, 11, 22, 6, 0, tzinfo=UTC),
    starts_at=datetime(2026, 12, 1, 10, 0, tzinfo=timezone(timedelta(hours=1))),
    ends_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
    summary="Demo; pricing, Q&A \\ next steps",
    description="Line one\nLine two, with ; and \\ and a very long tail " + "é" * 80,
    location="Room 4, Floor 2; Berlin",
    url="https://meet.example.com/abc?x=1;y=2",
    organizer=Person("owner@example.com", "Olga Owner"),
    attendees=[Person("ada@example.com", 'Ada "The" Lovelace, CTO'), Person("b@example.com")],
)


def test_round_trip() -> None:
    text = calendar(EVENT)
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    props = parse(text)
    names = [p[0] for p in props]
    assert names[:2] == ["BEGIN", "PRODID"]
    assert names.count("BEGIN") == 2 and names.count("END") == 2
    values = {name: (params, value) for name, params, value in props if name != "ATTENDEE"}
    assert values["VERSION"][1] == "2.0"
    assert values["METHOD"][1] == "REQUEST"
    assert values["UID"][1] == "abc@nexa"
    assert values["SEQUENCE"][1] == "3"
    assert values["DTSTAMP"][1] == "20261122T060000Z"
    assert values["DTSTART"][1] == "20261201T090000Z"
    assert values["DTEND"][1] == "20261201T093000Z"
    assert unescape(values["SUMMARY"][1]) == EVENT.summary
    assert unescape(values["DESCRIPTION"][1]) == EVENT.description
    assert unescape(values["LOCATION"][1]) == EVENT.location
    assert values["URL"][1] == EVENT.url
    assert values["ORGANIZER"] == ({"CN": "Olga Owner"}, "mailto:owner@example.com")
    assert values["STATUS"][1] == "CONFIRMED"
    attendees = [(p, v) for n, p, v in props if n == "ATTENDEE"]
    assert [v for _, v in attendees] == ["mailto:ada@example.com", "mailto:b@example.com"]
    assert attendees[0][0]["CN"] == "Ada The Lovelace, CTO"
    assert "CN" not in attendees[1][0]


def test_cancel() -> None:
    from dataclasses import replace

    props = parse(calendar(replace(EVENT, status="CANCELLED"), method="CANCEL"))
    values = {n: v for n, _, v in props}
    assert values["METHOD"] == "CANCEL"
    assert values["STATUS"] == "CANCELLED"


def test_escape_text() -> None:
    assert escape_text("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"


def test_fold_never_splits_a_character() -> None:
    line = "DESCRIPTION:" + "€" * 100
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert "".join([parts[0], *(p[1:] for p in parts[1:])]) == line
    assert fold("SHORT:x") == "SHORT:x"
    exact = "X:" + "a" * 73
    assert fold(exact) == exact
    assert fold(exact + "b") == exact + "\r\n b"
