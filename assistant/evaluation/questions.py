"""Question sets and the answer-matching normalisation every metric shares.

Reads the project's format ({"id","type","question","answers","answers_all",
"doc_ids", optional "key_points"}) and the external one of the CMRC/DRCD sets ({"id","question",
"answers","doc_id"}) without conversion."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from ..textnorm import normalize


@dataclass
class Question:
    id: str
    question: str
    type: str = "factoid"
    answers: list[str] = field(default_factory=list)
    answers_all: list[str] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)
    # List / summary questions: phrases a complete answer mentions (key-point recall).
    key_points: list[str] = field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return bool(self.answers or self.answers_all or self.key_points)


def load_questions(path: str | Path) -> list[Question]:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read question file {path}: {exc.strerror}") from exc
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            doc_ids = d.get("doc_ids") or ([d["doc_id"]] if d.get("doc_id") else [])
            out.append(
                Question(
                    id=str(d["id"]), question=str(d["question"]), type=str(d.get("type") or "factoid"),
                    answers=[str(a) for a in d.get("answers", [])],
                    answers_all=[str(a) for a in d.get("answers_all", [])],
                    doc_ids=[str(x) for x in doc_ids],
                    key_points=[str(k) for k in d.get("key_points", [])],
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"{path}:{n}: not a question record ({exc!r}); expected id, question, answers") from exc
    if not out:
        raise ConfigError(f"{path}: no questions")
    return out


_WS_RE = re.compile(r"\s+")
_GROUPING_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_POINTS_RE = re.compile(r"个?百分点")
MARKER_RE = re.compile(r"\[\d{1,3}\]")


def norm(text: str) -> str:
    """Matching form: OpenCC Traditional->Simplified, NFKC (full-/half-width),
    lower case, no whitespace, no digit grouping (2,495 -> 2495), and
    percentage points written as % (4.18个百分点 -> 4.18%)."""
    t = _WS_RE.sub("", normalize(text))
    t = _GROUPING_RE.sub("", t)
    return _POINTS_RE.sub("%", t)


# Annotators' quotes and full stops around a gold span ("“让某一个生产单位只专注…
# 的工作”") are not part of the answer: CMRC's own EM drops punctuation too.
_GOLD_EDGE = "“”\"'‘’「」『』。，,.！!？?；; \u3000"


def gold_form(answer: str) -> str:
    """A gold string's matching form: `norm` without the punctuation around it."""
    return norm(answer.strip(_GOLD_EDGE) or answer)


def contains_answer(text: str, q: Question) -> bool:
    """Any of `answers` and all of `answers_all` appear in `text` (normalised)."""
    t = norm(text)
    if q.answers_all and not all(gold_form(a) in t for a in q.answers_all):
        return False
    return not q.answers or any(gold_form(a) in t for a in q.answers)


def mentions_any_answer(text: str, q: Question) -> bool:
    """At least one gold string (from either list) appears: for citations, where
    each passage may support one part of a comparison."""
    t = norm(text)
    return any(gold_form(a) in t for a in q.answers + q.answers_all)


def canonical_answer(text: str) -> str:
    """Answer text for comparing two runs: normalised, without citation numbers
    or the unverified-number warning line."""
    body = "\n".join(line for line in text.splitlines() if not line.startswith("⚠"))
    return norm(MARKER_RE.sub("", body))
