"""The answerer interface: turn a question and numbered passages into answer text
with [n] citation markers, streamed piece by piece."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generator

from ..question import QuestionInfo

NOT_FOUND = {
    "zh": "文档中没有找到能回答这个问题的内容。",
    "en": "The documents do not contain an answer to this question.",
}
NO_OUTPUT = {
    "zh": "模型没有生成回答（提示词可能超过了模型的上下文长度，可调小 prompt_tokens）。",
    "en": "The model returned no text (the prompt may exceed its context window; lower prompt_tokens).",
}


@dataclass
class Draft:
    """What an answerer returns once it has streamed its text."""

    text: str
    abstained: bool = False
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)  # [n] -> span in quote


class Answerer:
    name = "base"

    def describe(self) -> str:
        return self.name

    def passage_count(self, config) -> int:
        """How many retrieved passages this answerer reads."""
        return config.top_k

    def answer(
        self, question: str, info: QuestionInfo, passages: list, history=None
    ) -> Generator[str, None, Draft]:
        """Yield text pieces; return the Draft (use `yield from`)."""
        raise NotImplementedError
        yield  # pragma: no cover  (makes this a generator)

    def close(self) -> None:
        pass


# A weak model loops ("问题：…？" until max_tokens): a stretch of this many
# characters seen REPEAT_TIMES times ends the generation.
REPEAT_CHARS = 12
REPEAT_TIMES = 3


def repeats(text: str) -> bool:
    """Whether the end of `text` has already occurred REPEAT_TIMES - 1 times before."""
    tail = text[-REPEAT_CHARS:]
    return len(tail) == REPEAT_CHARS and text.count(tail) >= REPEAT_TIMES
