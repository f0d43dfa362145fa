"""Build or incrementally update an index from source files.

Only added or changed documents are read, cleaned, chunked, tokenized and
embedded; unchanged ones are copied from the existing index without parsing.
BM25 statistics are global, so the BM25 matrix is recomputed from the stored
term counts (numpy arithmetic, no tokenizing). On large builds the
clean/chunk/tokenize work runs in one process per physical core."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from ..config import Config
from ..documents import LoadOptions, discover, read_document
from ..embedders import NONE, identity_differences, load_embedder
from ..errors import DocumentError, IndexCorruptError, IndexMismatchError, IndexNotFoundError
from ..hashing import file_sha256
from ..ingest import ocr
from ..ingest.loaders import IMAGE_EXTENSIONS
from ..system import physical_cores
from ..tokenize import get_tokenizer
from . import store
from .milvus_publish import publish
from .terms import LocalVocabulary, count_terms
from .vectors import VectorWriter

# Below this much new source text, worker start-up (imports and the jieba-rs
# dictionary, ~0.5 s each) costs more than parallel tokenizing saves.
PARALLEL_MIN_BYTES = 8 * 2**20
# Files that may need OCR (3-12 s a page) are worth a worker each at any size.
OCR_CANDIDATES = frozenset({".pdf", *IMAGE_EXTENSIONS})
# Task batches per worker that may be in flight: enough to keep workers busy.
IN_FLIGHT_CHUNKSIZES = 4


@dataclass
class IndexReport:
    path: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # {"path", "reason"}
    documents: int = 0
    chunks: int = 0
    embedded_chunks: int = 0
    unembedded_chunks: int = 0  # rows left for a later build (--no-embed)
    embedding_model: str | None = None
    workers: int = 1
    notices: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        parts = [
            f"{self.documents} documents, {self.chunks} chunks",
            f"added {len(self.added)}, changed {len(self.changed)}, removed {len(self.removed)},"
            f" unchanged {len(self.unchanged)}, skipped {len(self.skipped)}",
            f"retrieval: {'hybrid (BM25 + ' + self.embedding_model + ')' if self.embedding_model else 'lexical (BM25)'}"
            + (f", {self.embedded_chunks} chunks embedded" if self.embedded_chunks else "")
            + (f", {self.unembedded_chunks} not embedded yet (run `assistant index`)" if self.unembedded_chunks else ""),
            f"{self.seconds:.1f}s" + (f" ({self.workers} processes)" if self.workers > 1 else "") + f" -> {self.path}",
        ]
        return "; ".join(parts + self.notices)


_GENERIC_NAMES = {"docs", "documents", "corpus", "data", "files", "texts"}


def default_index_path(sources: list[str | Path], config: Config) -> Path:
    """index/<name of the corpus folder> (or of the first file's folder); a
    generic folder name is prefixed by its parent's (cmrc2018_dev/docs ->
    index/cmrc2018_dev-docs) so two corpora do not share one index."""
    first = Path(sources[0]) if sources else Path(config.corpus_dir)
    folder = (first if first.is_dir() or not first.suffix else first.parent).resolve()
    name = folder.name or "default"
    if name.lower() in _GENERIC_NAMES and folder.parent.name:
        name = f"{folder.parent.name}-{name}"
    return Path(config.index_root) / name


def build_index(
    sources: list[str | Path] | None = None,
    index_path: str | Path | None = None,
    config: Config | None = None,
    embedder="auto",
    rebuild: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    embed: bool = True,
    publisher: Callable[..., str] | None = None,
) -> IndexReport:
    """Make the index at `index_path` reflect the files under `sources`.

    `embedder`: "auto" loads the configured one (assistant.embedders), None
    builds a lexical index. `embed=False` embeds nothing now but keeps the
    vectors already computed; a later build embeds the rest. `progress` is
    called with (file, n, total) per file, ("ocr:<file>", page, pages) per
    OCR'd page (from a worker thread), then ("embedding", done, total).
    `publisher(data, config, rebuild=...)` writes the build to Milvus when
    index_backend = "milvus" (default milvus_publish.publish; a caller passes
    its options with functools.partial, e.g. `in_place`, `before_switch`).

    One build at a time per index (others wait); readers are never blocked and
    never see a half-written index."""
    config = config or Config.load()
    sources = [str(s) for s in (sources or [config.corpus_dir])]
    path = Path(index_path) if index_path else default_index_path(sources, config)
    with store.build_lock(path):
        report = _build(sources, path, config, embedder, rebuild, progress, embed)
        if config.index_backend == "milvus":  # the local index is the builder's cache; servers read Milvus
            with store.reading(path):  # just written: sizes checked, not hashed again
                data = store.load_data(path, config, verify_files=False)
            report.notices.append((publisher or publish)(data, config, rebuild=rebuild))
        return report


def _build(sources, path: Path, config: Config, embedder, rebuild: bool, progress, embed: bool) -> IndexReport:
    started = time.perf_counter()
    report = IndexReport(path=str(path))

    old = None if rebuild else _load_old(path, config, report)
    embedder = _embedder_for(embedder, embed, old, path, config, report)
    old_docs = old.documents if old else {}
    plan = _plan(sources, old_docs, report)

    todo = [(str(f), sha) for f, _, sha, unchanged in plan if not unchanged]
    report.workers = _workers(config, todo)
    old_vectors = old.vectors() if old else None
    vectors, embedding = _vector_plan(embedder, old, old_vectors, config)
    writer = store.IndexWriter(path, old.postings() if old else None, vectors)
    prepared = _prepare_all(todo, config, report.workers, progress)
    try:
        _write_documents(plan, prepared, writer, old, old_vectors, report, progress)
        report.removed = sorted(set(old_docs) - set(writer.documents))
        writer.commit(_manifest(old, config, embedding, sources, report), config.bm25_k1, config.bm25_b, progress)
    except BaseException:
        writer.abort()
        raise
    finally:
        prepared.close()  # stops the worker pool

    report.documents = len(writer.documents)
    report.chunks = writer.n_chunks
    if vectors is not None:
        report.embedded_chunks, report.unembedded_chunks = vectors.embedded, vectors.empty_rows
        report.embedding_model = embedding["model"]
    report.seconds = time.perf_counter() - started
    return report


def _embedder_for(embedder, embed: bool, old, path: Path, config: Config, report: IndexReport):
    """The embedder this build uses (None: embed nothing now), loaded if "auto";
    one that differs from the old index's is refused rather than mixed in."""
    if not embed:
        embedder = None
    elif isinstance(embedder, str):  # "auto"
        embedder, notice = load_embedder(config)
        report.notices.extend([notice] if notice else [])
    if old is not None and embedder is not None:
        differences = identity_differences(old.embedding, embedder.identity())
        if differences:
            raise IndexMismatchError(path, differences)
    return embedder


def _plan(sources, old_docs: dict, report: IndexReport) -> list[tuple[Path, str, str, bool]]:
    """Decide per file: carry over (unchanged), process, or skip (recorded in
    `report`). Returns (file, doc_id, sha256, unchanged) in discovery order."""
    files, problems = discover(sources)
    report.skipped.extend({"path": p, "reason": r} for p, r in problems)
    plan: list[tuple[Path, str, str, bool]] = []
    seen: dict[str, str] = {}
    for file in files:
        doc_id = file.stem
        if doc_id in seen:
            report.skipped.append(
                {"path": str(file), "reason": f"duplicate document id {doc_id!r} (also {seen[doc_id]}); rename one"}
            )
            continue
        try:
            sha = file_sha256(file)
        except OSError as exc:
            report.skipped.append({"path": str(file), "reason": f"cannot read file: {exc.strerror or exc}"})
            continue
        seen[doc_id] = str(file)
        previous = old_docs.get(doc_id)
        plan.append((file, doc_id, sha, bool(previous and previous["sha256"] == sha and previous["path"] == str(file))))
    return plan


def _write_documents(plan, prepared: Iterator, writer, old, old_vectors, report: IndexReport, progress) -> None:
    """Hand every planned document to `writer`: unchanged ones carried over,
    the others as `prepared` yields them (in plan order), refused ones skipped."""
    old_docs = old.documents if old else {}
    for n, (file, doc_id, sha, unchanged) in enumerate(plan, 1):
        if progress:
            progress(str(file), n, len(plan))
        previous = old_docs.get(doc_id)
        if unchanged:
            writer.carry_over(old, doc_id, old_vectors)
            report.unchanged.append(doc_id)
            continue
        outcome = next(prepared)
        if isinstance(outcome, str):  # the reason the document was refused
            report.skipped.append({"path": str(file), "reason": outcome})
            if previous:  # keep the last good version rather than losing it
                writer.carry_over(old, doc_id, old_vectors)
                report.skipped[-1]["reason"] += " (previous version kept in the index)"
            continue
        meta, lines, counts = outcome
        report.notices.extend(f"{Path(file).name}: {w}" for w in meta.get("warnings", []))
        writer.add(meta, lines, counts)
        (report.changed if previous else report.added).append(doc_id)


def _manifest(old, config: Config, embedding: dict | None, sources, report: IndexReport) -> dict:
    return {
        "format_version": store.FORMAT_VERSION,
        "created_at": (old.manifest.get("created_at") if old else None) or time.strftime("%Y-%m-%dT%H:%M:%S"),
        "settings": store.index_settings(config),
        "embedding": embedding,
        "libraries": store.library_versions(),
        "sources": [str(Path(s).resolve()) for s in sources],
        "skipped": report.skipped,
    }


def _vector_plan(embedder, old, old_vectors, config: Config) -> tuple[VectorWriter | None, dict | None]:
    """How this build writes vectors, and the manifest's embedding entry: embed
    with `embedder`; or, without one, keep the previous index's vectors (an
    embedder that failed to load, or --no-embed) rather than lose them; or none."""
    if embedder is not None:
        return VectorWriter(embedder, batch=config.embedding_batch_size), embedder.describe()
    if old_vectors is not None and old.embedding and config.embedder != NONE:
        kept = {k: v for k, v in old.embedding.items() if k != "embedded_chunks"}
        return VectorWriter(None, dim=old_vectors.shape[1]), kept
    return None, None


def _load_old(path: Path, config: Config, report: IndexReport):
    try:
        with store.reading(path):
            return store.load_data(path, config)
    except IndexNotFoundError:
        return None
    except IndexMismatchError as exc:
        if not store.only_code_changed(exc):
            raise  # a setting the user changed: `assistant index` rebuilds, saying why
        # Written by another version of this code (file layout or cleaning and
        # chunking rules): nothing can be carried over.
        report.notices.append(f"index written by another version ({'; '.join(exc.differences)}); rebuilt")
        return None
    except IndexCorruptError as exc:
        # Never carry damaged data forward: start again from the sources.
        report.notices.append(f"{exc.file} was damaged; index rebuilt from the sources")
        return None


def _workers(config: Config, todo: list[tuple[str, str]]) -> int:
    workers = config.index_workers or physical_cores()
    if workers <= 1 or len(todo) < 2:
        return 1
    if sum(Path(file).suffix.lower() in OCR_CANDIDATES for file, _ in todo) >= 2 and config.ocr:
        return min(workers, len(todo))
    size = 0
    for file, _ in todo:
        size += Path(file).stat().st_size
        if size >= PARALLEL_MIN_BYTES:
            return min(workers, len(todo))
    return 1


def _prepare_all(todo: list[tuple[str, str]], config: Config, workers: int, progress=None) -> Iterator:
    """Prepared documents in `todo` order, computed in `workers` processes.
    OCR pages are reported to `progress` as ("ocr:<file>", page, pages)."""
    # One onnxruntime thread per worker: N workers x N threads would oversubscribe the cores.
    options = LoadOptions.from_config(config, ocr_threads=1 if workers > 1 else 0)
    build_id = f"{os.getpid()}-{time.time_ns()}"  # workers number terms afresh for each build
    args = [(file, sha, options, config.tokenizer, build_id) for file, sha in todo]
    on_page = (lambda file, n, total: progress(f"ocr:{file}", n, total)) if progress else None
    if workers <= 1:
        ocr.set_progress(on_page)
        try:
            yield from map(_prepare, args)
        finally:
            ocr.set_progress(None)
        return
    context = multiprocessing.get_context(_start_method())
    pages = context.Queue() if on_page else None
    relay = threading.Thread(target=_relay, args=(pages, on_page), daemon=True) if pages else None
    # OCR makes one file minutes of work: hand files out one at a time then.
    chunksize = 1 if any(Path(f).suffix.lower() in OCR_CANDIDATES for f, _ in todo) else 16
    # Results wait in the parent's memory until it writes them: workers that
    # run ahead of it would fill the memory of a large build.
    window, stop = threading.Semaphore(IN_FLIGHT_CHUNKSIZES * chunksize * workers), threading.Event()

    def feed():
        for item in args:
            while not window.acquire(timeout=0.1):
                if stop.is_set():
                    return
            yield item

    try:
        with context.Pool(workers, initializer=_init_worker, initargs=(pages,)) as pool:
            if relay:
                relay.start()  # after the fork: a child never inherits a running thread
            for result in pool.imap(_prepare, feed(), chunksize=chunksize):
                window.release()
                yield result
    finally:
        stop.set()
        if relay and relay.is_alive():
            pages.put(None)
            relay.join(timeout=5)


def _init_worker(pages) -> None:
    if pages is not None:
        ocr.set_progress(lambda file, n, total: pages.put((file, n, total)))


def _relay(pages, on_page) -> None:
    """Forward the workers' page reports to the progress callback."""
    for item in iter(pages.get, None):
        try:
            on_page(*item)
        except Exception:
            pass  # a progress display must never stop a build


def _start_method() -> str:
    # fork needs no importable __main__ (scripts without a main guard, stdin,
    # notebooks) but is unsafe in a threaded process such as the UI server,
    # which therefore spawns.
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "spawn"


# This process's term numbering per build (builds of different indexes may run
# in threads of one process); the oldest are forgotten.
_local_vocabularies: dict[str, LocalVocabulary] = {}
_KEEP_VOCABULARIES = 8


def _prepare(args) -> str | tuple:
    """Read, clean, chunk and count the terms of one file (runs in a worker).
    Returns (meta, chunks as JSON lines, encoded term counts) or the refusal reason."""
    file, sha, options, tokenizer, build_id = args
    try:
        doc = read_document(file, options, sha)
    except DocumentError as exc:
        return exc.reason
    local = _local_vocabularies.get(build_id)
    if local is None:
        while len(_local_vocabularies) >= _KEEP_VOCABULARIES:
            _local_vocabularies.pop(next(iter(_local_vocabularies)))
        local = _local_vocabularies[build_id] = LocalVocabulary(build_id)
    tokenize = get_tokenizer(tokenizer)
    counts = local.encode([count_terms(tokenize(c.index_text())) for c in doc.chunks])
    return doc.meta(), store.chunk_lines(doc.chunks), counts
