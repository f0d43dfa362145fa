"""Answers from any OpenAI-compatible chat server (llama.cpp server, vLLM,
Ollama, ...): the same grounded prompt, streamed over server-sent events."""

from __future__ import annotations

import json
import re

from ..errors import MissingDependencyError, ModelError
from ..question import QuestionInfo
from .generative import GenerativeAnswerer
from .prompt import CHAT_STOP, answer_shape, build_messages

_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def estimate_tokens(text: str) -> int:
    """The server's tokenizer is not at hand: ~1 token per CJK character and per
    4 other characters, a slight overestimate for Qwen/Llama tokenizers."""
    cjk = len(_CJK_RE.findall(text))
    return cjk + (len(text) - cjk + 3) // 4


class OpenAIAnswerer(GenerativeAnswerer):
    name = "openai"

    def __init__(self, base_url: str, model: str = "", api_key: str = "", *, timeout=120.0,
                 max_tokens=256, temperature=0.0, prompt_tokens=1000, time_limit=60.0):
        try:
            import httpx
        except ImportError as exc:
            raise MissingDependencyError("httpx", "llm") from exc
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)
        super().__init__(max_tokens=max_tokens, time_limit=time_limit)
        self.model = model or self._first_model()
        self.temperature = temperature
        self.budget = prompt_tokens
        self.last_prompt_tokens = 0

    @classmethod
    def from_config(cls, config) -> "OpenAIAnswerer":
        return cls(
            config.openai_base_url, config.openai_model, config.openai_api_key,
            timeout=config.openai_timeout, max_tokens=config.llm_max_tokens,
            temperature=config.llm_temperature, prompt_tokens=config.prompt_tokens,
            time_limit=config.llm_time_limit,
        )

    @classmethod
    def create(cls, config, index=None) -> "OpenAIAnswerer":
        return cls.from_config(config)

    def describe(self) -> str:
        return f"OpenAI-compatible server ({self.model} at {self.base_url})"

    def _request(self, method: str, path: str, **kwargs):
        import httpx

        try:
            return self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ModelError(f"cannot reach the OpenAI-compatible server at {self.base_url}: {exc}") from exc

    def _first_model(self) -> str:
        response = self._request("GET", "/models")
        if response.status_code != 200:
            raise ModelError(f"{self.base_url}/models answered {response.status_code}; set openai_model")
        models = response.json().get("data") or []
        if not models:
            raise ModelError(f"{self.base_url} serves no model; set openai_model")
        return models[0]["id"]

    def generate(self, messages: list[dict], max_tokens: int):
        import httpx

        body = {"model": self.model, "messages": messages, "stream": True, "stop": CHAT_STOP,
                "max_tokens": max_tokens, "temperature": self.temperature}
        finish = None
        try:
            with self.client.stream("POST", "/chat/completions", json=body) as response:
                if response.status_code != 200:
                    response.read()
                    raise ModelError(
                        f"{self.base_url}/chat/completions answered {response.status_code}: {response.text[:200]}"
                    )
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    choices = json.loads(data).get("choices") or [{}]
                    piece = (choices[0].get("delta") or {}).get("content")
                    finish = choices[0].get("finish_reason") or finish
                    if piece:
                        yield piece
        except httpx.HTTPError as exc:
            raise ModelError(f"OpenAI-compatible server at {self.base_url} failed: {exc}") from exc
        return "length" if finish == "length" else None

    def prompt(self, question: str, info: QuestionInfo, passages: list) -> list[dict]:
        messages, _, self.last_prompt_tokens = build_messages(
            question, passages, info.english, self.budget, estimate_tokens, answer_shape(info)
        )
        return messages

    def close(self) -> None:
        self.client.close()
