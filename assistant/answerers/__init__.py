"""Answerers behind a string-keyed factory: extractive (no weights), llama
(local GGUF via llama-cpp-python), openai (any OpenAI-compatible server)."""

from __future__ import annotations

from pathlib import Path

from ..config import ANSWERERS, AUTO_ANSWERER, Config, check_choice
from ..errors import ModelError
from ..relevance import RelevanceGate
from ..relevance.evidence import idf_from, known_from
from .base import NO_OUTPUT, NOT_FOUND, Answerer, Draft
from .extractive import ExtractiveAnswerer



def find_gguf(config: Config, answering: bool = False) -> Path | None:
    """The configured GGUF, or the first *.gguf in models_dir: the recommended
    answering models first (Qwen2.5-Coder-1.5B before 0.5B), then others by
    name. `answering`: for answerer = "auto", which never picks a test-only
    model (models.TEST_ONLY_FILES: real weights too weak to answer)."""
    from ..models import ANSWERING_FILES, TEST_ONLY_FILES

    if config.llm_model:
        for candidate in (Path(config.llm_model), Path(config.models_dir) / config.llm_model):
            if candidate.is_file():
                return candidate
        raise ModelError(
            f"llm_model {config.llm_model!r} not found (looked at it and in {config.models_dir}/)"
        )

    def preference(p: Path):  # the recommended answering models first, strongest first; test-only last
        known = ANSWERING_FILES.index(p.name) if p.name in ANSWERING_FILES else len(ANSWERING_FILES)
        return (p.name in TEST_ONLY_FILES, known, p.name)

    files = sorted(Path(config.models_dir).glob("*.gguf"), key=preference)
    if answering:
        files = [f for f in files if f.name not in TEST_ONLY_FILES]
    return files[0] if files else None


def available_answerers(config: Config) -> list[str]:
    """The answerers this configuration can run, for menus and validation."""
    names = ["extractive"]
    if config.llm_model or find_gguf(config):
        names.append("llama")
    if config.answerer == "openai" or config.openai_model:
        names.append("openai")
    return names


def default_answerer(config: Config) -> str:
    """`answerer = "auto"` resolved: llama.cpp when a GGUF meant for answering is
    there, else extractive. A test-only GGUF (Gemma 3 270M) can be chosen, never
    the default."""
    wanted = config.answerer
    if wanted != "auto":
        return wanted
    return "llama" if config.llm_model or find_gguf(config, answering=True) else "extractive"


def create_answerer(config: Config, name: str | None = None, idf=None, embedder=None, known=None,
                    translate=None, gate=None) -> Answerer:
    name = name or config.answerer
    check_choice("answerer", name, (AUTO_ANSWERER, *ANSWERERS))
    if name == AUTO_ANSWERER:
        name = default_answerer(config)
    if name == "extractive":
        return ExtractiveAnswerer(idf=idf, embedder=embedder, known=known, translate=translate, gate=gate)
    if name == "llama":
        from .llama import LlamaAnswerer

        path = find_gguf(config)
        if path is None:
            raise ModelError(
                f"no GGUF model in {config.models_dir}/; put one there (see models/README.md) "
                "or use --answerer extractive"
            )
        return LlamaAnswerer.from_config(path, config)
    from .openai import OpenAIAnswerer

    return OpenAIAnswerer.from_config(config)


def answerer_for(index, config: Config, name: str | None = None) -> Answerer:
    """An answerer wired to an index: the extractive one weighs question terms by
    the index's BM25 statistics, and answers English questions through the
    index's dictionary translation and embedder."""
    return create_answerer(
        config, name, idf=idf_from(index.engine), embedder=index.embedder, known=known_from(index.engine),
        translate=index.translate, gate=RelevanceGate.for_index(index, config),
    )


__all__ = ["ANSWERERS", "answerer_for", "available_answerers", "default_answerer", "NOT_FOUND", "NO_OUTPUT", "Answerer", "Draft", "ExtractiveAnswerer", "create_answerer", "find_gguf"]
