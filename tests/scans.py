"""Scanned-page fixtures: Chinese report pages drawn with Pillow and the
WenQuanYi Zen Hei font (Debian fonts-wqy-zenhei) at 200 dpi A4, saved as a PNG
and as an image-only PDF (no text layer: what a scanner produces)."""

from __future__ import annotations

from pathlib import Path

FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
A4_200DPI = (1654, 2339)

# A fictional report: none of its figures occurs in the seed corpus, so an
# answer quoting them can only come from the OCR'd page.
REPORT = [
    "2025年数字政务发展报告",
    "一、总体情况",
    "2025年，全市政务服务事项网上可办率达到96.4%，累计办件量3187万件。",
    "全市建成政务服务中心412个，平均办理时长压缩至2.3个工作日。",
    "二、主要措施",
    "推行一网通办，上线高频事项清单286项，企业开办时间缩短到0.5天。",
]
FIGURES = ["2025", "96.4%", "3187万件", "412个", "2.3个", "286项", "0.5天"]


def render_page(lines: list[str], size=A4_200DPI, font_px: int = 40):
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, font_px)
    y = 200
    for line in lines:
        draw.text((150, y), line, font=font, fill=0)
        y += int(font_px * 2.2)
    return page


def write_scans(folder: Path, lines: list[str] = REPORT, stem: str = "scan") -> tuple[Path, Path]:
    """The page as `<stem>.png` and as an image-only `<stem>-pdf.pdf` (distinct
    stems: a document's id is its file stem)."""
    folder.mkdir(parents=True, exist_ok=True)
    page = render_page(lines)
    png, pdf = folder / f"{stem}.png", folder / f"{stem}-pdf.pdf"
    page.save(png)
    page.save(pdf, resolution=200)
    return png, pdf
