"""`assistant serve`: one FastAPI application with the JSON API under /v1,
OpenAI-compatible chat (/v1/chat/completions, /v1/models), OpenAPI docs at
/docs and, in a single-process server, the chat UI at /.

Several worker processes (uvicorn --workers) serve one index directory: each
loads it memory-mapped, notices a newly swapped index on its next request, and
uploads from any worker queue on the index's build lock."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from fastapi import APIRouter, FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException

from ..answer import Answer, Preview
from ..config import Config
from ..errors import (AssistantError, ConfigError, DocumentError, ModelError, QuestionError, UnsupportedUploadType,
                      UploadTooLarge)
from ..pipeline import retriever_label
from ..service import check_size, check_type, upload_extension
from . import schemas
from .auth import Credentials, Exposure
from .docs import local_docs
from .guard import MAX_FILES_PER_REQUEST, Guard, Policy
from .openai_api import openai_routes
from .runtime import ApiError, NotReady, ServiceHolder

# Multipart framing around the files of one upload (boundaries, part headers).
MULTIPART_OVERHEAD = 1 << 20
# What `assistant serve` hands each worker process (uvicorn starts workers from
# an import string, so the options travel in the environment).
OPTIONS_ENV = "ASSISTANT_SERVE_OPTIONS"


def create_app(config: Config, corpus=None, index_path=None, credentials: Credentials | None = None,
               exposure: Exposure | None = None, ui: bool = True, update: bool = True) -> FastAPI:
    """The application. With `ui`, the index is prepared before the app is
    returned (the UI is built from it); without, it is prepared in the
    background and the API answers 503 until it is ready. `credentials` protect
    the API and the UI alike; `exposure` names the Host and Origin values the
    server answers (loopback names by default)."""
    credentials = credentials or Credentials()
    holder = ServiceHolder(config, corpus, index_path, update=update)
    holder.start(wait=ui)
    app = FastAPI(title="assistant", version="0.1.0", docs_url=None, redoc_url=None,
                  description="Questions answered from your documents, every fact cited.")
    app.state.holder = holder
    app.router.on_shutdown.append(holder.close)  # a loaded GGUF is released
    max_upload = config.max_file_bytes * MAX_FILES_PER_REQUEST + MULTIPART_OVERHEAD
    app.add_middleware(Guard, policy=Policy(exposure or Exposure("127.0.0.1"), credentials, max_upload))
    _errors(app)
    local_docs(app)
    app.include_router(_api_routes(holder), prefix="/v1")
    app.include_router(openai_routes(holder), prefix="/v1")
    @app.api_route("/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def unknown(rest: str):
        # Before the UI's mount at /, which would answer unknown API paths in its own format.
        raise ApiError(404, f"no API route /v1/{rest}; see /docs")

    if ui:
        from ..ui.app import mount

        mount(app, holder.get(), credentials.login if credentials.required else None)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for uvicorn workers: options from OPTIONS_ENV (set by `assistant serve`)."""
    options = json.loads(os.environ[OPTIONS_ENV])
    config = Config.from_dict(options.pop("config"))
    credentials = Credentials.from_dict(options.pop("credentials"))
    exposure = Exposure(**options.pop("exposure"))
    return create_app(config, credentials=credentials, exposure=exposure, **options)


# -------------------------------------------------------------------- errors


def _errors(app: FastAPI) -> None:
    def body(status: int, message: str, field: str | None = None) -> JSONResponse:
        return JSONResponse({"error": message, "field": field}, status_code=status)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError):
        return body(exc.status, exc.message, exc.field)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        if first.get("type") == "json_invalid":
            return body(400, "the request body is not valid JSON")
        loc = list(first.get("loc", []))
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:]  # where the field is, not part of its name
        field = ".".join(str(p) for p in loc) or None
        return body(400, f"{field or 'request'}: {first.get('msg', 'invalid request')}", field)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return body(exc.status_code, str(exc.detail))

    @app.exception_handler(NotReady)
    async def not_ready(request: Request, exc: NotReady):
        response = body(503, str(exc))
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(AssistantError)
    async def assistant_error(request: Request, exc: AssistantError):
        status = 400 if isinstance(exc, (QuestionError, ConfigError, DocumentError)) else 500
        if isinstance(exc, ModelError):
            status = 503
        return body(status, str(exc))


# ---------------------------------------------------------------- /v1 routes


# What every /v1 route may answer besides its own result (the OpenAPI page lists them).
ERROR_RESPONSES = {status: {"model": schemas.ErrorBody, "description": text} for status, text in (
    (400, "bad input; `field` names it"), (401, "missing or wrong API key"),
    (403, "a Host this server does not answer, or a request from another site (Origin)"),
    (413, "request body over its limit"), (429, "too many failed keys from this client (Retry-After)"),
    (503, "the index is being built for the first time (Retry-After)"))}


def _api_routes(holder: ServiceHolder) -> APIRouter:
    router = APIRouter(responses=ERROR_RESPONSES)
    _service_routes(router, holder)
    _answer_routes(router, holder)
    _document_routes(router, holder)
    return router


def _service_routes(router: APIRouter, holder: ServiceHolder) -> None:
    @router.get("/health", response_model=schemas.Health, tags=["service"])
    def health():
        """Liveness, the index generation and counts, the active retriever and answerer."""
        service = holder.get()  # NotReady: 503 with Retry-After
        index = service.current()
        assistant = service.assistant()
        generation = service.generation()
        return schemas.Health(
            status="ok", pid=os.getpid(), generation="-".join(map(str, generation)) if generation else None,
            documents=len(index.documents), chunks=len(index.chunks),
            retriever=assistant.mode["retriever"], answerer=assistant.mode["answerer"],
            answerers=service.available_answerers(),
        )


def _answer_routes(router: APIRouter, holder: ServiceHolder) -> None:
    @router.post("/search", response_model=schemas.SearchResponse, tags=["answers"])
    def search(request: schemas.SearchRequest):
        """Ranked passages for a query, each with its document, section path and date."""
        index = holder.get().current()
        hits = index.search(request.query, request.k)
        passages = [schemas.Passage(
            rank=h.rank, doc_id=h.chunk.doc_id, chunk_id=h.chunk.chunk_id, title=h.chunk.title,
            section_path=h.chunk.section_path, year=h.chunk.year, date=h.chunk.date, quote=h.chunk.quote,
            score=round(float(h.score), 6), bm25=h.bm25, dense=h.dense, ocr=h.chunk.ocr) for h in hits]
        return schemas.SearchResponse(query=request.query, retriever=retriever_label(index), passages=passages)

    @router.post("/ask", tags=["answers"], responses={200: {"description": "Answer.to_dict(), or an SSE stream"}})
    def ask(request: schemas.AskRequest):
        """An answer with its citations. With `stream`, Server-Sent Events:
        `delta` events carry text as it is produced, then one `answer` event
        carries the final answer, which replaces the deltas (a model's text
        that fails the checks is replaced by the extractive answer)."""
        assistant = _assistant(holder, request.answerer, request.k)
        limit = assistant.config.max_question_chars
        if len(request.question) > limit:  # before a stream starts: a 400, not an error event
            raise ApiError(400, f"question: {len(request.question)} characters; the limit is {limit} "
                                "(setting max_question_chars)", "question")
        history = [m.model_dump() for m in request.history or []]
        if not request.stream:
            return JSONResponse(assistant.ask(request.question, history).to_dict())
        return StreamingResponse(_sse(assistant.stream(request.question, history)), media_type="text/event-stream")


def _document_routes(router: APIRouter, holder: ServiceHolder) -> None:
    @router.get("/documents", response_model=list[schemas.DocumentInfo], tags=["documents"])
    def documents():
        rows = holder.get().documents()
        return [schemas.DocumentInfo(doc_id=r[0], title=r[1], year=r[2] or None, chunks=r[3]) for r in rows]

    @router.post("/documents", response_model=list[schemas.UploadResult], tags=["documents"])
    def upload(files: list[UploadFile] = File(..., description="one or more documents")):
        """Store and index uploads (same limits, name rules and no-overwrite rule as the UI)."""
        service = holder.get()
        with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
            return service.add_files(_receive(files, Path(tmp), service.config.max_file_bytes))

    @router.delete("/documents/{doc_id}", tags=["documents"])
    def remove(doc_id: str):
        """Take a document out of the index; its file moves to <corpus>/.removed/."""
        service = holder.get()
        if doc_id not in service.current().documents:
            raise ApiError(404, f"no document {doc_id!r} in the index", "doc_id")
        return {"doc_id": doc_id, "message": service.remove_document(doc_id)}


def _assistant(holder: ServiceHolder, answerer: str | None, k: int | None):
    service = holder.get()
    if answerer is not None and answerer not in service.available_answerers():
        raise ApiError(400, f"answerer {answerer!r} is not available here; available: "
                            f"{', '.join(service.available_answerers())}", "answerer")
    return service.assistant(answerer, k)


def _receive(files: list[UploadFile], folder: Path, limit: int) -> list[tuple[Path, str]]:
    """Each upload copied into `folder`, as (path, name as sent). The upload
    rules' type and size checks (the service applies them again when it stores
    the files) run here first, so that the API can answer with a status and
    fail the whole request: a type no loader reads is a 415 before the file is
    copied, a file over the limit a 413 as soon as the copy passes it."""
    pairs = []
    for i, item in enumerate(files):
        name = item.filename or "upload"
        ext = upload_extension(name)
        try:
            check_type(name, ext)
            target = folder / f"{i}{ext}"
            check_size(name, _save(item, target, limit), limit)
        except UnsupportedUploadType as exc:
            raise ApiError(415, str(exc), "files") from exc
        except UploadTooLarge as exc:
            raise ApiError(413, str(exc), "files") from exc
        pairs.append((target, name))
    return pairs


def _save(item: UploadFile, target: Path, limit: int) -> int:
    """Copy an upload to disk, stopping one byte past the limit."""
    size = 0
    with open(target, "wb") as out:
        while block := item.file.read(1 << 20):
            size += len(block)
            if size > limit:
                break
            out.write(block)
    return size


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _sse(stream):
    try:
        for piece in stream:
            if isinstance(piece, Answer):
                yield sse("answer", piece.to_dict())
            elif isinstance(piece, Preview):
                yield sse("preview", piece.to_dict())
            else:
                yield sse("delta", {"text": piece})
    except AssistantError as exc:
        yield sse("error", {"error": str(exc)})
