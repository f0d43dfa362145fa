"""Zip-packaged documents (.docx, .pptx, .ofd, .xlsx) checked for zip bombs
before anything is inflated: the one check every such loader calls."""

from __future__ import annotations

import zipfile
from pathlib import Path

from ..errors import DocumentError

# A .docx is a zip archive, and python-docx inflates its parts in memory: a few
# kilobytes can declare gigabytes (a zip bomb). The bound on the inflated total is
# 10x the file-size limit (200 MB with the default max_file_mb of 20): it admits
# any real document (a file near the size limit is mostly images, which do not
# compress; 200 MB of XML is some 100,000 pages) and caps what is held in memory.
# Without a file-size limit, the same 200 MB. The same bounds serve .pptx and .ofd,
# which are zip archives of XML and media too.
ZIP_EXPANSION = 10
ZIP_MAX_UNCOMPRESSED = ZIP_EXPANSION * 20 * 2**20
ZIP_MAX_MEMBERS = 10_000  # Word writes ~10-30 parts, a few hundred with many images
# Per member. Word XML deflates 5-30:1; even 20,000 identical paragraphs give
# 266:1 (measured). Deflate tops out near 1032:1, which is what bombs use.
ZIP_MAX_RATIO = 500
_RATIO_FLOOR = 2**20  # parts under 1 MB may compress arbitrarily well: they cost nothing


def check_zip_bounds(path: Path, max_bytes: int | None = None, kind: str = ".docx") -> None:
    """Refuse an archive whose declared contents are too large, too many or too
    compressible, before anything is inflated. The declared sizes bind: Python's
    zipfile never returns more bytes for a member than its directory entry says.
    `kind` (".docx", ".pptx", ".ofd", ".xlsx") names the format in the messages."""
    limit = ZIP_EXPANSION * max_bytes if max_bytes else ZIP_MAX_UNCOMPRESSED
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise DocumentError(path, f"unreadable {kind} (not a valid zip archive): {exc}") from exc
    if len(members) > ZIP_MAX_MEMBERS:
        raise DocumentError(path, f"{kind} archive has {len(members)} members (limit {ZIP_MAX_MEMBERS}); refusing it")
    total = sum(m.file_size for m in members)
    if total > limit:
        raise DocumentError(
            path, f"{kind} inflates to {total / 2**20:.1f} MB (limit {limit / 2**20:.1f} MB); refusing a possible zip bomb"
        )
    for m in members:
        if m.file_size > _RATIO_FLOOR and m.file_size > ZIP_MAX_RATIO * max(m.compress_size, 1):
            ratio = m.file_size / max(m.compress_size, 1)
            raise DocumentError(
                path, f"{kind} member {m.filename!r} has compression ratio {ratio:.0f}:1 "
                f"(limit {ZIP_MAX_RATIO}:1); refusing a possible zip bomb"
            )


__all__ = ["check_zip_bounds"]
