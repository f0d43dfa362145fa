"""Answers from a local GGUF model through llama-cpp-python, streamed token by token."""

from __future__ import annotations

import threading
from pathlib import Path

from ..errors import MissingDependencyError, ModelError
from ..question import QuestionInfo
from ..system import physical_cores
from .generative import GenerativeAnswerer
from .gguf import find_gguf
from .prompt import CHAT_STOP, COMPLETION_STOP, answer_shape, build_completion, build_messages


class LlamaAnswerer(GenerativeAnswerer):
    name = "llama"

    def __init__(self, llm, model_path: str, *, max_tokens=256, temperature=0.0, prompt_tokens=1000,
                 time_limit=60.0, chat: bool | None = None):
        super().__init__(max_tokens=max_tokens, time_limit=time_limit)
        self.llm = llm
        self.model_path = model_path
        self.temperature = temperature
        # A base model (no chat template in the GGUF, like Gemma 3 270M) gets a
        # plain completion prompt with a worked example (prompt.COMPLETION);
        # `chat` overrides the detection (a chat_format given to llama.cpp).
        if chat is None:
            chat = bool((getattr(llm, "metadata", None) or {}).get("tokenizer.chat_template"))
        self.chat = chat
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
            prompt_tokens=config.prompt_tokens, time_limit=config.llm_time_limit,
        )

    @classmethod
    def create(cls, config, index=None) -> "LlamaAnswerer":
        path = find_gguf(config)
        if path is None:
            raise ModelError(
                f"no GGUF model in {config.models_dir}/; put one there (see models/README.md) "
                "or use --answerer extractive"
            )
        return cls.from_config(path, config)

    def describe(self) -> str:
        return f"llama.cpp ({Path(self.model_path).name})"

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def generate(self, prompt, max_tokens: int):
        """Text pieces from the model: chat messages through the GGUF's template,
        or a plain prompt for a base model. Returns "length" when the model
        stopped at `max_tokens`."""
        if self.chat:
            stream = self.llm.create_chat_completion(
                prompt, stream=True, max_tokens=max_tokens, temperature=self.temperature, stop=CHAT_STOP,
            )
        else:
            stream = self.llm.create_completion(
                prompt, stream=True, max_tokens=max_tokens, temperature=self.temperature, stop=COMPLETION_STOP,
            )
        finish = None
        for chunk in stream:
            choice = chunk["choices"][0]
            piece = choice["delta"].get("content") if self.chat else choice.get("text")
            finish = choice.get("finish_reason") or finish
            if piece:
                yield piece
        return "length" if finish == "length" else None

    def prompt(self, question: str, info: QuestionInfo, passages: list):
        if self.chat:
            prompt, _, self.last_prompt_tokens = build_messages(
                question, passages, info.english, self.budget, self.count_tokens, answer_shape(info))
        else:
            prompt, _, self.last_prompt_tokens = build_completion(
                question, passages, info.english, self.budget, self.count_tokens)
        return prompt

    def serving(self):
        return self._lock

    def close(self) -> None:
        close = getattr(self.llm, "close", None)
        if close:
            close()

