"""The answerer interface: turn a question and numbered passages into answer text
with [n] citation markers, streamed piece by piece."""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Generator, Iterable

from ..question import QuestionInfo
from ..textnorm import CJK, normalize

NOT_FOUND = {
    "zh": "文档中没有找到能回答这个问题的内容。",
    "en": "The documents do not contain an answer to this question.",
}
NO_OUTPUT = {
    "zh": "模型没有生成回答（提示词可能超过了模型的上下文长度，可调小 prompt_tokens）。",
    "en": "The model returned no text (the prompt may exceed its context window; lower prompt_tokens).",
}
# How models (and NOT_FOUND) say the documents do not answer.
NOT_FOUND_RE = re.compile(
    r"没有找到|未找到|无法回答|没有(?:相关|提及|包含)|不包含|未提及|do(?:es)? not contain|not (?:found|mentioned)|"
    r"cannot (?:be )?answer|no information",
    re.I,
)


def says_not_found(text: str) -> bool:
    return bool(NOT_FOUND_RE.search(text))


@dataclass
class Draft:
    """What an answerer returns once it has streamed its text."""

    text: str
    abstained: bool = False
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)  # [n] -> span in quote
    # Why generation was cut short: "repetition", "echo" (the question written
    # back), "timeout", "length" (max tokens); after grounding, "cut": a list
    # stopped at the time limit whose complete points are kept, "trimmed": an
    # answer stopped at max tokens whose complete sentences or points are kept
    # (answerers/grounded.py); None when the model finished.
    stopped: str | None = None
    # Sources that disagree on the figure asked for (answerers/conflicts.py:
    # conflict_record), shown in the text and kept machine-readable in Answer.conflicts.
    conflicts: list[dict] = field(default_factory=list)
    # A model's answer the system could not ground (answerers/grounded.py): why.
    unsupported: str | None = None
    # Items of a model's answer no passage supports, left out of `text`.
    dropped: list[str] = field(default_factory=list)
    # A figure the system found in the passages but measuring something else
    # than asked (another metric, unit or kind): no answer may show it.
    refuted: str | None = None
    # The figure found for each year or place a question compares ("2023年和
    # 2024年…分别"): {"scope": "2023年", "value": "97家"}. A model's answer
    # must give each of them (pipeline.failed_checks).
    scoped: list[dict] = field(default_factory=list)
    # Answered by the documents' structure (a section's parts, a byline): copied
    # as written and cited, with nothing for a model to add.
    structural: bool = False


class Answerer(ABC):
    name = "base"
    # A generative answerer writes text the system must ground and check
    # against the extractive reading of the same passages (pipeline.py).
    generative = False

    @classmethod
    @abstractmethod
    def create(cls, config, index=None) -> "Answerer":
        """Built from the configuration (and the index it will answer from)."""

    def describe(self) -> str:
        return self.name

    def passage_count(self, config) -> int:
        """How many retrieved passages this answerer reads."""
        return config.top_k

    @abstractmethod
    def answer(
        self, question: str, info: QuestionInfo, passages: list, history=None
    ) -> Generator[str, None, Draft]:
        """Yield text pieces; return the Draft (use `yield from`)."""

    def close(self) -> None:
        pass


# A figure, date or name with its [n] and the clause it comes from is under
# ~40 Chinese characters, ~30 tokens at Gemma's and Qwen's ~1.5 characters per
# token; 64 leaves room for a second source. Lists, reasons and methods get
# the configured llm_max_tokens.
SHORT_ANSWER_TOKENS = 64
LONG_ANSWER_TYPES = ("list", "reason", "method", "definition", "other", "yesno")


def answer_tokens(info: QuestionInfo, max_tokens: int) -> int:
    """The generation length for this kind of question."""
    return max_tokens if info.expects in LONG_ANSWER_TYPES else min(max_tokens, SHORT_ANSWER_TOKENS)


# A weak model loops ("问题：…？" until max_tokens): a stretch of this many
# characters seen REPEAT_TIMES times ends the generation.
REPEAT_CHARS = 12
REPEAT_TIMES = 3


def repeats(text: str) -> bool:
    """Whether the end of `text` has already occurred REPEAT_TIMES - 1 times before."""
    tail = text[-REPEAT_CHARS:]
    return len(tail) == REPEAT_CHARS and text.count(tail) >= REPEAT_TIMES


def loops(text: str) -> bool:
    """Whether any stretch of REPEAT_CHARS characters occurs REPEAT_TIMES times."""
    seen: dict[str, int] = {}
    for i in range(0, max(0, len(text) - REPEAT_CHARS + 1)):
        piece = text[i : i + REPEAT_CHARS]
        seen[piece] = seen.get(piece, 0) + 1
        if seen[piece] >= REPEAT_TIMES and piece.strip():
            return True
    return False


# The question written back ("问题：2024年重庆网民规模是多少？"): a base model
# continuing the prompt's pattern instead of answering. A new "问题：" /
# "Question:" line, or the whole question again, is an echo (an answer that
# restates the question's subject, "2024年重庆网民规模达…", is not).
_NEW_TURN_RE = re.compile(r"(?:^|\n)\s*(?:问题|問題|Question)\s*[:：]")


def echoes(text: str, question: str) -> bool:
    body = re.sub(r"\s+", "", question.strip().rstrip("？?。.！!"))
    return bool(_NEW_TURN_RE.search(text)) or (len(body) >= 4 and body in re.sub(r"\s+", "", text))


# Characters a restatement adds to the question it copies without answering it.
_FILLER_CHARS = frozenset("的了是和与及或在中为因而其也就都把被对将所之")
# A restatement is about as long as the question: "恆星的質量和成分如果改變了物理量
# 的大小也會改變" (22 characters) for a 24-character question. A shorter answer
# made of the question's words picks one of its options ("四川网民规模更大").
RESTATED_SHARE = 0.8


def restates(text: str, question: str) -> bool:
    """A Chinese answer that is the question written as a statement, adding
    nothing: each of its characters stands in the question or is filler
    ("…寄養家庭以及哪方面的經驗…" answered "…寄養家庭以及在寄養家庭中生活的經驗…")."""
    answer = re.sub(rf"[^{CJK}A-Za-z0-9]", "", normalize(text))
    asked = re.sub(rf"[^{CJK}A-Za-z0-9]", "", normalize(question))
    return (len(answer) >= 4 and len(answer) >= RESTATED_SHARE * len(asked)
            and all(c in asked or c in _FILLER_CHARS for c in answer))


def guarded(pieces: Iterable[str], question: str, time_limit: float) -> Generator[str, None, str | None]:
    """The model's text pieces, passed on until it finishes, loops, writes the
    question back or runs past `time_limit` seconds. Returns why it was stopped
    (None: it finished by itself; "length": the model's own token limit, when
    `pieces` is a generator that returns it)."""
    started = time.perf_counter()
    text = ""
    source = iter(pieces)
    while True:
        try:
            piece = next(source)
        except StopIteration as end:
            return end.value
        text += piece
        yield piece
        if repeats(text):
            return "repetition"
        if echoes(text, question):
            return "echo"
        if time.perf_counter() - started > time_limit:
            return "timeout"


def relay(generation: Generator[str, None, str | None], pieces: list[str]) -> Generator[str, None, str | None]:
    """Pass a guarded generation's pieces on, keeping them in `pieces`; return
    why it stopped."""
    while True:
        try:
            piece = next(generation)
        except StopIteration as end:
            return end.value
        pieces.append(piece)
        yield piece
