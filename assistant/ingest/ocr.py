"""Text from page images: RapidOCR with the PP-OCRv4 Chinese models bundled in
its wheel (nothing is downloaded), for scanned PDF pages and image files.

Results are cached by page content hash, so a page is recognised once however
often it is re-indexed. Figures are never corrected: a digit run that does not
look like a number (`2O24`, `78..2`, or read with low confidence) is kept as read
and listed as suspect, and the citation shows it."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

from ..errors import DocumentError
from ..hashing import sha256_of
from .base import LoadedText, LoadOptions, Part

# Rendering resolution for PDF pages. 200 dpi gave 97-99 % character accuracy on
# A4 pages (issue #14) and its long side (2,339 px) is near RapidOCR's own
# max_side_len of 2,000, so more dpi buys nothing but time.
OCR_DPI = 200
# How far RapidOCR grows each detected text region before recognising it
# (its default 1.6). Tight boxes on dense Chinese pages dropped whole lines and
# clipped glyphs: on 8 dense seed-text pages 2.0 took character accuracy from
# 0.949 to 0.966 and exact figures from 186 to 189 of 191, and on 6 pages of two
# other seed reports (held out) from 0.975 to 0.983 and 112 to 114 of 114.
UNCLIP_RATIO = 2.0
# Lines are recognised with a confidence in [0, 1]; figures in a line below this
# are suspect. Clean renderings score >= 0.95 (tests/test_ocr.py), and RapidOCR
# drops lines under 0.5 itself.
LOW_CONFIDENCE = 0.8
# Two boxes on one line further apart than this many line heights are separate
# cells (a table or form), joined by a tab so the chunker sees a table row.
CELL_GAP = 1.5
# A line ending within this many line heights of the right margin is wrapped
# text that continues on the next line (justified Chinese ends within one).
WRAP_MARGIN = 2.0


@dataclass
class OcrStats:
    """Pages recognised and taken from the cache in this process (tests, reports)."""

    recognised: int = 0
    cached: int = 0


STATS = OcrStats()
# Called as (file, pages done, pages to do) after each recognised page; the
# indexer sets it so the build shows a per-page progress bar.
_progress: Callable[[str, int, int], None] | None = None


def set_progress(callback: Callable[[str, int, int], None] | None) -> None:
    global _progress
    _progress = callback


def report_page(path: Path, done: int, total: int) -> None:
    if _progress is not None:
        _progress(str(path), done, total)


@dataclass
class PageText:
    text: str
    suspect: list[str] = field(default_factory=list)


# ----------------------------------------------------------------- the engine


_override = None


def use_engine(engine) -> None:
    """Recognise with `engine` (called with a BGR array, returning RapidOCR's
    (boxes, timings)) instead of RapidOCR; None restores it. For scripted tests."""
    global _override
    _override = engine


@lru_cache(maxsize=2)
def _engine(threads: int):
    # onnxruntime reports usage to mobile.events.data.microsoft.com unless told
    # not to; the switch must be set before the library is first imported.
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    try:
        import onnxruntime
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as exc:
        raise ImportError(
            "OCR needs rapidocr-onnxruntime: pip install 'rapidocr-onnxruntime==1.4.4'"
        ) from exc
    onnxruntime.disable_telemetry_events()
    kwargs = {"intra_op_num_threads": threads} if threads > 0 else {}
    return RapidOCR(**kwargs)


@lru_cache(maxsize=1)
def engine_version() -> str:  # part of every page's cache key: read once
    from importlib.metadata import version

    return f"rapidocr-onnxruntime {version('rapidocr-onnxruntime')}"


def recognise(image, options: LoadOptions) -> PageText:
    """Text of one page image (a PIL image). The engine's boxes are cached by
    page content hash, so a page seen before is not recognised again."""
    rgb = image.convert("RGB")
    key = _page_key(rgb)
    boxes = _cache_get(options.ocr_cache, key)
    if boxes is None:
        import numpy as np

        engine = _override or _engine(options.ocr_threads)
        bgr = np.asarray(rgb)[:, :, ::-1]  # RapidOCR wants BGR
        result, _ = engine(bgr, unclip_ratio=UNCLIP_RATIO)
        boxes = [[[[float(x), float(y)] for x, y in corners], text, float(score)]
                 for corners, text, score in result or []]
        boxes += recover_missed_lines(engine, bgr, boxes)
        STATS.recognised += 1
        _cache_put(options.ocr_cache, key, boxes)
    else:
        STATS.cached += 1
    return assemble(boxes)


def _page_key(rgb) -> str:
    settings = f"{engine_version()}|{OCR_DPI}|{UNCLIP_RATIO}|{RECOVERY_VERSION}|{rgb.size}".encode()
    return sha256_of((settings, rgb.tobytes()))


def _cache_get(folder: str | None, key: str) -> list | None:
    if not folder:
        return None
    try:
        boxes = json.loads((Path(folder) / key[:2] / f"{key}.json").read_text(encoding="utf-8"))
        return boxes if isinstance(boxes, list) else None
    except (OSError, ValueError):
        return None  # missing or damaged: recognise again


def _cache_put(folder: str | None, key: str, boxes: list) -> None:
    if not folder:
        return
    target = Path(folder) / key[:2] / f"{key}.json"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(boxes, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, target)  # readers never see half a file
    except OSError:
        pass  # a read-only cache folder costs time, not correctness


# ------------------------------------------------------- boxes to lines of text


def _group_lines(result: list) -> list[list[tuple]]:
    """Boxes as (top, bottom, left, right, text, confidence), grouped into lines:
    boxes whose vertical centres are within half a line height, top to bottom."""
    boxes = []
    for corners, text, score in result:
        ys = [p[1] for p in corners]
        xs = [p[0] for p in corners]
        boxes.append((min(ys), max(ys), min(xs), max(xs), text, float(score)))
    boxes.sort(key=lambda b: (b[0] + b[1]) / 2)
    lines: list[list[tuple]] = []
    for box in boxes:
        centre, height = (box[0] + box[1]) / 2, box[1] - box[0]
        if lines:
            last = lines[-1][-1]
            if abs(centre - (last[0] + last[1]) / 2) < 0.5 * max(height, last[1] - last[0]):
                lines[-1].append(box)
                continue
        lines.append([box])
    return lines


def assemble(result: list) -> PageText:
    """RapidOCR's boxes ([corners, text, confidence]) as text in reading order.
    A line that runs to the right margin wraps into the next (one paragraph), a
    shorter one ends its paragraph, as a blank line, like a text file."""
    lines = _group_lines(result)
    boxes = [b for line in lines for b in line]
    right_margin = max((b[3] for b in boxes), default=0)
    out, suspect = "", []
    for line in lines:
        line.sort(key=lambda b: b[2])
        text = _join_line(line)
        height = max(max(b[1] - b[0] for b in line), 1)
        # A line ending a sentence ends its paragraph too: the next may be a heading.
        wraps = ("\t" not in text and text[-1:] not in _SENTENCE_END
                 and line[-1][3] >= right_margin - WRAP_MARGIN * height)
        if out[-1:].isascii() and out[-1:].isalnum() and _starts_word(text):
            out += " "  # an English line wrapped between two words
        out += text + ("" if wraps else "\n\n")
        low = any(b[5] < LOW_CONFIDENCE for b in line)
        suspect.extend(suspect_numbers(text, low_confidence=low))
    return PageText(out.strip(), list(dict.fromkeys(suspect)))


_SENTENCE_END = set("。！？；：!?;:")


def _starts_word(text: str) -> bool:
    return text[:1].isascii() and text[:1].isalnum()


def _join_line(line: list[tuple]) -> str:
    text = line[0][4]
    for prev, box in zip(line, line[1:]):
        gap = box[2] - prev[3]
        height = max(box[1] - box[0], 1)
        if gap > CELL_GAP * height:
            sep = "\t"
        elif text[-1:].isascii() and text[-1:].isalnum() and _starts_word(box[4]):
            sep = " "
        else:
            sep = ""
        text += sep + box[4]
    return text


# Letters OCR confuses with digits (O/o for 0, I/l/| for 1) in a run of digits
# that is not part of a word (PM2.5, 5G, COVID-19 are words and are not flagged).
_RUN_RE = re.compile(r"(?<![A-Za-z])[0-9OoIl|][0-9OoIl|.,]*%?(?![A-Za-z])")
_CONFUSABLE = set("OoIl|")
_DOUBLE_MARK_RE = re.compile(r"\d+(?:[.,]{2,}|[.,]\s+)\d+(?:\.\d+)?%?")
_FIGURE_RE = re.compile(r"\d[\d,.]*%?")


def suspect_numbers(text: str, low_confidence: bool = False) -> list[str]:
    """Digit runs that do not read as numbers; every figure in a line read with
    low confidence."""
    found = [m.group(0) for m in _RUN_RE.finditer(text)
             if any(c.isdigit() for c in m.group(0)) and _CONFUSABLE & set(m.group(0))]
    found += [m.group(0) for m in _DOUBLE_MARK_RE.finditer(text)]
    if low_confidence:
        found += [m.group(0) for m in _FIGURE_RE.finditer(text)]
    return list(dict.fromkeys(found))


# ------------------------------------------------------------ missed lines

# PP-OCR's detector sometimes misses one line of a dense page outright (about
# one line in 22 on the OCR benchmark's pages, at any unclip ratio): a gap of a
# whole line pitch between two lines. The strip where the line should be is read
# by the recogniser alone, which reads it at 0.99 confidence; a gap without ink
# (a paragraph break) is left alone. Bumped when this changes cached results.
RECOVERY_VERSION = 1
# Share of dark pixels above which a strip holds text (a printed line has 5-20 %).
MIN_INK = 0.01
# Recognised text below this confidence is dropped (RapidOCR's own text_score).
MIN_SCORE = 0.5


def recover_missed_lines(engine, bgr, result: list) -> list:
    """Boxes for lines the detector skipped, read from the gaps they left."""
    import statistics

    lines = _group_lines(result)
    if len(lines) < 3:
        return []
    spans = [(min(b[0] for b in line), max(b[1] for b in line)) for line in lines]
    centres = [(top + bottom) / 2 for top, bottom in spans]
    height = statistics.median(bottom - top for top, bottom in spans)
    pitch = statistics.median(b - a for a, b in zip(centres, centres[1:]))
    if pitch < height:
        return []
    left = max(0, int(min(b[2] for line in lines for b in line)))
    right = int(max(b[3] for line in lines for b in line))
    found = []
    for (top_a, bottom_a), (top_b, _), a, b in zip(spans, spans[1:], centres, centres[1:]):
        missing = round((b - a) / pitch) - 1
        if missing < 1 or top_b - bottom_a < height:
            continue
        for i in range(1, missing + 1):
            centre = a + i * (b - a) / (missing + 1)
            y0, y1 = max(0, int(centre - 0.9 * height)), int(centre + 0.9 * height)
            strip = bgr[y0:y1, left:right]
            if strip.size == 0 or (strip.mean(axis=2) < 128).mean() < MIN_INK:
                continue
            read, _ = engine(strip, use_det=False, use_cls=False, use_rec=True)
            if read and read[0][0].strip() and float(read[0][1]) >= MIN_SCORE:
                corners = [[left, y0], [right, y0], [right, y1], [left, y1]]
                found.append([corners, read[0][0], float(read[0][1])])
    return found


# ------------------------------------------------------------------ image files


def open_image(path: Path, options: LoadOptions):
    """The image at `path`, its size checked against the pixel limit before any
    pixel is decoded (Image.open reads only the header)."""
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = None  # our own limit below, with a clearer message
    try:
        image = Image.open(path)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DocumentError(path, f"unreadable image: {exc}") from exc
    width, height = image.size
    if width * height > options.max_pixels:
        raise DocumentError(
            path, f"image too large to OCR: {width}x{height} = {width * height / 1e6:.0f} MP "
            f"(limit {options.max_pixels / 1e6:.0f} MP, setting max_pixels)"
        )
    return image


def load_image(path: Path, options: LoadOptions) -> LoadedText:
    """A photographed or scanned page (PNG, JPEG, TIFF; every frame of a
    multi-page TIFF), read by OCR."""
    if not options.ocr:
        raise DocumentError(path, "image file and OCR is off (setting ocr = false)")
    image = open_image(path, options)
    frames = getattr(image, "n_frames", 1)
    pages = min(frames, options.ocr_max_pages)
    loaded = LoadedText([], "image")
    try:
        for i in range(pages):
            image.seek(i)
            page = recognise(image, options)
            loaded.parts.append(Part(page.text, ocr=True, suspect=page.suspect))
            report_page(path, i + 1, pages)
    except DocumentError:
        raise
    except Exception as exc:  # truncated or damaged image data fails while decoding
        raise DocumentError(path, f"unreadable image: {type(exc).__name__}: {exc}") from exc
    if frames > pages:
        loaded.warnings.append(f"OCR stopped at {pages} of {frames} pages (setting ocr_max_pages)")
    if not loaded.text.strip():
        raise DocumentError(path, "no text found by OCR")
    return loaded
