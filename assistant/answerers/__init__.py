"""Answerers behind one string-keyed registry (names declared in
config.ANSWERERS): extractive (no weights), llama (local GGUF via
llama-cpp-python), openai (any OpenAI-compatible server). Each class builds
itself from the configuration (`Answerer.create`); a model answerer's module
is imported only when it is asked for."""

from __future__ import annotations

from ..config import ANSWERERS, AUTO_ANSWERER, Config, check_choice
from ..registry import Registry
from .base import NO_OUTPUT, NOT_FOUND, Answerer, Draft
from .extractive import ExtractiveAnswerer
from .generative import GenerativeAnswerer
from .gguf import find_gguf

ANSWERER_BACKENDS: Registry[type[Answerer]] = Registry("answerer", {
    "extractive": ("assistant.answerers.extractive", "ExtractiveAnswerer", None),
    "llama": ("assistant.answerers.llama", "LlamaAnswerer", "llm"),
    "openai": ("assistant.answerers.openai", "OpenAIAnswerer", "llm"),
})


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
    if wanted != AUTO_ANSWERER:
        return wanted
    return "llama" if config.llm_model or find_gguf(config, answering=True) else "extractive"


def create_answerer(config: Config, name: str | None = None, index=None) -> Answerer:
    """The named (default: configured) answerer. `index`: the extractive
    answerer weighs question terms by its BM25 statistics and answers English
    questions through its dictionary translation and embedder."""
    name = name or config.answerer
    check_choice("answerer", name, (AUTO_ANSWERER, *ANSWERERS))
    if name == AUTO_ANSWERER:
        name = default_answerer(config)
    return ANSWERER_BACKENDS.load(name).create(config, index)


def answerer_for(index, config: Config, name: str | None = None) -> Answerer:
    """An answerer wired to an index (see create_answerer)."""
    return create_answerer(config, name, index)


__all__ = ["ANSWERERS", "ANSWERER_BACKENDS", "Answerer", "Draft", "ExtractiveAnswerer", "GenerativeAnswerer",
           "NOT_FOUND", "NO_OUTPUT", "answerer_for", "available_answerers", "create_answerer",
           "default_answerer", "find_gguf"]
