"""The tense around a temporal expression, from cheap lexical cues (no tagger, no parser).

The cue nearest before the expression in its sentence decides ("his office said Saturday",
"who will leave office on January 20, said"); with none before, the nearest after does
("On Thursday, the minister said"). Auxiliaries and "going to" mark the future; reporting
verbs, common irregular past forms and -ed words mark the past.
"""

from __future__ import annotations

import bisect
import re
from typing import Literal

__all__ = ["Sentences", "Tense", "tense_at"]

Tense = Literal["PAST", "PRESENT", "FUTURE"]

_FUTURE = {
    "will",
    "would",
    "'ll",
    "shall",
    "wo",  # "won't" splits as "wo" + "n't"
    "won't",
    "gonna",
    "tomorrow",
    "next",
    "upcoming",
    "coming",
    "scheduled",
    "expected",
    "expects",
    "plans",
    "planned",
    "due",
}
_PRESENT = {"is", "are", "am", "says", "say", "does", "do", "has", "have", "'s", "'re"}
_PAST = {
    "said",
    "told",
    "was",
    "were",
    "had",
    "did",
    "ago",
    "yesterday",
    "last",
    "earlier",
    "met",
    "held",
    "took",
    "gave",
    "made",
    "came",
    "went",
    "began",
    "left",
    "won",
    "lost",
    "saw",
    "sent",
    "spoke",
    "wrote",
    "found",
    "brought",
    "thought",
    "knew",
    "became",
    "fell",
    "rose",
    "paid",
    "sold",
    "bought",
    "hit",
    "put",
    "set",
    "cut",
    "led",
    "fled",
    "flew",
    "ran",
    "struck",
    "shot",
    "killed",
    "got",
    "kept",
    "quit",
    "stood",
    "broke",
    "drew",
    "grew",
    "chose",
    "felt",
    "heard",
    "meant",
    "spent",
    "built",
    "wound",
    "swept",
    "stole",
    "forced",
}
_REACH = 300  # characters looked at on either side of the expression
_NOT_PAST_ED = {"need", "speed", "feed", "seed", "bed", "red", "shed", "bred", "hundred", "wed"}
_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?|'ll|'s|'re")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*\s+(?=[\"“‘'(]?[A-Z0-9])|\n\s*\n|\n(?=\s*[A-Z\"“])")


class Sentences:
    """Sentence boundaries of a text, found once, looked up per expression."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in _SENTENCE_END.finditer(text)]

    def bounds(self, start: int) -> tuple[int, int]:
        """Start and end offsets of the sentence holding offset ``start``."""
        i = bisect.bisect_right(self.starts, start) - 1
        end = self.starts[i + 1] if i + 1 < len(self.starts) else len(self.text)
        return self.starts[i], end


def _cue(word: str) -> Tense | None:
    lower = word.lower()
    if lower in _FUTURE:
        return "FUTURE"
    if lower in _PAST:
        return "PAST"
    if lower in _PRESENT:
        return "PRESENT"
    if len(lower) > 4 and lower.endswith("ed") and lower not in _NOT_PAST_ED and word[0].islower():
        return "PAST"
    return None


_BEFORE_TO = {"going", "set", "is", "are", "due", "scheduled", "expected", "planned", "plans"}


def _future_to(words: list[re.Match[str]], i: int) -> bool:
    """ "going to", "set to", "is to": a future however the first word reads alone."""
    nxt = words[i + 1].group().lower() if i + 1 < len(words) else ""
    return nxt == "to" and words[i].group().lower() in _BEFORE_TO


def _cues(words: list[re.Match[str]]) -> list[Tense]:
    """The tense cue of each verb group, in order: an auxiliary governs the words after it
    ("will be held" is future, "would have said" too)."""
    cues: list[Tense] = []
    governed = 0  # words left in the verb group of the last future auxiliary
    for i, word in enumerate(words):
        cue: Tense | None = "FUTURE" if _future_to(words, i) else _cue(word.group())
        if governed > 0:
            governed -= 1
            if cue in ("PAST", "PRESENT"):
                continue
        if cue is not None:
            governed = 3 if cue == "FUTURE" else 0
            cues.append(cue)
    return cues


def tense_at(sentences: Sentences, start: int, end: int) -> Tense | None:
    """The tense cue nearest before ``start`` in its sentence, else nearest after ``end``."""
    s_start, s_end = sentences.bounds(start)
    # the nearest cue is what counts: a run-on "sentence" must not cost its whole length
    s_start, s_end = max(s_start, start - _REACH), min(s_end, end + _REACH)
    text = sentences.text
    before = _cues(list(_WORD.finditer(text, s_start, start)))
    if before:
        return before[-1]
    after = _cues(list(_WORD.finditer(text, end, s_end)))
    return after[0] if after else None
