"""jieba segmentation without loading jieba's whole dictionary.

`jieba.initialize()` unmarshals ~500k dictionary entries, about 0.7 s: half of
a cold `assistant ask`. But every dictionary lookup jieba makes while cutting a
text (building the word DAG, scoring routes, the HMM fallback test, the
sub-words of cut_for_search) is for a *substring* of that text no longer than
the longest entry. So a tokenizer whose dictionary holds just those substrings
segments the text exactly as the full one does.

This module keeps the dictionary in SQLite (built once from jieba's own, ~1 s)
and, before each cut, fetches the text's substrings it has not seen yet into an
in-memory dictionary that grows with use. A question costs about a millisecond;
tests check the output equals full jieba's on every seed chunk."""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from importlib import util
from pathlib import Path

_BATCH = 500  # SQLite host parameters per query


_FULL_AFTER = 2_000_000  # substrings fetched before loading the whole dictionary is cheaper


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "assistant"


def database_path(directory: Path | None = None) -> Path | None:
    """Where the SQLite copy of the installed jieba dictionary lives: named by
    the dictionary file's size and mtime, found without importing jieba."""
    spec = util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        return None
    stat = (Path(list(spec.submodule_search_locations)[0]) / "dict.txt").stat()
    key = hashlib.sha256(f"{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    return Path(directory or cache_dir()) / f"jieba-{key}.sqlite"


def ensure_database(directory: Path | None = None) -> Path:
    """The SQLite copy of jieba's dictionary (created if absent)."""
    path = database_path(directory)
    if path is None or path.exists():
        return path
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    with sqlite3.connect(tmp) as db:
        db.execute("CREATE TABLE freq (word TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID")
        db.executemany("INSERT INTO freq VALUES (?, ?)", jieba.dt.FREQ.items())
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER)")
        db.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("total", jieba.dt.total), ("max_len", max(map(len, jieba.dt.FREQ))),
        ])
    db.close()
    tmp.replace(path)  # atomic: readers never see a half-written database
    return path


class LazyJieba:
    """`cut` / `cut_for_search` like jieba's, fed from the SQLite dictionary."""

    def __init__(self, path: Path):
        import jieba

        jieba.setLogLevel(logging.WARNING)
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        meta = dict(self._db.execute("SELECT key, value FROM meta"))
        self._max_len = int(meta["max_len"])
        self._seen: set[str] = set()
        self._full = False
        self._lock = threading.Lock()
        self._tk = jieba.Tokenizer()
        self._tk.FREQ = {}  # grows: every entry fetched so far
        self._tk.total = int(meta["total"])
        self._tk.initialized = True  # never load the full dictionary

    def _fetch(self, text: str) -> None:
        n, m = len(text), self._max_len
        if self._full:
            return
        wanted = {text[i:j] for i in range(n) for j in range(i + 1, min(n, i + m) + 1)}
        with self._lock:
            if len(self._seen) > _FULL_AFTER:  # a long-running process: load it all once
                import jieba

                jieba.dt.check_initialized()
                self._tk, self._seen, self._full = jieba.dt, set(), True
                return
            wanted = list(wanted - self._seen)
            for lo in range(0, len(wanted), _BATCH):
                batch = wanted[lo : lo + _BATCH]
                marks = ",".join("?" * len(batch))
                for word, count in self._db.execute(f"SELECT word, n FROM freq WHERE word IN ({marks})", batch):
                    self._tk.FREQ[word] = count
            self._seen.update(wanted)

    @property
    def loaded_entries(self) -> int:
        return len(self._tk.FREQ)

    def cut(self, text: str, *args, **kwargs):
        self._fetch(text)
        return self._tk.cut(text, *args, **kwargs)

    def cut_for_search(self, text: str, *args, **kwargs):
        self._fetch(text)
        return self._tk.cut_for_search(text, *args, **kwargs)

