"""Office documents in zip packages: Word (.docx, python-docx), PowerPoint
(.pptx) and OFD, the national fixed-layout format (GB/T 33190). Archives are
checked for zip bombs before anything is inflated. Word 97 .doc is in doc.py."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import DocumentError
from .archive import check_zip_bounds
from .base import LoadedText, LoadOptions
from .sheets import format_number

def _read_package(path: Path, options: LoadOptions, kind: str, read) -> LoadedText:
    """A zip-packaged format, bounds checked first. A damaged package fails deep
    inside zipfile, zlib, lxml or the format's library (BadZipFile, zlib.error,
    XMLSyntaxError, KeyError, ...): whichever it is, this file cannot be read,
    and indexing must go on with the others."""
    check_zip_bounds(path, options.max_bytes, kind=f".{kind}")
    try:
        return LoadedText.of(read(path), kind)
    except Exception as exc:
        raise DocumentError(path, f"unreadable .{kind}: {type(exc).__name__}: {exc}") from exc


def load_docx(path: Path, options: LoadOptions) -> LoadedText:
    return _read_package(path, options, "docx", _docx_text)


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


# ------------------------------------------------------------- PowerPoint (.pptx)

# The heading of each slide. A slide is a section of its own, so no chunk mixes
# two slides and each citation names its slide.
SLIDE_HEADING = "## 第{number}页"
# Header of a chart's category column when its axis has no title ("category").
CHART_CATEGORY_LABEL = "类别"


def load_pptx(path: Path, options: LoadOptions) -> LoadedText:
    return _read_package(path, options, "pptx", _pptx_text)


def _pptx_text(path: Path) -> str:
    import pptx

    deck = pptx.Presentation(str(path))
    slides = []
    for number, slide in enumerate(deck.slides, start=1):
        title_shape = slide.shapes.title
        title = _one_line(title_shape.text_frame.text) if title_shape is not None else ""
        # By id: python-pptx makes a new proxy object on every access.
        title_id = title_shape.shape_id if title_shape is not None else None
        shapes = [s for s in _reading_order(slide.shapes) if s.shape_id != title_id]
        body = [block for shape in shapes for block in _shape_blocks(shape)]
        slides.append((number, title, body))
    if not any(title or body for _, title, body in slides):
        return ""
    # The deck's title heads the text, so that the first slide is a section like
    # the others and not taken for the document title.
    deck_title = next((t for _, t, _ in slides if t), "") or _one_line(deck.core_properties.title or "") or path.stem
    out = [f"# {deck_title}"]
    for number, title, body in slides:
        out.append(SLIDE_HEADING.format(number=number) + (f" {title}" if title else ""))
        out.extend(body)
    return "\n\n".join(out)


def _reading_order(shapes) -> list:
    """Top to bottom, then left to right: the order the XML lists shapes in is
    their stacking order, which says nothing about where they stand."""
    return sorted(shapes, key=lambda s: (s.top or 0, s.left or 0))


def _shape_blocks(shape) -> list[str]:
    from pptx.shapes.group import GroupShape

    if isinstance(shape, GroupShape):
        return [b for inner in _reading_order(shape.shapes) for b in _shape_blocks(inner)]
    if getattr(shape, "has_table", False):
        rows = ["\t".join(_one_line(cell.text) for cell in row.cells) for row in shape.table.rows]
        return ["\n".join(rows)]
    if getattr(shape, "has_chart", False):
        try:
            return _chart_blocks(shape.chart)
        except Exception:  # an odd chart (scatter, broken data cache) loses its table, not the deck
            return []
    if getattr(shape, "has_text_frame", False):
        # python-pptx gives a line break inside a paragraph as "\v".
        lines = (p.text.replace("\v", "\n").strip() for p in shape.text_frame.paragraphs)
        text = "\n".join(line for line in lines if line)
        return [text] if text else []
    return []


def _chart_blocks(chart) -> list[str]:
    """A chart's figures as a table: a caption line, then categories by series."""
    title = _one_line(chart.chart_title.text_frame.text) if chart.has_title else ""
    blocks = [title] if title else []
    for plot in chart.plots:
        series = list(plot.series)
        header = "\t".join([_category_label(chart), *(_one_line(s.name or "") for s in series)])
        rows = [header]
        for i, category in enumerate(plot.categories):
            values = [s.values[i] if i < len(s.values) else None for s in series]
            rows.append("\t".join([_one_line(str(category)), *(_number(v) for v in values)]))
        blocks.append("\n".join(rows))
    return blocks


def _category_label(chart) -> str:
    """The header of the category column: the axis title, else a word for it
    (an empty first cell would be stripped from the row as whitespace)."""
    try:
        axis = chart.category_axis
        label = _one_line(axis.axis_title.text_frame.text) if axis.has_title else ""
    except (ValueError, AttributeError):  # pie and doughnut charts have no category axis
        label = ""
    return label or CHART_CATEGORY_LABEL


def _number(value) -> str:
    """As a spreadsheet shows it: no binary noise."""
    return "" if value is None else format_number(value)


def _one_line(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


# --------------------------------------------------------------------- OFD (.ofd)

def load_ofd(path: Path, options: LoadOptions) -> LoadedText:
    check_zip_bounds(path, options.max_bytes, kind=".ofd")
    import ofdkit

    try:
        with ofdkit.open(path) as document:
            if len(document.pages) > options.max_pages:
                raise DocumentError(path, f".ofd has {len(document.pages)} pages (limit {options.max_pages}); refusing it")
            # ofdkit rebuilds lines and paragraphs from the glyph positions; pages
            # are separated by blank lines like paragraphs.
            text = document.text("\n\n")
            warnings = list(document.warnings)
    except DocumentError:
        raise
    except ofdkit.OFDError as exc:
        raise DocumentError(path, f"unreadable .ofd: {exc}") from exc
    except Exception as exc:
        raise DocumentError(path, f"unreadable .ofd: {type(exc).__name__}: {exc}") from exc
    loaded = LoadedText.of(text, "ofd")
    loaded.warnings.extend(f"OFD: {w}" for w in warnings)
    return loaded
