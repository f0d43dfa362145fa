"""Answers from a local GGUF model through llama-cpp-python, streamed token by token."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Generator

from ..errors import MissingDependencyError, ModelError
from ..question import QuestionInfo
from ..system import physical_cores
from .base import Answerer, Draft, repeats
from .prompt import build_messages


class LlamaAnswerer(Answerer):
    name = "llama"

    def __init__(self, llm, model_path: str, *, max_tokens=256, temperature=0.1, prompt_tokens=1000):
        self.llm = llm
        self.model_path = model_path
        self.max_tokens = max_tokens
        self.temperature = temperature
        n_ctx = llm.n_ctx()
        # The prompt and the answer must both fit in the context window.
        self.budget = min(prompt_tokens, n_ctx - max_tokens - 16)
        self.last_prompt_tokens = 0
        self._lock = threading.Lock()  # a Llama context serves one request at a time

    @classmethod
    def from_config(cls, path: Path, config) -> "LlamaAnswerer":
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise MissingDependencyError("llama-cpp-python", "llm") from exc
        try:
            llm = Llama(
                model_path=str(path), n_ctx=config.llm_n_ctx, n_threads=physical_cores(),
                verbose=False, seed=0,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"cannot load GGUF model {path}: {exc}") from exc
        return cls(
            llm, str(path), max_tokens=config.llm_max_tokens, temperature=config.llm_temperature,
            prompt_tokens=config.prompt_tokens,
        )

    def describe(self) -> str:
        return f"llama.cpp ({Path(self.model_path).name})"

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _completion(self, messages: list[dict]):
        """Text pieces from the model (the generation boundary tests may replace)."""
        for chunk in self.llm.create_chat_completion(
            messages, stream=True, max_tokens=self.max_tokens, temperature=self.temperature,
        ):
            piece = chunk["choices"][0]["delta"].get("content")
            if piece:
                yield piece

    def answer(self, question: str, info: QuestionInfo, passages: list, history=None) -> Generator[str, None, Draft]:
        messages, _, self.last_prompt_tokens = build_messages(
            question, passages, info.english, self.budget, self.count_tokens
        )
        pieces: list[str] = []
        with self._lock:
            for piece in self._completion(messages):
                pieces.append(piece)
                yield piece
                if repeats("".join(pieces)):
                    break  # the model is looping: stop early (its answer will fail the checks)
        return Draft("".join(pieces).strip())

    def close(self) -> None:
        close = getattr(self.llm, "close", None)
        if close:
            close()
