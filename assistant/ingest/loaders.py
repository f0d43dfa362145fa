"""Read a file of any supported format into plain text.

Each format is handled by a well-kept library (pypdf, python-docx, BeautifulSoup);
text files go through encoding detection. Problems raise `DocumentError` with a
reason a user can act on; the indexer reports them per file and carries on."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
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
        loaded = _load_docx(path)
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


_BLOCK_TAGS = "p div section article li tr h1 h2 h3 h4 h5 h6 br table ul ol header footer".split()


def html_to_text(html: str) -> str:
    """Visible text of an HTML page, one block per line; headings become Markdown
    headings and table rows tab-separated so the chunker sees the same structure
    it sees in text files."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "template", "iframe", "svg"]):
        tag.decompose()
    for level in range(1, 7):
        for h in soup.find_all(f"h{level}"):
            h.replace_with(f"\n\n{'#' * level} {h.get_text(' ', strip=True)}\n\n")
    for row in soup.find_all("tr"):
        cells = [c.get_text(" ", strip=True) for c in row.find_all(["td", "th"])]
        row.replace_with("\n" + "\t".join(cells) + "\n")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    text = soup.get_text()
    return re.sub(r"\n{3,}", "\n\n", text).strip()


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
    text = "\n\n".join(pages)
    if not text.strip():
        raise DocumentError(path, "PDF has no extractable text (scanned images? run OCR first)")
    return LoadedText(text, "pdf")


def _load_docx(path: Path) -> LoadedText:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(path, f"unreadable .docx: {exc}") from exc
    blocks: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = docx.text.paragraph.Paragraph(child, document)
            text = para.text.strip()
            if not text:
                continue
            style = (para.style.name if para.style is not None else "") or ""
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
    return LoadedText("\n\n".join(blocks), "docx")
