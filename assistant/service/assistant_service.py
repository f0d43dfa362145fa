"""What the UI and the HTTP server need from the product, thread-safe: one
index and one set of answerers shared by every session; uploads and removals
update the index under a lock and swap it in whole, so answers in progress keep
reading the old one. Several processes may serve one index: each notices a
newly swapped index on its next request (a stat of the manifest) and loads it."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from ..answerers import available_answerers, default_answerer
from ..assembly import AnswererPool, assemble, index_location, open_index
from ..config import Config
from ..documents import LoadOptions, read_document
from ..errors import AssistantError, DocumentError, UploadRejected
from ..index import Index, build_index
from ..index.backends import engine_class
from ..pipeline import Assistant
from .uploads import store_upload


# What any uploaded file may yield whatever its size: a small .docx or a short
# spreadsheet is never refused by the per-MB budgets (seed reports: 9-107
# chunks, 2,000-23,000 characters each).
UPLOAD_CHUNKS_FLOOR = 2_000
UPLOAD_CHARS_FLOOR = 200_000


def _progress_reporter(progress):
    """The build's per-file (and per-OCR-page) callback, shown on a UI progress bar."""
    def on_file(path: str, n: int, total: int) -> None:
        if progress is None:
            return
        if path.startswith("ocr:"):
            progress((n, total), desc=f"文字识别 OCR {Path(path[4:]).name}", unit="page")
        else:
            progress((n, total), desc=f"索引 Indexing {Path(path).name}")

    return on_file


class AssistantService:
    def __init__(self, config: Config, corpus: str | Path | None = None, index_path: str | Path | None = None,
                 progress=None, update: bool = True):
        self.config = config
        self.corpus, self.index_path = index_location(config, corpus, index_path)
        self._write_lock = threading.Lock()
        self._load_lock = threading.Lock()
        self._pool = AnswererPool(config)
        self._generation = None  # unknown: the first request reloads if the index changed since
        self.index, self.last_report = open_index(config, self.corpus, self.index_path, update=update, progress=progress)
        self.notices = list(dict.fromkeys((self.last_report.notices if self.last_report else []) + self.index.notices))
        self.assistant().ask("预热")  # load dictionaries now, not on the first user's question

    def _load(self) -> Index:
        # The generation is read first: a swap during the load then costs one
        # more reload, instead of an old index held under the new generation.
        generation = self.generation()
        index = Index.load(self.index_path, self.config)
        self._generation = generation
        return index

    def generation(self):
        """Which index is current (the engine decides how to tell cheaply)."""
        return engine_class(self.config.index_backend).generation(self.index_path, self.config)

    def current(self) -> Index:
        """The index to answer from: reloaded when another process (or thread)
        has swapped a new one in since it was loaded. Never a half-written one:
        builds swap complete directories, and loading holds the reader lock."""
        generation = self.generation()
        if generation is not None and generation != self._generation:
            with self._load_lock:
                if generation != self._generation:
                    self.index = self._load()
        return self.index

    # ---------------------------------------------------------------- answering

    def available_answerers(self) -> list[str]:
        return available_answerers(self.config)

    def default_answerer(self) -> str:
        """The configured answerer when it can run here, else extractive."""
        name = default_answerer(self.config)
        return name if name in self.available_answerers() else "extractive"

    def assistant(self, answerer: str | None = None, top_k: int | None = None) -> Assistant:
        config = self.config.replace(top_k=int(top_k)) if top_k else self.config
        index = self.current()  # one consistent snapshot for this request
        return assemble(index, config, answerer or self.default_answerer(), self._pool)

    # ---------------------------------------------------------------- documents

    def documents(self) -> list[list]:
        docs = self.current().documents
        return [
            [doc_id, meta.get("title") or "", meta.get("year") or "", meta.get("n_chunks") or 0]
            for doc_id, meta in sorted(docs.items())
        ]

    def add_files(self, files: list[tuple[Path, str]], progress=None) -> list[dict]:
        """Store uploads in the corpus folder and index them incrementally.
        Returns one {"file", "status", "detail"} per file. Each file is stored
        and indexed whole or not at all: a refused or failed file leaves nothing
        in the corpus, and a failed build takes this upload's files back out."""
        results: list[dict] = []
        with self._write_lock:
            stored = self._store(files, results)
            stored = self._within_budget(stored, results)
            if not stored:
                return results
            try:
                report = build_index([str(self.corpus)], self.index_path, self.config,
                                     progress=_progress_reporter(progress))
            except BaseException:
                for _, item in stored:
                    item.path.unlink(missing_ok=True)
                raise
            self.index = self._load()  # swap: answers in progress keep the old object
            self.last_report = report
            skipped = {Path(s["path"]).name: s["reason"] for s in report.skipped}
            for name, item in stored:
                if item.name in skipped:
                    item.path.unlink(missing_ok=True)  # not indexable: do not keep it around
                    results.append({"file": name, "status": "skipped", "detail": skipped[item.name]})
                else:
                    results.append(self._indexed(name, item))
        return results

    def _store(self, files, results: list[dict]) -> list:
        stored = []
        for source, name in files:
            try:
                stored.append((name, store_upload(Path(source), name, self.corpus, self.config.max_file_bytes)))
            except UploadRejected as exc:
                results.append({"file": name, "status": "skipped", "detail": str(exc)})
        return stored

    def _indexed(self, name: str, item) -> dict:
        meta = self.index.documents.get(item.path.stem, {})
        detail = f"{meta.get('n_chunks', 0)} chunks"
        if meta.get("ocr_pages"):
            detail += f", {meta['ocr_pages']} pages read by OCR"
        detail += "".join(f"; {note}" for note in [*meta.get("warnings", []), item.note] if note)
        return {"file": name, "status": "indexed", "detail": detail, "doc_id": item.path.stem}

    def _within_budget(self, stored, results: list[dict]) -> list:
        """The uploads whose indexing work is bounded by their size. A file is
        refused (and removed) when it yields more chunks or text than
        `max_chunks_per_mb` / `max_chars_per_mb` allow for its size — a small
        .docx of one table row repeated thousands of times — and the whole
        upload when all of it together exceeds `max_upload_chunks`."""
        # Without OCR: scanned pages are bounded by ocr_max_pages instead, and are
        # read once, by the build, with its progress bar.
        options = LoadOptions.from_config(self.config, ocr=False)
        kept, total = [], 0
        for name, item in stored:
            try:
                doc = read_document(item.path, options)
            except DocumentError:
                kept.append((name, item))  # reported per file by the build
                continue
            over = self._over_budget(name, doc, item.path.stat().st_size)
            if over:
                item.path.unlink(missing_ok=True)
                results.append({"file": name, "status": "skipped", "detail": over})
                continue
            kept.append((name, item))
            total += len(doc.chunks)
        limit = self.config.max_upload_chunks
        if total > limit:
            refusal = (f"上传内容过多 upload too large: {total} chunks in {len(kept)} files, the limit is {limit} "
                       "per upload (setting max_upload_chunks); upload fewer or smaller files")
            for name, item in kept:
                item.path.unlink(missing_ok=True)
                results.append({"file": name, "status": "skipped", "detail": refusal})
            return []
        return kept

    def _over_budget(self, name: str, doc, size: int) -> str | None:
        """Why this file yields too much work for its size, if it does."""
        mb = size / 2**20
        chars = sum(len(chunk.text) for chunk in doc.chunks)
        for amount, floor, setting, unit in ((len(doc.chunks), UPLOAD_CHUNKS_FLOOR, "max_chunks_per_mb", "chunks"),
                                             (chars, UPLOAD_CHARS_FLOOR, "max_chars_per_mb", "characters")):
            per_mb = getattr(self.config, setting)
            budget = max(floor, int(mb * per_mb))
            if amount > budget:
                return (f"{name}: 内容与文件大小不符 too much to index for its size: {amount:,} {unit} from "
                        f"{size / 1024:,.0f} KB, the limit is {budget:,} (setting {setting} = {per_mb:,})")
        return None

    def remove_document(self, doc_id: str) -> str:
        """Take a document out of the index. Its file moves to <corpus>/.removed/
        (hidden folders are not indexed), so nothing is deleted for good."""
        with self._write_lock:
            meta = self.current().documents.get(doc_id)
            if meta is None:
                raise AssistantError(f"no document {doc_id!r} in the index")
            path = Path(meta["path"])
            if path.exists():
                trash = self.corpus / ".removed"
                trash.mkdir(exist_ok=True)
                target = trash / path.name
                n = 1
                while target.exists():
                    target = trash / f"{path.stem}-{n}{path.suffix}"
                    n += 1
                shutil.move(str(path), target)
            build_index([str(self.corpus)], self.index_path, self.config)
            self.index = self._load()
        return f"已移除 Removed {doc_id}"

    def close(self) -> None:
        self._pool.close()
