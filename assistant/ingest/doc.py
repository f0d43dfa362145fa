"""Word 97-2003 (.doc) with Debian's antiword, falling back to catdoc: both read
Chinese correctly in milliseconds. A file named .doc that is really RTF, a
.docx or a web page is read as what it is."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from ..errors import DocumentError
from .base import LoadedText, LoadOptions
from .office import load_docx

# antiword takes well under a second on a 20 MB .doc; a minute means it is stuck
# on a damaged file, and the indexer must move on.
DOC_TOOL_TIMEOUT = 60
# What the first bytes of a file named .doc say it really is.
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003 (an OLE2 compound file)
_RTF_MAGIC = b"{\\rtf"  # Word's "save as RTF", often still named .doc
_ZIP_MAGIC = b"PK\x03\x04"  # a .docx with the wrong extension
_INSTALL_HINT = "install them with `apt-get install antiword catdoc`"
# DocBook sections (antiword -x db) to Markdown levels, as load_docx maps Word's
# styles: Title -> "#", Heading 1 (a DocBook chapter) -> "##", Heading 2 -> "###".
_DOCBOOK_LEVELS = {"chapter": 2, "sect1": 3, "sect2": 4, "sect3": 5, "sect4": 6, "sect5": 6}
_DOCBOOK_TABLES = frozenset({"informaltable", "table"})
_DOCBOOK_BLOCKS = frozenset(_DOCBOOK_LEVELS) | _DOCBOOK_TABLES | {"para", "itemizedlist", "orderedlist"}
# A leading paragraph this short with no closing punctuation, before the first
# heading, is the document's title (Word's Title style, which antiword does not
# mark). The cleaner would otherwise drop it as a print masthead.
DOC_TITLE_MAX_CHARS = 60
_OPEN_END = re.compile(r"[^。！？!?；;：:，,.…]$")


class _ToolFailed(Exception):
    """antiword or catdoc could not read the file; the message says why."""


def load_doc(path: Path, options: LoadOptions) -> LoadedText:
    with open(path, "rb") as f:
        head = f.read(512)
    if head.startswith(_ZIP_MAGIC):
        return load_docx(path, options)
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        from .loaders import load_html  # Word's "save as web page", named .doc

        return load_html(path, options)
    if head.startswith(_RTF_MAGIC):
        readers = [("catdoc", _catdoc)]  # antiword reads no RTF
    elif head.startswith(_OLE2_MAGIC):
        readers = [("antiword", _antiword), ("catdoc", _catdoc)]
    else:
        # catdoc prints any other file as if it were text: refuse instead of indexing noise.
        raise DocumentError(path, "not a Word 97-2003 document (no OLE2 or RTF header); the file may be damaged")
    available = [(name, read, tool) for name, read in readers if (tool := shutil.which(name))]
    if not available:
        names = " nor ".join(name for name, _ in readers)
        missing = f"neither {names} is" if len(readers) > 1 else f"{names} is not"
        raise DocumentError(path, f".doc file skipped: {missing} installed; {_INSTALL_HINT}")
    failures = []
    for name, read, tool in available:
        try:
            text = read(tool, path)
        except _ToolFailed as exc:
            failures.append(f"{name}: {exc}")
            continue
        if text.strip():
            return LoadedText.of(text, "doc")
        failures.append(f"{name}: no text found")
    raise DocumentError(path, "unreadable .doc (" + "; ".join(failures) + ")")


def _run_tool(argv: list[str]) -> str:
    """Run a converter without a shell and return its standard output as text."""
    name = Path(argv[0]).name
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=DOC_TOOL_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise _ToolFailed(f"gave no result within {DOC_TOOL_TIMEOUT} s") from exc
    except OSError as exc:
        raise _ToolFailed(f"could not run {name}: {exc}") from exc
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise _ToolFailed(lines[0].strip() if lines else f"exit status {done.returncode}")
    return done.stdout.decode("utf-8", "replace")


def _file_arg(path: Path) -> str:
    # Absolute, so a file named "-x.doc" is never read as an option.
    return os.fspath(path.absolute())


def _antiword(tool: str, path: Path) -> str:
    """antiword's DocBook output keeps what its text output loses: heading styles
    as sections, and table cells whole (text mode wraps a long cell over several
    `|...|` lines, splitting numbers like 24|95). DocBook is always UTF-8."""
    xml = _run_tool([tool, "-x", "db", _file_arg(path)])
    try:
        root = ET.fromstring(xml.encode("utf-8"))
    except ET.ParseError:
        # Text mode as a second chance; -m UTF-8.txt, or Chinese becomes "?" in a C locale.
        return _pipe_rows_to_tabs(_run_tool([tool, "-m", "UTF-8.txt", "-w", "0", _file_arg(path)]))
    blocks: list[str] = []
    _docbook_blocks(root, blocks)
    _promote_title(blocks)
    return "\n\n".join(blocks)


def _docbook_blocks(element: ET.Element, blocks: list[str]) -> None:
    """Headings, paragraphs and tables of antiword's DocBook, in document order."""
    for child in element:
        tag = child.tag
        if tag in ("bookinfo", "title"):  # metadata (mis-decoded for Chinese); titles go with their section
            continue
        if tag in _DOCBOOK_LEVELS:
            title = _inline(child.find("title"))
            if title:
                blocks.append("#" * _DOCBOOK_LEVELS[tag] + " " + title)
            _docbook_blocks(child, blocks)
        elif tag in _DOCBOOK_TABLES:
            rows = ["\t".join(_inline(cell).replace("\t", " ") for cell in row.iter("entry")) for row in child.iter("row")]
            blocks.append("\n".join(rows))
        elif tag == "para" and not any(d.tag in _DOCBOOK_BLOCKS for d in child.iter() if d is not child):
            lines = (line.strip() for line in "".join(child.itertext()).splitlines())
            text = "\n".join(line for line in lines if line)
            if text:
                blocks.append(text)
        else:  # lists, and the paragraphs antiword wraps around tables
            if child.text and child.text.strip():
                blocks.append(child.text.strip())
            _docbook_blocks(child, blocks)


def _inline(element: ET.Element | None) -> str:
    return "" if element is None else " ".join("".join(element.itertext()).split())


def _promote_title(blocks: list[str]) -> None:
    first = blocks[0] if blocks else ""
    heading_follows = any(b.startswith("#") for b in blocks[1:])
    if (heading_follows and not first.startswith("#") and "\n" not in first and "\t" not in first
            and len(first) <= DOC_TITLE_MAX_CHARS and _OPEN_END.search(first)):
        blocks[0] = "# " + first


def _pipe_rows_to_tabs(text: str) -> str:
    """antiword's text tables (`|cell  |cell  |`) as tab-separated rows."""
    lines = []
    for line in text.splitlines():
        s = line.strip()
        if len(s) > 1 and s.startswith("|") and s.endswith("|"):
            line = "\t".join(cell.strip() for cell in s[1:-1].split("|"))
        lines.append(line.rstrip())
    return "\n".join(lines)


def _catdoc(tool: str, path: Path) -> str:
    """catdoc prints a paragraph per line and a table row as tab-separated cells;
    paragraphs become blank-line separated, a table's rows stay together."""
    out = _run_tool([tool, "-w", "-d", "utf-8", _file_arg(path)])
    blocks: list[str] = []
    table: list[str] = []
    for line in out.replace("\f", "\n").splitlines():
        if "\t" in line:
            table.append(line.strip(" \r\u3000"))
            continue
        if table:
            blocks.append("\n".join(table))
            table = []
        if line.strip():
            blocks.append(line.strip())
    if table:
        blocks.append("\n".join(table))
    return "\n\n".join(blocks)
