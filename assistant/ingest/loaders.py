"""Read a file of any supported format into plain text.

Each format is handled by a well-kept library (pypdf, python-docx, BeautifulSoup);
text files go through encoding detection. Problems raise `DocumentError` with a
reason a user can act on; the indexer reports them per file and carries on."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import DocumentError, UnsupportedFormatError

TEXT_EXTENSIONS = {".txt", ".md", ".markdown"}
HTML_EXTENSIONS = {".html", ".htm"}
SUPPORTED_EXTENSIONS = TEXT_EXTENSIONS | HTML_EXTENSIONS | {".pdf", ".docx"}

_BOMS = [
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
# Tried in order when there is no BOM and the bytes are not UTF-8. GB18030 is a
# superset of GBK/GB2312; Big5 covers Traditional Chinese files from Taiwan/HK.
_FALLBACK_ENCODINGS = ("gb18030", "big5")


@dataclass
class LoadedText:
    text: str
    format: str  # "text", "markdown", "html", "pdf", "docx"
    encoding: str | None = None


def load_file(path: str | Path, max_bytes: int | None = None) -> LoadedText:
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise UnsupportedFormatError(
            path,
            f"unsupported file type {ext or '(none)'!r}; supported: "
            + ", ".join(sorted(SUPPORTED_EXTENSIONS)),
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if size == 0:
        raise DocumentError(path, "empty file")
    if max_bytes is not None and size > max_bytes:
        raise DocumentError(
            path, f"file too large ({size / 2**20:.1f} MB > limit {max_bytes / 2**20:.1f} MB)"
        )
    if ext == ".pdf":
        loaded = _load_pdf(path)
    elif ext == ".docx":
        loaded = _load_docx(path, max_bytes)
    else:
        text, encoding = decode_bytes(path.read_bytes(), path)
        if ext in HTML_EXTENSIONS:
            loaded = LoadedText(html_to_text(text), "html", encoding)
        else:
            fmt = "text" if ext == ".txt" else "markdown"
            loaded = LoadedText(text, fmt, encoding)
    if not loaded.text.strip():
        raise DocumentError(path, "no text content")
    return loaded


def decode_bytes(data: bytes, path: str | Path = "<bytes>") -> tuple[str, str]:
    """Decode with BOM > UTF-8 > UTF-16 without BOM > GB18030 > Big5."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                break  # looked like a BOM but is not: try the other decodings
    if b"\x00" in data[:4096]:
        # NULs in text without a BOM: UTF-16 (every other byte zero for ASCII/Latin)
        # or a binary file. Only accept UTF-16 if the result is mostly printable.
        for encoding in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            if _printable_ratio(text) > 0.95:
                return text, encoding
        raise DocumentError(path, "binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates = {}
    for encoding in _FALLBACK_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _printable_ratio(text) > 0.98:
            candidates[encoding] = text
    if len(candidates) > 1:
        # Many Big5 byte pairs are also valid GB18030 (as mojibake): let
        # charset-normalizer's coherence measure pick between the two.
        from charset_normalizer import from_bytes

        best = from_bytes(data, cp_isolation=list(candidates)).best()
        if best is not None and best.encoding in candidates:
            return candidates[best.encoding], best.encoding
    if candidates:
        encoding, text = next(iter(candidates.items()))
        return text, encoding
    raise DocumentError(
        path, "cannot decode text (not UTF-8, UTF-16, GB18030 or Big5); save it as UTF-8"
    )


def _printable_ratio(text: str) -> float:
    if not text:
        return 0.0
    sample = text[:20000]
    ok = sum(1 for c in sample if c.isprintable() or c in "\n\r\t\f")
    return ok / len(sample)


_BLOCK_TAGS = set("p div section article li tr h1 h2 h3 h4 h5 h6 br table ul ol header footer".split())
_HIDDEN_TAGS = {"script", "style", "noscript", "nav", "template", "iframe", "svg"}
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_CELLS = frozenset({"td", "th"})


def html_to_text(html: str) -> str:
    """Visible text of an HTML page, one block per line; headings become Markdown
    headings and table rows tab-separated so the chunker sees the same structure
    it sees in text files.

    One iterative pass over the parsed tree, which is never modified: inserting
    newline nodes with bs4 (`insert_before`, `replace_with`) looks each tag up in
    its parent's child list, quadratic in the number of siblings (16,000
    paragraphs took 77 s), and a recursive walk would overflow on deep nesting."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    out: list[str] = []
    stack = [(iter(soup.contents), "")]  # (children still to visit, text after them)
    while stack:
        children, closing = stack[-1]
        node = next(children, None)
        if node is None:
            stack.pop()
            out.append(closing)
            continue
        name = getattr(node, "name", None)
        if name is None:  # a string: only page text, not comments or doctypes
            if _is_text(node):
                out.append(str(node))
        elif name in _HIDDEN_TAGS:
            continue
        elif name in _HEADINGS:
            out.append(f"\n\n{'#' * _HEADINGS[name]} {_visible_text(node, _HEADINGS[name])}\n\n")
        elif name == "tr":
            cells = [_visible_text(c) for c in _walk(node, _CELLS) if getattr(c, "name", None) in _CELLS]
            out.append("\n" + "\t".join(cells) + "\n")
        elif name in _BLOCK_TAGS:
            out.append("\n")
            stack.append((iter(node.contents), "\n"))
        else:
            stack.append((iter(node.contents), ""))
    return re.sub(r"\n{3,}", "\n\n", "".join(out)).strip()


def _walk(tag, stop=frozenset()):
    """Nodes under `tag` in document order, iteratively. Hidden tags are skipped
    with their content; tags named in `stop` are yielded but not entered."""
    stack = [iter(tag.contents)]
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
            continue
        name = getattr(node, "name", None)
        if name in _HIDDEN_TAGS:
            continue
        yield node
        if name is not None and name not in stop:
            stack.append(iter(node.contents))


@lru_cache(maxsize=1)
def _text_types() -> tuple:
    from bs4 import CData, NavigableString

    return (NavigableString, CData)  # what bs4's get_text() collects: no comments, doctypes


def _is_text(node) -> bool:
    return type(node) in _text_types()


def _visible_text(tag, level: int = 7) -> str:
    """`tag.get_text(" ", strip=True)` without the text of hidden tags. A heading
    inside (a table cell's, or a lower-level heading's) keeps its Markdown marker,
    as it did when headings were rewritten in place before rows. Iterative, for
    the same reason as `html_to_text`."""
    parts = []
    stack = [(iter(tag.contents), level)]  # (children, level of the enclosing heading)
    while stack:
        children, outer = stack[-1]
        node = next(children, None)
        if node is None:
            stack.pop()
            continue
        name = getattr(node, "name", None)
        if name is None:
            if _is_text(node) and node.strip():
                parts.append(node.strip())
        elif name in _HIDDEN_TAGS:
            continue
        elif _HEADINGS.get(name, 7) < outer:
            parts.append("#" * _HEADINGS[name])
            stack.append((iter(node.contents), _HEADINGS[name]))
        else:
            stack.append((iter(node.contents), outer))
    return " ".join(parts)


def _load_pdf(path: Path) -> LoadedText:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise DocumentError(path, "encrypted PDF; decrypt it first")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise DocumentError(path, f"unreadable PDF: {exc}") from exc
    except Exception as exc:
        # Damaged PDFs also fail in pypdf with NotImplementedError (an unknown
        # stream filter), TypeError, IndexError, zlib.error, RecursionError, ...:
        # found by fuzzing. The file cannot be read; the other files still can.
        raise DocumentError(path, f"unreadable PDF: {type(exc).__name__}: {exc}") from exc
    text = "\n\n".join(pages)
    if not text.strip():
        raise DocumentError(path, "PDF has no extractable text (scanned images? run OCR first)")
    return LoadedText(text, "pdf")


# A .docx is a zip archive, and python-docx inflates its parts in memory: a few
# kilobytes can declare gigabytes (a zip bomb). The bound on the inflated total is
# 10x the file-size limit (200 MB with the default max_file_mb of 20): it admits
# any real document (a file near the size limit is mostly images, which do not
# compress; 200 MB of XML is some 100,000 pages) and caps what is held in memory.
# Without a file-size limit, the same 200 MB.
DOCX_EXPANSION = 10
DOCX_MAX_UNCOMPRESSED = DOCX_EXPANSION * 20 * 2**20
DOCX_MAX_MEMBERS = 10_000  # Word writes ~10-30 parts, a few hundred with many images
# Per member. Word XML deflates 5-30:1; even 20,000 identical paragraphs give
# 266:1 (measured). Deflate tops out near 1032:1, which is what bombs use.
DOCX_MAX_RATIO = 500
_RATIO_FLOOR = 2**20  # parts under 1 MB may compress arbitrarily well: they cost nothing


def check_zip_bounds(path: Path, max_bytes: int | None = None) -> None:
    """Refuse an archive whose declared contents are too large, too many or too
    compressible, before anything is inflated. The declared sizes bind: Python's
    zipfile never returns more bytes for a member than its directory entry says."""
    import zipfile

    limit = DOCX_EXPANSION * max_bytes if max_bytes else DOCX_MAX_UNCOMPRESSED
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise DocumentError(path, f"unreadable .docx (not a valid zip archive): {exc}") from exc
    if len(members) > DOCX_MAX_MEMBERS:
        raise DocumentError(path, f".docx archive has {len(members)} members (limit {DOCX_MAX_MEMBERS}); refusing it")
    total = sum(m.file_size for m in members)
    if total > limit:
        raise DocumentError(
            path, f".docx inflates to {total / 2**20:.1f} MB (limit {limit / 2**20:.1f} MB); refusing a possible zip bomb"
        )
    for m in members:
        if m.file_size > _RATIO_FLOOR and m.file_size > DOCX_MAX_RATIO * max(m.compress_size, 1):
            ratio = m.file_size / max(m.compress_size, 1)
            raise DocumentError(
                path, f".docx member {m.filename!r} has compression ratio {ratio:.0f}:1 "
                f"(limit {DOCX_MAX_RATIO}:1); refusing a possible zip bomb"
            )


def _load_docx(path: Path, max_bytes: int | None = None) -> LoadedText:
    check_zip_bounds(path, max_bytes)
    try:
        return LoadedText(_docx_text(path), "docx")
    except Exception as exc:
        # A damaged package fails deep inside zipfile, zlib, lxml or python-docx
        # (BadZipFile, zlib.error, XMLSyntaxError, KeyError, ...): whichever it is,
        # this file cannot be read, and indexing must go on with the others.
        raise DocumentError(path, f"unreadable .docx: {type(exc).__name__}: {exc}") from exc


def _docx_text(path: Path) -> str:
    import docx
    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document(str(path))
    # Paragraph style names resolved once. python-docx's `Paragraph.style` looks
    # for the default style through every style on each call (~2 ms): a document
    # of 20,000 paragraphs took 40 s. Same rule: unknown or missing id -> default.
    paragraph_styles = [s for s in document.styles if s.type == WD_STYLE_TYPE.PARAGRAPH]
    names = {s.style_id: s.name for s in paragraph_styles}
    default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    default_name = default.name if default is not None else ""
    blocks: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = docx.text.paragraph.Paragraph(child, document)
            text = para.text.strip()
            if not text:
                continue
            style = names.get(child.style, default_name) or ""
            match = re.match(r"(?:Heading|标题)\s*(\d)", style)
            if style == "Title":
                text = "# " + text
            elif match:
                text = "#" * min(int(match.group(1)) + 1, 6) + " " + text
            blocks.append(text)
        elif tag == "tbl":
            table = docx.table.Table(child, document)
            rows = ["\t".join(cell.text.strip() for cell in row.cells) for row in table.rows]
            blocks.append("\n".join(rows))
    return "\n\n".join(blocks)
