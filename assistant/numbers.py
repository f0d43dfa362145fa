"""Numbers as facts: find them in text with their magnitude and unit, and check
that every number an answer states is backed by its cited passages.

Normalisation covers full-/half-width digits (NFKC), thousands separators,
万/亿 scaling (`2495万` == `24,950,000`), and `%` vs `百分点`."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_MAGNITUDE = {"万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8, "千": 1e3, "百": 1e2,
              "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
# Measure words after which digits glued to a Latin letter still form a figure:
# "KPI369个" states 369, "IPv6用户" states no 6 (see below).
_MEASURE = "个项家人户条次元台张件所座部辆名位倍种套亿万萬億千百%％"
# A number, optional magnitude characters, optional percent / percentage points.
# Digits right after a Latin letter belong to a name ("IPv6", "V2V") unless a
# measure word follows them ("KPI369个").
_NUM_RE = re.compile(
    rf"(?:(?<![0-9A-Za-z.])|(?<=[A-Za-z])(?=[\d,.]*\d\s*[{_MEASURE}]))"
    r"(?<!\d,)(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s*([万萬亿億千百]{1,2})|\s+(thousand|million|billion|trillion)\b)?"
    r"(?:\s*(%|％|个百分点|個百分點|百分点|百分點))?"
)
# Markers that are not facts: citation numbers like [3] and list bullets.
_CITATION_RE = re.compile(r"\[\d{1,3}\]")


@dataclass(frozen=True)
class NumberMention:
    text: str  # as written, e.g. "2495万", "92.4%"
    value: float  # 2495.0
    scaled: float  # 24950000.0 (value * magnitude)
    percent: bool
    start: int
    end: int


def find_numbers(text: str) -> list[NumberMention]:
    text = unicodedata.normalize("NFKC", text)
    out = []
    for m in _NUM_RE.finditer(_CITATION_RE.sub(lambda c: " " * len(c.group()), text)):
        raw, magnitude, english, percent = m.groups()
        value = float(raw.replace(",", ""))
        scale = _MAGNITUDE[english] if english else 1.0
        for ch in magnitude or "":
            scale *= _MAGNITUDE[ch]
        out.append(NumberMention(m.group(0), value, value * scale, bool(percent), m.start(), m.end()))
    return out


def close_values(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def is_backed(number: NumberMention, evidence: list[NumberMention]) -> bool:
    """The same quantity appears in the evidence, whatever its written form."""
    for e in evidence:
        if number.percent != e.percent and (number.percent or e.percent):
            # "78.2%" is backed by "78.2%" and "4.18个百分点" by "4.18个百分点",
            # and percent/percentage points are interchangeable for matching.
            if close_values(number.value, e.value):
                return True
            continue
        if close_values(number.scaled, e.scaled) or close_values(number.value, e.value):
            return True
    return False


def unverified_numbers(answer: str, evidence_texts: list[str]) -> list[str]:
    """Numbers in `answer` that no evidence text contains (as written)."""
    evidence = [n for t in evidence_texts for n in find_numbers(t)]
    missing: list[str] = []
    for n in find_numbers(answer):
        if not is_backed(n, evidence) and n.text not in missing:
            missing.append(n.text)
    return missing


_UNIT_EN = {"人次": "person-times", "人": "people", "元": "yuan", "户": "households", "戶": "households"}


def restate_in_english(value: str) -> str | None:
    """A figure with 万/亿 written the English way, for English answers:
    "2495万人" -> "24.95 million people", "825.8亿元" -> "82.58 billion yuan".
    None when there is nothing to restate. The check above accepts either form."""
    found = find_numbers(value)
    if len(found) != 1 or found[0].percent or found[0].scaled == found[0].value:
        return None
    n = found[0]
    scales = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"), (1e3, "thousand"))
    scale, word = next(((s, w) for s, w in scales if n.scaled >= s), (1.0, ""))
    figure = f"{n.scaled / scale:,.6f}".rstrip("0").rstrip(".")
    rest = unicodedata.normalize("NFKC", value)[n.end:].strip()
    unit = next((en for zh, en in _UNIT_EN.items() if rest.startswith(zh)), "")
    return " ".join(x for x in (figure, word, unit) if x)
