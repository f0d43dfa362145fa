"""The OpenAI chat protocol, so chat clients and the official `openai` library
can use the assistant as if it were a model named "assistant".

The reply text is the answer with its `[n]` markers and a source list; the
structured citations travel in an extra `citations` field that OpenAI clients
ignore. Streaming sends only checked text: the final answer, in pieces (an LLM
draft that fails the checks is never sent, as a client cannot take text back)."""

from __future__ import annotations

import json
import time
import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse

from ..answer import Answer
from ..errors import AssistantError
from . import schemas
from .runtime import ApiError

MODEL_NAME = "assistant"
# Characters per streamed piece of the checked answer: small enough to render
# progressively, large enough not to flood the client with events.
STREAM_PIECE_CHARS = 24


def reply_text(answer: Answer) -> str:
    """The answer followed by its numbered sources, as a chat client shows it."""
    if not answer.citations:
        return answer.text
    lines = [answer.text, "", "来源 Sources:"]
    for c in answer.citations:
        when = f" ({c.date or c.year})" if (c.date or c.year) else ""
        ocr = f" [{c.ocr_mark}]" if c.ocr else ""
        lines.append(f"[{c.number}] {c.section_path}{when} · {c.doc_id}{ocr}")
    return "\n".join(lines)


def openai_routes(holder) -> APIRouter:
    router = APIRouter(tags=["OpenAI-compatible"])

    @router.get("/models")
    def models():
        return {"object": "list", "data": [
            {"id": MODEL_NAME, "object": "model", "created": 0, "owned_by": "assistant"}]}

    @router.post("/chat/completions")
    def chat(request: schemas.ChatRequest):

        if request.model != MODEL_NAME:
            raise ApiError(404, f"model {request.model!r} not found; the model is {MODEL_NAME!r}", "model")
        question, history = _split(request.messages)
        service = holder.get()
        if len(question) > service.config.max_question_chars:
            raise ApiError(400, f"messages: the last user message is {len(question)} characters; the limit "
                                f"is {service.config.max_question_chars}", "messages")
        assistant = service.assistant()
        ident, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        if not request.stream:
            answer = assistant.ask(question, history)
            return JSONResponse({
                "id": ident, "object": "chat.completion", "created": created, "model": MODEL_NAME,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": reply_text(answer)}}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "citations": [c.to_dict() for c in answer.citations],
                "abstained": answer.abstained,
            })
        return StreamingResponse(_stream(assistant, question, history, ident, created), media_type="text/event-stream")

    return router


def _split(messages: list[schemas.Message]) -> tuple[str, list[dict]]:

    users = [i for i, m in enumerate(messages) if m.role == "user"]
    if not users or not messages[users[-1]].content.strip():
        raise ApiError(400, "messages: no user message with a question", "messages")
    last = users[-1]
    history = [m.model_dump() for m in messages[:last] if m.role in ("user", "assistant")]
    return messages[last].content, history


def _chunk(ident: str, created: int, delta: dict, finish: str | None = None, **extra) -> str:
    body = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": MODEL_NAME,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def _stream(assistant, question: str, history: list[dict], ident: str, created: int):
    yield _chunk(ident, created, {"role": "assistant", "content": ""})
    try:
        answer = assistant.ask(question, history)
    except AssistantError as exc:
        yield _chunk(ident, created, {"content": f"错误 Error: {exc}"}, "stop")
        yield "data: [DONE]\n\n"
        return
    text = reply_text(answer)
    for i in range(0, len(text), STREAM_PIECE_CHARS):
        yield _chunk(ident, created, {"content": text[i:i + STREAM_PIECE_CHARS]})
    yield _chunk(ident, created, {}, "stop", citations=[c.to_dict() for c in answer.citations])
    yield "data: [DONE]\n\n"
