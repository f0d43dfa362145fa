"""Request and response models of the HTTP API (shown in /docs)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=2000, examples=["2024年重庆网民规模"])
    k: int = Field(5, ge=1, le=50, description="passages to return")


class Passage(BaseModel):
    rank: int
    doc_id: str
    chunk_id: str
    title: str
    section_path: str
    year: int | None
    date: str | None
    quote: str = Field(description="the passage as users are shown it, original script")
    score: float
    bm25: float | None = None
    dense: float | None = None
    ocr: bool = False


class SearchResponse(BaseModel):
    query: str
    retriever: str
    passages: list[Passage]


class AskRequest(BaseModel):
    question: str = Field(min_length=1, examples=["2024年重庆网民规模是多少？"])
    history: list[Message] | None = Field(None, description="earlier turns, for follow-ups such as 那2023年呢？")
    answerer: str | None = Field(None, description="extractive | llama | openai (default: the configured one)")
    k: int | None = Field(None, ge=1, le=20, description="passages to answer from (default top_k)")
    stream: bool = Field(False, description="Server-Sent Events: `delta` pieces, then one `answer` event")

    @field_validator("question")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is blank")
        return value


class Health(BaseModel):
    status: Literal["ok"]
    pid: int = Field(description="the worker process that answered")
    generation: str | None = Field(None, description="changes whenever a new index is swapped in")
    documents: int = 0
    chunks: int = 0
    retriever: str | None = None
    answerer: str | None = None
    answerers: list[str] = []


class DocumentInfo(BaseModel):
    doc_id: str
    title: str
    year: int | None = None
    chunks: int


class UploadResult(BaseModel):
    file: str
    status: Literal["indexed", "skipped"]
    detail: str
    doc_id: str | None = None


class ErrorBody(BaseModel):
    error: str
    field: str | None = None


class ChatRequest(BaseModel):
    """OpenAI's chat completion request; fields the assistant has no use for
    (temperature, top_p, ...) are accepted and ignored."""

    model: str = "assistant"
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    model_config = {"extra": "allow"}
