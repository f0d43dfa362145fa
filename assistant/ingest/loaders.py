"""Read a file of any supported format into text: the FORMATS registry, the
text and HTML loaders (encoding detection, HTML to text).

Each other format has its module (pdf, ocr, office, doc, sheets) and is
handled by a well-kept library, imported only when such a file is read.
Problems raise `DocumentError` with a reason a user can act on; the indexer
reports them per file and carries on."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module
from pathlib import Path

from ..errors import DocumentError, UnsupportedFormatError
from .base import LoadedText, LoadOptions

TEXT_EXTENSIONS = (".txt", ".md", ".markdown")
HTML_EXTENSIONS = (".html", ".htm")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


@dataclass(frozen=True)
class Format:
    """One supported kind of file: its name, the library that reads it (for the
    README and error messages) and the loader, as "module:function" under
    assistant.ingest, imported only when such a file is read."""

    name: str
    library: str
    loader: str


# The one list of supported inputs: the indexer, the UI upload and the HTTP API
# read it. Adding a format is one loader function and one entry here.
FORMATS: dict[str, Format] = {
    **{ext: Format("text" if ext == ".txt" else "markdown", "built-in (encoding detection)", "loaders:load_text")
       for ext in TEXT_EXTENSIONS},
    **{ext: Format("html", "BeautifulSoup", "loaders:load_html") for ext in HTML_EXTENSIONS},
    ".pdf": Format("pdf", "pypdf; pdfplumber (ruled tables); pypdfium2 + RapidOCR (scanned pages)", "pdf:load_pdf"),
    **{ext: Format("image", "RapidOCR (PP-OCRv4)", "ocr:load_image") for ext in IMAGE_EXTENSIONS},
    ".docx": Format("docx", "python-docx", "office:load_docx"),
    ".doc": Format("doc", "antiword, else catdoc (Debian packages)", "doc:load_doc"),
    ".pptx": Format("pptx", "python-pptx", "office:load_pptx"),
    ".ofd": Format("ofd", "ofdkit", "office:load_ofd"),
    ".xlsx": Format("xlsx", "openpyxl", "sheets:load_xlsx"),
    ".csv": Format("csv", "csv (standard library)", "sheets:load_csv"),
}
SUPPORTED_EXTENSIONS = frozenset(FORMATS)

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


def load_file(path: str | Path, options: LoadOptions | None = None, *, max_bytes: int | None = None) -> LoadedText:
    """Read one file with the loader its extension names. Raises `DocumentError`
    (or `UnsupportedFormatError`) with a reason the user can act on."""
    path = Path(path)
    options = options or LoadOptions(max_bytes=max_bytes)
    ext = path.suffix.lower()
    fmt = FORMATS.get(ext)
    if fmt is None:
        raise UnsupportedFormatError(
            path, f"unsupported file type {ext or '(none)'!r}; supported: " + ", ".join(sorted(FORMATS)),
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if size == 0:
        raise DocumentError(path, "empty file")
    limit = options.max_bytes
    if limit is not None and size > limit:
        raise DocumentError(path, f"file too large ({size / 2**20:.1f} MB > limit {limit / 2**20:.1f} MB)")
    module, function = fmt.loader.split(":")
    loader = getattr(import_module(f"{__package__}.{module}"), function)
    loaded = loader(path, options)
    if not loaded.text.strip():
        raise DocumentError(path, "no text content")
    return loaded


def load_text(path: Path, options: LoadOptions) -> LoadedText:
    text, encoding = decode_bytes(path.read_bytes(), path)
    return LoadedText.of(text, FORMATS[path.suffix.lower()].name, encoding)


def load_html(path: Path, options: LoadOptions) -> LoadedText:
    text, encoding = decode_bytes(path.read_bytes(), path)
    return LoadedText.of(html_to_text(text), "html", encoding)


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
