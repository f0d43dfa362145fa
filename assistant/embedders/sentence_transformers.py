"""Any sentence-transformers model in a local folder (or the offline Hugging
Face cache). torch and sentence-transformers are imported only here."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import MissingDependencyError, ModelError
from ..system import physical_cores
from .base import DEFAULT_MODEL, Embedder

# Models trained with instruction prefixes. A model's own `prompts` (in
# config_sentence_transformers.json) take precedence over this table.
KNOWN_PREFIXES = {
    "e5": ("query: ", "passage: "),
    "bge-small-zh": ("为这个句子生成表示以用于检索相关文章：", ""),
    "bge-base-zh": ("为这个句子生成表示以用于检索相关文章：", ""),
    "bge-large-zh": ("为这个句子生成表示以用于检索相关文章：", ""),
}


def known_prefixes(name: str) -> tuple[str, str]:
    lowered = name.lower().replace("\\", "/")
    for key, pair in KNOWN_PREFIXES.items():
        if key in lowered.rsplit("/", 1)[-1] or f"/{key}" in lowered or f"-{key}" in lowered:
            return pair
    return "", ""


def offline() -> None:
    # Read at import time by huggingface_hub/transformers: set before importing them.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


class SentenceTransformersEmbedder(Embedder):
    backend = "sentence-transformers"

    def __init__(self, model, name: str, batch_size: int = 32):
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        super().__init__(name, int(getter()), batch_size)
        self._model = model
        self.query_prefix, self.passage_prefix = _prefixes(model, name)

    @classmethod
    def load(cls, config) -> "SentenceTransformersEmbedder":
        from ..models import local_dir_name, resolve_embedding_model

        name = config.embedding_model or DEFAULT_MODEL
        path = resolve_embedding_model(name, config.models_dir)
        if path is None:
            raise ModelError(
                f"embedding model {name!r} not found locally; put it in "
                f"{Path(config.models_dir) / local_dir_name(name)} (or run `assistant models pull {name}`)"
            )
        return cls.from_path(path, name, config.embedding_batch_size, config.embedding_threads)

    @classmethod
    def available(cls, config) -> bool:
        from ..models import resolve_embedding_model

        return resolve_embedding_model(config.embedding_model or DEFAULT_MODEL, config.models_dir) is not None

    @classmethod
    def from_path(cls, path: str, name: str | None = None, batch_size: int = 32, threads: int = 0):
        offline()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise MissingDependencyError("sentence-transformers", "dense") from exc
        import torch

        torch.set_num_threads(threads or physical_cores())
        try:
            model = SentenceTransformer(path, device="cpu", local_files_only=True)
        except Exception as exc:  # corrupt or partial model folders raise many types
            raise ModelError(f"cannot load embedding model from {path}: {exc}") from exc
        return cls(model, name or path, batch_size)

    def describe(self) -> dict:
        return {**super().describe(), "query_prefix": self.query_prefix, "passage_prefix": self.passage_prefix}

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        prefix = self.query_prefix if is_query else self.passage_prefix
        vectors = self._model.encode(
            [prefix + t for t in texts], batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def _prefixes(model, name: str) -> tuple[str, str]:
    prompts = getattr(model, "prompts", None) or {}
    if "query" in prompts:
        return prompts["query"], prompts.get("passage", prompts.get("document", ""))
    return known_prefixes(name)
