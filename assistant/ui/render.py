"""HTML and Markdown for answers, source cards and the status line. Pure
functions of an `Answer`, so they are tested without a browser."""

from __future__ import annotations

import html
import re

from ..answer import Answer

_MARKER_RE = re.compile(r"\[(\d{1,3})\]")


def answer_markdown(answer: Answer) -> str:
    """The chat message: citation markers link to their source card, unverified
    numbers and abstentions are visibly different."""
    text = html.escape(answer.text, quote=False)
    blocks: list[str] = []  # lines, and each run of "- " points as one <ul>
    for line in text.split("\n"):
        if line.startswith("⚠"):
            blocks.append(f'<span class="unverified">{line}</span>')
            continue
        line = _MARKER_RE.sub(lambda m: f'<a href="#src-{m.group(1)}" class="cite">[{m.group(1)}]</a>', line)
        if line.startswith("- "):
            item = f"<li>{line[2:]}</li>"
            if blocks and blocks[-1].startswith("<ul>"):
                blocks[-1] = blocks[-1][:-5] + item + "</ul>"
            else:
                blocks.append(f"<ul>{item}</ul>")
        else:
            blocks.append(line)
    body = "".join(b if b.startswith("<ul>") or k == 0 or blocks[k - 1].startswith("<ul>") else f"<br>{b}"
                   for k, b in enumerate(blocks))
    if answer.abstained:
        return f'<div class="abstained">{body}</div>'
    return body


# Under the extractive answer while the model writes (ui/app.py).
DRAFTING = '<div class="drafting">⏳ 模型正在作答，核对后替换上面的答案 · the model is writing; its answer replaces this one once checked</div>'


def draft_markdown(text: str) -> str:
    """The model's text as it streams: unchecked, so shown apart and escaped."""
    return f'<div class="draft">{html.escape(text)}</div>'


def _when(citation) -> str:
    parts = []
    if citation.year:
        parts.append(f"{citation.year}年")
    if citation.date:
        parts.append(citation.date)
    return " · ".join(parts)


def source_cards(answer: Answer | None) -> str:
    if answer is None or not answer.citations:
        note = "" if answer is None else "（本回答没有引用来源 No sources cited）"
        return f'<div class="src-empty">{note}</div>'
    cards = []
    for c in answer.citations:
        quote = c.quote
        if c.span:
            a, b = c.span
            body = (
                html.escape(quote[:a]) + "<mark>" + html.escape(quote[a:b]) + "</mark>" + html.escape(quote[b:])
            )
        else:
            body = html.escape(quote)
        body = body.replace("\t", " │ ").replace("\n", "<br>")
        ocr = f'<span class="src-ocr" title="从图像识别 read from an image by OCR">{html.escape(c.ocr_mark)}</span>' if c.ocr else ""
        cards.append(
            f'<div class="src-card" id="src-{c.number}">'
            f'<div class="src-head"><span class="src-n">[{c.number}]</span> {html.escape(c.title)}{ocr}</div>'
            f'<div class="src-path">{html.escape(c.section_path)}</div>'
            f'<div class="src-meta">{html.escape(_when(c))} · {html.escape(c.doc_id)}</div>'
            f'<div class="src-quote">{body}</div></div>'
        )
    return '<div class="src-list">' + "".join(cards) + "</div>"


def status_line(mode: dict, answer: Answer | None = None, notices: list[str] | None = None) -> str:
    parts = [f"检索 Retrieval: {mode['retriever']}", f"回答 Answerer: {mode['answerer']}"]
    if answer is not None:
        parts.append(f"用时 Time: {answer.timings.get('total_ms', 0):.0f} ms")
        if answer.resolved_question:
            parts.append(f"理解为 Resolved as: {answer.resolved_question}")
    line = " · ".join(parts)
    for notice in notices or []:
        line += f"\n\n注意 Note: {notice}"
    return line


CSS = """
.src-card {border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 10px; margin-bottom: 8px; background: #fff;}
.src-card:target {border-color: #0969da; box-shadow: 0 0 0 2px #0969da33;}
.src-head {font-weight: 600;}
.src-n {color: #0969da;}
.src-ocr {margin-left: 6px; font-size: 0.75em; font-weight: 600; color: #9a6700; background: #fff8c5;
  border: 1px solid #d4a72c; border-radius: 4px; padding: 0 4px;}
.src-path {font-size: 0.85em; color: #57606a; margin: 2px 0;}
.src-meta {font-size: 0.8em; color: #8c959f; margin-bottom: 4px;}
.src-quote {font-size: 0.9em; line-height: 1.5; max-height: 14em; overflow-y: auto;}
.src-quote mark {background: #fff3b0; padding: 0 1px;}
.abstained {color: #57606a; font-style: italic; border-left: 3px solid #d0d7de; padding-left: 8px;}
.unverified {color: #9a6700; font-weight: 600;}
.drafting {color: #57606a; font-size: 0.9em; margin-top: 0.6em;}
.draft {color: #57606a; border-left: 3px solid #d0d7de; padding-left: 0.6em; white-space: pre-wrap;}
a.cite {text-decoration: none; font-weight: 600;}
"""
