"""Ruled tables in text PDFs, read with pdfplumber: each row on one line, cells
tab-separated, the header first and the caption above it.

pypdf writes a table's cells one per line in drawing order, so a label and its
figure land on different lines, and a figure drawn glyph by glyph comes out in
pieces (pypdf 7.1: one glyph a line). For each page with a ruled table this
module rebuilds the page: the text around the tables in reading order, each
table where it stands. Pages without one are left to pypdf: pdfplumber's layout
analysis and table search cost ~120 ms a text page (pypdf's text ~5 ms), so a
scan of the raw drawing operators (~1 ms a page) picks the pages worth it."""

from __future__ import annotations

import re
from pathlib import Path

from ..textnorm import CJK
from .sheets import CAPTION_RE, join_lines, table_lines

# Table edges from drawn lines only: "text" strategies find tables in any
# aligned paragraph text and would rebuild ordinary pages.
TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
# Edges a page must draw (a rectangle counts 4, a line segment 1) before
# pdfplumber looks for tables: the smallest ruled table, 2 x 2 cells in a frame,
# needs 4 + 2; a header and a footer rule (2) or a framed box (4) do not.
MIN_EDGES = 6
# Form XObjects followed when counting edges (a page can be one big form, and a
# form can hold forms); deeper nesting is not seen in real documents.
MAX_FORM_DEPTH = 3

# Path operators after their numeric operands: `x y w h re`, `x y l`.
_RECT_RE = re.compile(rb"[\d.]\s+re\b")
_LINE_RE = re.compile(rb"[\d.]\s+l\b")
_FORM_USE_RE = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s+Do\b")
# A figure drawn glyph by glyph (distributed alignment, wide character spacing)
# reads as single characters with spaces between: `1 , 8 9 6 . 5`.
_SPACED_FIGURE_RE = re.compile(r"(?<!\S)[\d.,%](?: [\d.,%]){2,}(?!\S)")
_CJK_SPACE_RE = re.compile(rf"(?<=[{CJK}])[ \u3000]+(?=[{CJK}])")


def ruled_tables(path: Path, page_indexes: list[int] | None = None) -> dict[int, str]:
    """{page index: page text with its ruled tables as tab-separated rows} for the
    pages (0-based, default all) that have one. Never raises: on a file or page
    pdfplumber cannot read, the pages read so far are returned, and the caller
    keeps its own text for the rest."""
    out: dict[int, str] = {}
    try:
        import pdfplumber

        with pdfplumber.open(str(path)) as pdf:
            pages = pdf.pages
            wanted = range(len(pages)) if page_indexes is None else page_indexes
            for i in wanted:
                if 0 <= i < len(pages):
                    text = _page_text(pages[i])
                    if text:
                        out[i] = text
    except Exception:
        pass  # a damaged file or a pdfminer bug: pypdf's text stands
    return out


def _page_text(page) -> str | None:
    """The page rebuilt around its ruled tables, or None when it has none (or
    cannot be analysed)."""
    try:
        if drawn_edges(page.page_obj) < MIN_EDGES:
            return None
        clean = page.dedupe_chars()  # bold faked by printing each glyph twice
        tables = [t for t in clean.find_tables(TABLE_SETTINGS) if _is_grid(t)]
        return _rebuild(clean, tables) if tables else None
    except Exception:
        return None
    finally:
        page.close()  # pdfplumber keeps every parsed page's objects otherwise


def _is_grid(table) -> bool:
    """Two rows and two columns at least: a framed paragraph is one cell."""
    return len(table.rows) >= 2 and max((len(r.cells) for r in table.rows), default=0) >= 2


# ---------------------------------------------------------------- pre-check


def drawn_edges(page_obj) -> int:
    """Edges the page's content streams draw (rectangles x 4 + line segments),
    counted on the raw operators without layout analysis."""
    from pdfminer.pdftypes import resolve1

    streams = [resolve1(s) for s in (page_obj.contents or [])]
    data = b"\n".join(s.get_data() for s in streams if hasattr(s, "get_data"))
    return _count_edges(data, resolve1(page_obj.resources or {}), MAX_FORM_DEPTH, set())


def _count_edges(data: bytes, resources, depth: int, seen: set) -> int:
    from pdfminer.pdftypes import resolve1

    edges = 4 * len(_RECT_RE.findall(data)) + len(_LINE_RE.findall(data))
    if depth == 0 or not isinstance(resources, dict):
        return edges
    xobjects = resolve1(resources.get("XObject")) or {}
    if not isinstance(xobjects, dict):
        return edges
    for name in set(_FORM_USE_RE.findall(data)):
        ref = xobjects.get(name.decode("latin-1"))
        form = resolve1(ref)
        key = getattr(ref, "objid", id(form))
        if key in seen or getattr(form, "get", None) is None:
            continue
        seen.add(key)
        if getattr(form.get("Subtype"), "name", None) == "Form":
            inner = resolve1(form.get("Resources")) or resources
            edges += _count_edges(form.get_data(), inner, depth - 1, seen)
    return edges


# ------------------------------------------------------------------ rebuild


def _rebuild(page, tables) -> str:
    """Text bands between tables, top to bottom; a table (or tables side by side)
    where it stands, then any text beside it. Each character belongs to one band
    (by its vertical middle), so no text is lost or repeated."""
    boxes = [t.bbox for t in tables]
    blocks: list[str] = []
    cursor = float("-inf")
    for group in _rows_of_tables(tables):
        top = min(t.bbox[1] for t in group)
        bottom = max(t.bbox[3] for t in group)
        above = _band_text(page, cursor, top, boxes)
        caption = None
        if above and CAPTION_RE.match(above[-1]):
            caption = above.pop()  # goes above the header, where the chunker looks
        if above:
            blocks.append("\n".join(above))
        for n, table in enumerate(sorted(group, key=lambda t: t.bbox[0])):
            rows = [[_cell(c) for c in row] for row in table.extract()]
            if n == 0 and caption:
                rows.insert(0, [caption])
            lines = table_lines(rows)
            if lines:
                blocks.append("\n".join(lines))
        beside = _band_text(page, top, bottom, boxes)
        if beside:
            blocks.append("\n".join(beside))
        cursor = bottom
    below = _band_text(page, cursor, float("inf"), boxes)
    if below:
        blocks.append("\n".join(below))
    return "\n\n".join(blocks)


def _rows_of_tables(tables) -> list[list]:
    """Tables grouped where their vertical extents overlap (side by side)."""
    groups: list[list] = []
    for table in sorted(tables, key=lambda t: t.bbox[1]):
        if groups and table.bbox[1] < max(t.bbox[3] for t in groups[-1]):
            groups[-1].append(table)
        else:
            groups.append([table])
    return groups


def _band_text(page, top: float, bottom: float, boxes) -> list[str]:
    """Non-empty lines of the text whose characters sit between `top` and
    `bottom`, outside every table."""

    def keep(obj) -> bool:
        if obj.get("object_type") != "char":
            return False
        x = (obj["x0"] + obj["x1"]) / 2
        y = (obj["top"] + obj["bottom"]) / 2
        if not top <= y < bottom:
            return False
        return not any(x0 <= x < x1 and t <= y < b for x0, t, x1, b in boxes)

    text = page.filter(keep).extract_text()
    return [_SPACED_FIGURE_RE.sub(_unspace, line.strip()) for line in text.splitlines() if line.strip()]


def _cell(text: str | None) -> str:
    """A cell as one line: `None` (under a merged cell) empty, lines joined
    without a space between CJK characters, figures drawn glyph by glyph whole."""
    if not text:
        return ""
    lines = [_SPACED_FIGURE_RE.sub(_unspace, line.strip()) for line in text.splitlines()]
    # Spaces between CJK characters in a cell are layout: distributed alignment
    # (`指　　标`) or pdfplumber's gap-based word breaks.
    return _CJK_SPACE_RE.sub("", join_lines(lines))


def _unspace(match: re.Match) -> str:
    return match.group(0).replace(" ", "")
