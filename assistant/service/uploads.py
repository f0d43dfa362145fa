"""Checking and storing uploaded files: allowed types, size limit, safe names,
nothing overwritten silently. The chat UI and the HTTP API apply these same
checks (the API also before it reads a body, to answer 415 or 413 at once)."""

from __future__ import annotations

import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..errors import UnsupportedUploadType, UploadRejected, UploadTooLarge
from ..hashing import file_sha256
from ..ingest.loaders import SUPPORTED_EXTENSIONS

_UNSAFE_RE = re.compile(r"[^\w\u3400-\u9fff.\-()（）]+")
# File names are limited to 255 *bytes* on Linux filesystems (a CJK character
# is 3 in UTF-8): 200 leaves room for "-12" when a name is taken and for the
# same suffix again when the file is moved to .removed/.
MAX_NAME_BYTES = 200


def safe_name(name: str) -> str:
    """A file name that cannot leave its folder: no directories, no `..`, no
    control or shell characters, not hidden, at most MAX_NAME_BYTES in UTF-8."""
    name = unicodedata.normalize("NFC", name or "")
    if "/" in name or "\\" in name or ".." in name:
        raise UploadRejected(f"unsafe file name {name!r} (paths are not allowed)")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        raise UploadRejected(f"file name {name!r} has no extension")
    stem = _UNSAFE_RE.sub("_", stem).strip("._-") or "document"
    ext = ext.lower()
    room = MAX_NAME_BYTES - len(ext.encode()) - 1
    if room < 1:
        raise UploadRejected(f"file name {name!r}: its extension is too long")
    stem = stem.encode()[:room].decode("utf-8", "ignore").rstrip("._-") or "document"
    return f"{stem}.{ext}"


def upload_extension(name: str) -> str:
    """An upload's type as the loaders know it: its extension, lower case ('' if none)."""
    return Path(name).suffix.lower()


def check_type(name: str, ext: str) -> None:
    """Refuse an upload (named `name`) whose extension `ext` no loader reads."""
    if ext not in SUPPORTED_EXTENSIONS:
        raise UnsupportedUploadType(f"{name}: unsupported file type {ext or '(none)'}; "
                                    f"supported: {', '.join(sorted(SUPPORTED_EXTENSIONS))}")


def check_size(name: str, size: int, max_bytes: int) -> None:
    """Refuse an upload of more than `max_bytes` (the setting max_file_mb)."""
    if size > max_bytes:
        raise UploadTooLarge(f"{name}: file too large (limit {max_bytes / 2**20:.3g} MB, setting max_file_mb)")


@dataclass
class Stored:
    name: str  # final file name in the corpus folder
    path: Path
    note: str = ""  # e.g. "renamed: a file with this name exists"


def store_upload(source: Path, original_name: str, corpus: Path, max_bytes: int) -> Stored:
    """Copy an uploaded temp file into the corpus folder under a safe name."""
    name = safe_name(original_name)
    ext = upload_extension(name)
    check_type(original_name, ext)
    size = source.stat().st_size
    check_size(original_name, size, max_bytes)
    if size == 0:
        raise UploadRejected(f"{original_name}: empty file")
    target = corpus / name
    stem = name.rsplit(".", 1)[0]
    note = ""
    if target.exists() and file_sha256(target) == file_sha256(source):
        raise UploadRejected(f"{original_name}: identical to {name}, already in the corpus")
    # The file stem is the document id: another file with this stem (any type)
    # means a new name, never an overwrite.
    taken = {p.stem for p in corpus.iterdir()} if corpus.exists() else set()
    if stem in taken:
        n = 1
        while f"{stem}-{n}" in taken:
            n += 1
        target = corpus / f"{stem}-{n}{ext}"
        note = f"saved as {target.name}: a document named {stem} already exists"
    corpus.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copyfile(source, target)
    except OSError as exc:  # disk full, permissions: nothing half-written stays
        target.unlink(missing_ok=True)
        raise UploadRejected(f"{original_name}: could not be stored ({exc.strerror or exc})") from exc
    return Stored(target.name, target, note)
