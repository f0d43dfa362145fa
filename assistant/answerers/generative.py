"""`GenerativeAnswerer`: the stream-check-stop loop every model answerer shares.
A subclass builds its prompt and streams the model's pieces; this class caps
the length by question type, stops a loop, an echo or the time limit
(base.guarded), and returns the raw Draft the pipeline grounds and checks."""

from __future__ import annotations

import contextlib
from abc import abstractmethod
from typing import Generator

from ..question import QuestionInfo
from .base import Answerer, Draft, answer_tokens, guarded, relay


class GenerativeAnswerer(Answerer):
    generative = True

    def __init__(self, *, max_tokens: int = 256, time_limit: float = 60.0):
        self.max_tokens = max_tokens
        self.time_limit = time_limit

    @abstractmethod
    def prompt(self, question: str, info: QuestionInfo, passages: list):
        """What the model is given: chat messages or a completion prompt."""

    @abstractmethod
    def generate(self, prompt, max_tokens: int) -> Generator[str, None, str | None]:
        """The model's text pieces; returns "length" when it stopped at `max_tokens`."""

    def serving(self):
        """Held while generating: a model that serves one request at a time locks here."""
        return contextlib.nullcontext()

    def answer(self, question: str, info: QuestionInfo, passages: list, history=None) -> Generator[str, None, Draft]:
        prompt = self.prompt(question, info, passages)
        pieces: list[str] = []
        with self.serving():
            generation = guarded(self.generate(prompt, answer_tokens(info, self.max_tokens)), question, self.time_limit)
            stopped = yield from relay(generation, pieces)
        return Draft("".join(pieces).strip(), stopped=stopped)
