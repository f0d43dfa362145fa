"""A model's text turned into a cited answer by the system, or refused.

The model reads evidence windows and writes plain text. What is shown is built
here from that text and the passages, never taken as written:

* factoids (a name, date, place or figure): the answer snapped to the passage's
  own characters (snapping.py), then the sentence it stands in, both cited;
* lists and explanations: each item aligned to the passage that supports it
  (attribution.py), unsupported items dropped and counted;
* English answers quote figures as the passage writes them; any conversion
  ("51.92 million") is computed here (numbers.restate_in_english).

Whether the result may be shown is then decided by the pipeline's checks."""

from __future__ import annotations

from ..numbers import find_numbers, restate_in_english
from ..question import QuestionInfo
from .attribution import attribute, strip_markers
from .base import NOT_FOUND, Draft, says_not_found
from .prompt import answer_shape
from .snapping import snap

# The sentence shown under a factoid: whole up to this many characters, else
# this much around the answer (extractive answers show about as much).
SNIPPET_CHARS = 100
UNSUPPORTED = {
    "zh": ("答案在资料中找不到", "没有一句能在资料中找到依据"),
    "en": ("the answer is not in the passages", "no sentence is supported by the passages"),
}


def ground(draft: Draft, info: QuestionInfo, passages: list, weight=None) -> Draft:
    """The Draft to check and show for a model's `draft`."""
    raw = strip_markers(draft.text).strip()
    lang = "en" if info.english else "zh"
    if not raw:
        return draft
    if _refuses(raw):
        return Draft(NOT_FOUND[lang], abstained=True, stopped=draft.stopped)
    if answer_shape(info) == "factoid":
        return _factoid(raw, draft, info, passages, lang)
    result = attribute(raw, passages, weight, info=info)
    if not result.shown:
        return Draft(raw, stopped=draft.stopped, unsupported=UNSUPPORTED[lang][1],
                     dropped=[i.text for i in result.dropped])
    text = _with_english_figures(result.text) if info.english else result.text
    return Draft(text, spans=result.spans, stopped=draft.stopped, dropped=[i.text for i in result.dropped])


def _refuses(raw: str) -> bool:
    """The model says the documents do not answer, and states no figure."""
    return says_not_found(raw[:60]) and not find_numbers(raw)


def _factoid(raw: str, draft: Draft, info: QuestionInfo, passages: list, lang: str) -> Draft:
    found = snap(raw, passages, info)
    if found is None:
        return Draft(raw, stopped=draft.stopped, unsupported=UNSUPPORTED[lang][0])
    n = found.passage
    quote = passages[n - 1].chunk.quote
    value = found.text(quote).strip()
    if info.english:
        english = restate_in_english(value)
        value = f"{value} ({english})" if english else value
    text = f"{value} [{n}]\n“{snippet(quote, found.span, found.sentence)}” [{n}]"
    return Draft(text, spans={n: found.sentence}, stopped=draft.stopped)


def snippet(quote: str, span: tuple[int, int], sentence: tuple[int, int]) -> str:
    """The sentence holding the answer, trimmed around it to SNIPPET_CHARS."""
    a, b = sentence
    if b - a > SNIPPET_CHARS:
        half = (SNIPPET_CHARS - (span[1] - span[0])) // 2
        a = max(a, span[0] - max(half, 10))
        b = min(b, a + SNIPPET_CHARS)
    text = quote[a:b].strip().replace("\t", " | ")
    return ("…" if a > sentence[0] else "") + text + ("…" if b < sentence[1] else "")


def _with_english_figures(text: str) -> str:
    """Each 万/亿 figure followed by its English reading, computed here."""
    out, pos = [], 0
    for m in find_numbers(text):
        english = restate_in_english(m.text)
        if english and "(" not in text[m.end:m.end + 2]:
            out.append(text[pos:m.end] + f" ({english})")
            pos = m.end
    return "".join(out) + text[pos:]


__all__ = ["ground", "snippet"]
