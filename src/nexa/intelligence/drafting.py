"""The drafting assistant's offline writer: an email for one intent and tone, made only of the
product's own phrases and the record's facts.

Each sentence of the phrasebook names the facts it needs (``{deal_name}``, ``{last_activity}``
…) and is used only when every one of them is known, so a draft never guesses: a lead with no
activity gets no "thank you for our call". A template of the organization's for the intent
(the caller picks the one with the best reply rate) replaces the phrasebook's body; it was
rendered by the caller with the record's merge fields.

``unsupported`` is the check every draft passes before it is shown, the offline ones and those
of an optional language-model endpoint alike: the words of the draft that look like a name, an
amount or a date (a capital letter inside a sentence, a digit, a month) must come from the
facts or from the phrasebook's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Literal

Intent = Literal["follow_up", "intro", "proposal", "meeting_request", "re_engage", "reply"]
Tone = Literal["formal", "friendly", "brief"]
INTENTS: tuple[str, ...] = ("follow_up", "intro", "proposal", "meeting_request", "re_engage",
                            "reply")  # fmt: skip
TONES: tuple[str, ...] = ("formal", "friendly", "brief")
VERSION = "drafting-phrasebook-1"


@dataclass(frozen=True)
class DraftFacts:
    """What the record says, already written as it should read (dates and amounts formatted
    by the caller). ``None`` is unknown: sentences needing it are left out."""

    organization: str
    first_name: str | None = None  # the recipient's
    company: str | None = None
    sender: str | None = None  # the sender's name
    deal_name: str | None = None
    deal_stage: str | None = None
    deal_amount: str | None = None  # "EUR 12,500"
    close_date: str | None = None  # "15 January 2027"
    last_activity: str | None = None  # "our call on 3 December 2026"
    summary: str | None = None  # the latest call's or meeting's outcome, one sentence
    open_task: str | None = None  # the oldest open task's title
    task_due: str | None = None  # its due date
    next_action: str | None = None  # the next best action's title, as a clause
    incoming_subject: str | None = None  # for a reply
    incoming_excerpt: str | None = None  # the first sentence of the incoming message

    def values(self) -> dict[str, str]:
        return {f.name: str(v) for f in fields(self) if (v := getattr(self, f.name))}


@dataclass(frozen=True)
class Draft:
    subject: str
    text: str
    intent: str
    tone: str
    facts_used: list[str] = field(default_factory=list)
    template_id: str | None = None


# (tones, sentence) per intent; a sentence is used when every {fact} in it is known. The body
# keeps at most ``LIMIT[tone]`` sentences, in this order.
Phrase = tuple[frozenset[str], str, str]  # tones, text, group (alternatives: first that fits)
ALL = frozenset(TONES)
LONG = frozenset({"formal", "friendly"})


def _p(tones: frozenset[str], text: str, group: str = "") -> Phrase:
    return tones, text, group or text


BODIES: dict[str, list[Phrase]] = {
    "follow_up": [
        _p(frozenset({"formal"}), "Thank you for {last_activity}."),
        _p(frozenset({"friendly"}), "Thanks again for {last_activity}."),
        _p(LONG, "As we discussed: {summary}"),
        _p(ALL, "I am following up on {deal_name}.", "about"),
        _p(ALL, "I am following up on my last message.", "about"),
        _p(LONG, "On my side, the next step is to {next_action}."),
        _p(LONG, "I have noted that I still owe you this: {open_task}, by {task_due}."),
        _p(frozenset({"formal"}), "Please let me know if you have any questions."),
        _p(frozenset({"friendly"}), "Let me know if anything is unclear."),
        _p(frozenset({"brief"}), "Any questions?"),
    ],
    "intro": [
        _p(frozenset({"formal"}), "Allow me to introduce myself: I work with {organization}."),
        _p(frozenset({"friendly", "brief"}), "I'm reaching out from {organization}."),
        _p(LONG, "I would like to learn how {company} handles its customer relationships today."),
        _p(frozenset({"formal"}), "Would you be open to a short introductory call?"),
        _p(frozenset({"friendly"}), "Would you be up for a short call to see if we can help?"),
        _p(frozenset({"brief"}), "Open to a short call?"),
    ],
    "proposal": [
        _p(LONG, "Thank you for {last_activity}."),
        _p(ALL, "Please find our proposal for {deal_name}.", "find"),
        _p(ALL, "Please find our proposal.", "find"),
        _p(ALL, "It comes to {deal_amount}."),
        _p(LONG, "It reflects what we discussed: {summary}"),
        _p(LONG, "To start by {close_date}, we would need your decision a little before then."),
        _p(frozenset({"formal"}), "I would be glad to walk you through it."),
        _p(frozenset({"friendly"}), "Happy to walk you through it whenever suits you."),
        _p(frozenset({"brief"}), "Happy to walk you through it."),
    ],
    "meeting_request": [
        _p(LONG, "Following {last_activity}, I would like to set up a meeting.", "ask"),
        _p(ALL, "I would like to set up a meeting.", "ask"),
        _p(ALL, "We could go over {deal_name} and agree on the next steps.", "agenda"),
        _p(LONG, "We could agree on the next steps together.", "agenda"),
        _p(frozenset({"formal"}), "Could you let me know which times suit you this week?"),
        _p(frozenset({"friendly"}), "What times work for you this week?"),
        _p(frozenset({"brief"}), "When suits you this week?"),
    ],
    "re_engage": [
        _p(LONG, "It has been a while since {last_activity}.", "while"),
        _p(ALL, "It has been a while since we last spoke.", "while"),
        _p(LONG, "When we last spoke, {deal_name} was at the {deal_stage} stage."),
        _p(LONG, "Is this still a priority for {company}?"),
        _p(frozenset({"brief"}), "Still a priority?"),
        _p(frozenset({"formal"}), "If the timing is not right, I would be grateful for a word."),
        _p(frozenset({"friendly"}), "If now isn't a good time, just let me know."),
    ],
    "reply": [
        _p(frozenset({"formal"}), "Thank you for your message."),
        _p(frozenset({"friendly"}), "Thanks for getting back to me."),
        _p(frozenset({"brief"}), "Thanks."),
        _p(LONG, "You wrote: \u201c{incoming_excerpt}\u201d"),
        _p(LONG, "On {deal_name}, the next step on my side is to {next_action}.", "next"),
        _p(ALL, "The next step on my side is to {next_action}.", "next"),
        _p(frozenset({"formal"}), "I will come back to you shortly with more detail."),
        _p(frozenset({"friendly"}), "I'll come back to you shortly."),
    ],
}
SUBJECTS: dict[str, list[str]] = {
    "follow_up": ["Following up on {deal_name}", "Following up"],
    "intro": ["{organization} and {company}", "Introduction from {organization}"],
    "proposal": ["Proposal for {deal_name}", "Our proposal"],
    "meeting_request": ["Meeting about {deal_name}", "Time to meet?"],
    "re_engage": ["Checking in about {deal_name}", "Checking in"],
    "reply": ["Re: {incoming_subject}", "Re: your message"],
}
GREETINGS = {"formal": ("Dear {first_name},", "Hello,"), "friendly": ("Hi {first_name},", "Hi,"),
             "brief": ("{first_name},", "Hi,")}  # fmt: skip
SIGN_OFFS = {"formal": "Kind regards,", "friendly": "Best,", "brief": "Thanks,"}
LIMIT = {"formal": 6, "friendly": 5, "brief": 3}
_SLOT = re.compile(r"\{(\w+)\}")
_DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")


def _fill(text: str, facts: dict[str, str]) -> str | None:
    names = _SLOT.findall(text)
    if any(name not in facts for name in names):
        return None
    filled = _SLOT.sub(lambda m: facts[m.group(1)], text)
    return _DOUBLE_STOP.sub(".", filled)  # "… Inc." + "." is one full stop


def _used(texts: list[str]) -> list[str]:
    return sorted({name for t in texts for name in _SLOT.findall(t)})


def compose(
    facts: DraftFacts,
    intent: str,
    tone: str,
    *,
    template: tuple[str, str, str] | None = None,
) -> Draft:
    """The draft for ``intent`` in ``tone``. ``template`` is (id, rendered subject, rendered
    text) of the organization's template chosen for the intent: its text is the body."""
    known = facts.values()
    used: list[str] = []
    subject = next(s for s in (_fill(t, known) for t in SUBJECTS[intent]) if s is not None)
    used += _used([next(t for t in SUBJECTS[intent] if _fill(t, known) is not None)])
    greeting_with, greeting_without = GREETINGS[tone]
    greeting = _fill(greeting_with, known) or greeting_without
    if "first_name" in known:
        used.append("first_name")
    if template is not None:
        template_id, subject, body = template
    else:
        template_id = None
        sentences: list[str] = []
        groups: set[str] = set()
        for tones, text, group in BODIES[intent]:
            if tone not in tones or group in groups:
                continue
            filled = _fill(text, known)
            if filled is None:
                continue
            groups.add(group)
            sentences.append(filled)
            used += _used([text])
            if len(sentences) >= LIMIT[tone]:
                break
        body = " ".join(sentences) if tone == "brief" else "\n\n".join(sentences)
    signer = facts.sender or facts.organization
    closing = f"{SIGN_OFFS[tone]}\n{signer}"
    if tone == "formal" and facts.sender:
        closing += f"\n{facts.organization}"
    text = f"{greeting}\n\n{body.strip()}\n\n{closing}"
    return Draft(
        subject=subject,
        text=text,
        intent=intent,
        tone=tone,
        facts_used=sorted(set(used)),
        template_id=template_id,
    )


# ---- the check ------------------------------------------------------------------------------

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")  # fmt: skip
_WORD = re.compile(r"[^\W_][\w'’.,-]*", re.UNICODE)
_TRIM = ".,'’-"
_SENTENCE_START = re.compile(r"(^|[.!?:\u201c\"]\s+|\n\s*)$")


def _words(text: str) -> set[str]:
    return {w.strip(_TRIM).casefold() for w in _WORD.findall(text)}


def phrasebook_words() -> set[str]:
    """Every word the product itself writes (subjects, greetings, sentences, sign-offs)."""
    texts = [t for phrases in BODIES.values() for _, t, _ in phrases]
    texts += [t for subjects in SUBJECTS.values() for t in subjects]
    texts += [g for pair in GREETINGS.values() for g in pair] + list(SIGN_OFFS.values())
    return _words(_SLOT.sub(" ", " ".join(texts)))


def unsupported(text: str, facts: DraftFacts, *, also: str = "") -> list[str]:
    """The words of ``text`` that look like a name, an amount or a date and that neither the
    facts nor the phrasebook (nor ``also``: a template the organization wrote) hold: a capital
    letter anywhere but a sentence's start, a digit, a month's name."""
    allowed = _words(" ".join(facts.values().values())) | phrasebook_words() | _words(also)
    found: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group(0).strip(_TRIM)
        if not word:
            continue
        key = word.casefold()
        starts_sentence = bool(_SENTENCE_START.search(text[: match.start()]))
        looks_like_fact = (
            any(c.isdigit() for c in word)
            or key in MONTHS
            or (word[0].isupper() and not starts_sentence and word != "I")
        )
        if looks_like_fact and key not in allowed and word not in found:
            found.append(word)
    return found
