"""Which local GGUF file answers: the configured one, else the recommended
answering models found in models_dir, strongest first."""

from __future__ import annotations

from pathlib import Path

from ..config import Config
from ..errors import ModelError
from ..models import ANSWERING_FILES, TEST_ONLY_FILES


def find_gguf(config: Config, answering: bool = False) -> Path | None:
    """The configured GGUF, or the first *.gguf in models_dir: the recommended
    answering models first (Qwen2.5-Coder-1.5B before 0.5B), then others by
    name. `answering`: for answerer = "auto", which never picks a test-only
    model (models.TEST_ONLY_FILES: real weights too weak to answer)."""
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
