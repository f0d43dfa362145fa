"""A scripted answerer in the manner of simonw/llm's MockModel: it plays back
text queued with `enqueue`, through the same guards as the llama and openai
answerers (question-type token limit, repetition, echo, time limit), so the checks
on generated answers are tested without reaching into a real model."""

from __future__ import annotations

from typing import Generator, Iterable

from assistant.answerers.base import answer_tokens
from assistant.answerers.generative import GenerativeAnswerer


class ScriptedAnswerer(GenerativeAnswerer):
    name = "scripted"

    def __init__(self, max_tokens: int = 256, time_limit: float = 60.0):
        super().__init__(max_tokens=max_tokens, time_limit=time_limit)
        self._queue: list[Iterable[str]] = []
        self.calls: list[dict] = []  # what each answer() was asked, and the length it allowed

    @classmethod
    def create(cls, config, index=None) -> "ScriptedAnswerer":
        return cls(max_tokens=config.llm_max_tokens, time_limit=config.llm_time_limit)

    def enqueue(self, pieces: Iterable[str]) -> None:
        """The pieces the next answer() streams (a list, or a generator for endless output)."""
        self._queue.append(pieces)

    def prompt(self, question, info, passages):
        if not self._queue:
            raise AssertionError(f"the model was called without a scripted answer: {question!r}")
        self.calls.append({"question": question, "passages": len(passages),
                           "chunks": [h.chunk.chunk_id for h in passages],
                           "max_tokens": answer_tokens(info, self.max_tokens)})
        return self._queue.pop(0)

    def generate(self, prompt, max_tokens):
        return _capped(prompt, max_tokens)


def _capped(pieces: Iterable[str], limit: int) -> Generator[str, None, str | None]:
    """Each queued piece is one token: past the answer's token limit the model
    stops, as llama.cpp does, saying "length"."""
    for n, piece in enumerate(pieces):
        if n == limit:
            return "length"
        yield piece
    return None


class ScriptedOCR:
    """An OCR engine playing back queued pages, each a list of (text, confidence)
    lines laid out top to bottom as RapidOCR reports them (`ocr.use_engine`)."""

    def __init__(self):
        self._queue: list[list[tuple[str, float]]] = []
        self.calls = 0

    def enqueue(self, lines: list[tuple[str, float]]) -> None:
        self._queue.append(lines)

    def __call__(self, image, **settings):
        if not self._queue:
            raise AssertionError("OCR was called without a scripted page")
        self.calls += 1
        boxes = []
        for i, (text, score) in enumerate(self._queue.pop(0)):
            top = 100 + 80 * i
            boxes.append([[[150, top], [1500, top], [1500, top + 40], [150, top + 40]], text, score])
        return boxes, [0.0]
