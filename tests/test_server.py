"""`assistant serve` end to end: the /v1 JSON API (with SSE streaming), the
OpenAI-compatible chat through the official `openai` client, API keys on a
public bind, several workers sharing one index, /docs and the UI on the same
port. Every server is a real subprocess on a free loopback port, started
through tests/offline_cli.py (every non-loopback connection is refused and
recorded), over a copy of the seeds, lexical retrieval (no embedding model)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from .conftest import ROOT, SEEDS, free_port, wait_for_http

GUARD = str(ROOT / "tests" / "offline_cli.py")
QUESTION = "2024年重庆网民规模是多少？"
GUIZHOU_NAME = "贵州通信.md"
GUIZHOU_TEXT = "# 贵州通信发展报告(2024)\n\n2024年贵州省累计建成5G基站12.6万个，居西部前列。\n"
GUIZHOU_QUESTION = "2024年贵州省累计建成多少个5G基站？"
# max_file_mb also skips corpus files above it: the smallest limit (for the 413
# test) that still indexes every seed.
MAX_FILE_MB = round(max(p.stat().st_size for p in SEEDS.glob("*.txt")) / 2**20 + 0.01, 3)


# ------------------------------------------------------------------ servers


class Server:
    def __init__(self, root: Path, port: int, proc: subprocess.Popen):
        self.root, self.port, self.proc = root, port, proc
        self.url = f"http://127.0.0.1:{port}"
        self.api = f"{self.url}/v1"
        self.corpus = root / "corpus"

    def log(self) -> str:
        return (self.root / "server.log").read_text(encoding="utf-8", errors="replace")


def _env(root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    # Unset offline switches: the product itself must not try to go online.
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        env.pop(key, None)
    env.update({
        "ASSISTANT_CORPUS_DIR": str(root / "corpus"),
        "ASSISTANT_INDEX_ROOT": str(root / "index"),
        "ASSISTANT_MODELS_DIR": str(root / "models"),
        "BLOCKED_LOG": str(root / "blocked.log"),
        **extra,
    })
    return env


def _corpus(root: Path, copies: int = 1) -> None:
    """The seeds, optionally several times under different stems (a slower first build)."""
    target = root / "corpus"
    shutil.copytree(SEEDS, target)
    for n in range(1, copies):
        for path in SEEDS.glob("*.txt"):
            shutil.copyfile(path, target / f"{path.stem}_copy{n}.txt")


def _launch(root: Path, *args: str, env: dict | None = None) -> Server:
    port = free_port()
    log = open(root / "server.log", "w")
    proc = subprocess.Popen([sys.executable, GUARD, "serve", "--port", str(port), "--lexical", *args],
                            env=env or _env(root), cwd=root, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return Server(root, port, proc)


def _stop(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(timeout=5)


@contextmanager
def running(tmp_path_factory, name: str, *args: str, copies: int = 1, wait: bool = True,
            headers: dict | None = None, **env_extra: str):
    root = tmp_path_factory.mktemp(name)
    _corpus(root, copies)
    server = _launch(root, *args, env=_env(root, **env_extra))
    try:
        if wait:
            _wait_ready(server, headers or {})
        yield server
    finally:
        _stop(server)
    blocked = root / "blocked.log"
    assert not blocked.exists(), f"outbound connections attempted: {blocked.read_text()}"


def _wait_ready(server: Server, headers: dict, timeout: float = 90) -> None:
    if not headers:
        wait_for_http(f"{server.api}/health", server.proc, timeout, server.log)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            pytest.fail(f"server exited: {server.log()[-2000:]}")
        try:
            if httpx.get(f"{server.api}/health", headers=headers, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{server.api}/health did not answer 200 within {timeout:.0f} s: {server.log()[-2000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The default: one worker, UI at /. A small upload limit, MAX_FILE_MB (the 413 test)."""
    with running(tmp_path_factory, "serve", ASSISTANT_MAX_FILE_MB=str(MAX_FILE_MB)) as s:
        yield s


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    """A public bind (0.0.0.0, reached through 127.0.0.1) that requires an API key."""
    root_keys = tmp_path_factory.mktemp("keys") / "keys.txt"
    root_keys.write_text("# one key per line\nfile-key-456\n", encoding="utf-8")
    with running(tmp_path_factory, "keyed", "--host", "0.0.0.0", "--api-key", "secret123",
                 "--api-key-file", str(root_keys), "--no-ui",
                 headers={"Authorization": "Bearer secret123"}) as s:
        yield s


@pytest.fixture(scope="module")
def workers(tmp_path_factory):
    with running(tmp_path_factory, "workers", "--workers", "2", "--no-ui", wait=False) as s:
        _all_workers_ready(s)
        yield s


def _all_workers_ready(server: Server, timeout: float = 90) -> None:
    """Each worker builds/loads the index in the background and answers 503 until
    then: wait until 20 fresh connections in a row get 200."""
    deadline, streak = time.monotonic() + timeout, 0
    while streak < 20:
        if time.monotonic() > deadline:
            pytest.fail(f"the workers did not all become ready: {server.log()[-2000:]}")
        if server.proc.poll() is not None:
            pytest.fail(f"server exited: {server.log()[-2000:]}")
        try:
            status = httpx.get(f"{server.api}/health", headers={"Connection": "close"}, timeout=5).status_code
        except httpx.HTTPError:
            status = None
        streak = streak + 1 if status == 200 else 0
        if status != 200:
            time.sleep(0.2)


def post(server: Server, path: str, body: dict, **kw) -> httpx.Response:
    return httpx.post(f"{server.api}{path}", json=body, timeout=30, **kw)


def ask_fresh_connection(server: Server, question: str) -> dict:
    """One /v1/ask on a new TCP connection (so requests spread over the workers)."""
    with httpx.Client(timeout=30, headers={"Connection": "close"}) as client:
        response = client.post(f"{server.api}/ask", json={"question": question})
    assert response.status_code == 200, response.text
    return response.json()


def assert_error(response: httpx.Response, status: int, field: str | None = "any") -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error", "field"}, body
    assert isinstance(body["error"], str) and body["error"], body
    if field != "any":
        assert body["field"] == field, body
    return body


def sse_events(response: httpx.Response) -> list[tuple[str, str]]:
    """(event, data) pairs of a Server-Sent Events response, read to its end."""
    events, event, data = [], None, []
    for line in response.iter_lines():
        if line == "":
            if event is not None or data:
                events.append((event or "message", "\n".join(data)))
            event, data = None, []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
    if event is not None or data:
        events.append((event or "message", "\n".join(data)))
    return events


# -------------------------------------------------------------- JSON API


def test_health(server):
    response = httpx.get(f"{server.api}/health", timeout=10)
    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "ok"
    assert health["documents"] == 5 and health["chunks"] > 5
    assert health["retriever"] == "lexical" and health["answerer"] == "extractive"
    assert "extractive" in health["answerers"]
    assert isinstance(health["generation"], str) and "-" in health["generation"]


def test_search_returns_cited_passages(server):
    response = post(server, "/search", {"query": "2024年重庆网民规模", "k": 3})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["query"] == "2024年重庆网民规模" and body["retriever"] == "lexical"
    passages = body["passages"]
    assert 1 <= len(passages) <= 3
    assert [p["rank"] for p in passages] == list(range(1, len(passages) + 1))
    for p in passages:
        assert p["doc_id"] and p["title"] and p["section_path"] and p["quote"] and p["chunk_id"]
        assert p["chunk_id"].startswith(p["doc_id"])
    assert any("2495万人" in p["quote"] for p in passages), passages
    top = next(p for p in passages if "2495万人" in p["quote"])
    assert top["year"] == 2024 and "重庆" in top["title"]


def test_ask_answers_with_citations(server):
    response = post(server, "/ask", {"question": QUESTION})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert "2495万人" in answer["text"] and "[1]" in answer["text"]
    assert not answer["abstained"]
    assert answer["citations"], answer
    first = answer["citations"][0]
    assert first["number"] == 1 and "2495万人" in first["quote"]
    assert first["doc_id"] and first["section_path"]
    assert answer["mode"] == {"retriever": "lexical", "answerer": "extractive"}


def test_ask_follow_up_uses_history(server):
    first = post(server, "/ask", {"question": QUESTION}).json()
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": first["text"]}]
    response = post(server, "/ask", {"question": "那2023年呢？", "history": history})
    assert response.status_code == 200, response.text
    answer = response.json()
    # The 2023 report is in traditional script: 全市網民數量達2362萬人
    assert "2362" in answer["text"], answer["text"]
    assert "2495" not in answer["text"]
    assert answer["citations"] and answer["citations"][0]["year"] == 2023
    assert answer["resolved_question"] and "2023" in answer["resolved_question"]


def test_ask_with_explicit_answerer_and_k(server):
    response = post(server, "/ask", {"question": QUESTION, "answerer": "extractive", "k": 2})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert "2495万人" in answer["text"]
    assert all(1 <= c["number"] <= 2 for c in answer["citations"])


def test_documents_lists_the_seeds(server):
    response = httpx.get(f"{server.api}/documents", timeout=10)
    assert response.status_code == 200
    documents = response.json()
    assert sorted(d["doc_id"] for d in documents) == sorted(p.stem for p in SEEDS.glob("*.txt"))
    for d in documents:
        assert d["title"] and d["chunks"] > 0
    assert {d["year"] for d in documents} >= {2023, 2024}


def test_bad_input_is_400_naming_the_field(server):
    assert_error(post(server, "/ask", {"question": ""}), 400, "question")
    assert_error(post(server, "/ask", {}), 400, "question")
    assert_error(post(server, "/ask", {"question": QUESTION, "k": 0}), 400, "k")
    assert_error(post(server, "/ask", {"question": QUESTION, "answerer": "gpt"}), 400, "answerer")
    assert_error(post(server, "/ask", {"question": QUESTION, "history": [{"role": "bot", "content": "x"}]}),
                 400, "history.0.role")
    assert_error(post(server, "/ask", {"question": "问" * 5000}), 400, "question")
    assert_error(post(server, "/search", {"query": "重庆", "k": 0}), 400, "k")
    assert_error(post(server, "/chat/completions", {"model": "assistant", "messages": []}), 400, "messages")
    assert_error(post(server, "/chat/completions", {"model": "assistant",
                                                    "messages": [{"role": "system", "content": "x"}]}),
                 400, "messages")
    no_files = httpx.post(f"{server.api}/documents", files={"other": ("a.md", b"# a\n")}, timeout=10)
    assert_error(no_files, 400, "files")


def test_bad_search_query_names_the_field(server):
    body = assert_error(post(server, "/search", {"query": ""}), 400)
    # BUG (assistant/server/app.py, _errors.invalid): every element of the
    # error location equal to "body", "query" or "path" is dropped, so a body
    # field that is *named* query loses its name: {"field": null, "error":
    # "request: String should have at least 1 character"}.
    assert body["field"] == "query", f"empty search query reported as {body}"


def test_malformed_json_is_400_without_a_bogus_field(server):
    response = httpx.post(f"{server.api}/ask", content=b"{not json",
                          headers={"content-type": "application/json"}, timeout=10)
    body = assert_error(response, 400)
    # BUG (assistant/server/app.py, _errors.invalid): the location of a JSON
    # decode error is ("body", <character offset>); only the strings "body",
    # "query", "path" are dropped, so the offset becomes the field: {"field": "1"}.
    assert body["field"] in (None, "body"), f"malformed JSON reported as field {body['field']!r}: {body}"


def test_blank_question_is_400(server):
    # /v1/chat/completions rejects a whitespace-only question (400, field
    # "messages"); /v1/ask should do the same rather than answer it.
    assert_error(post(server, "/chat/completions", {"model": "assistant",
                                                    "messages": [{"role": "user", "content": "   "}]}),
                 400, "messages")
    response = post(server, "/ask", {"question": "   "})
    # BUG (assistant/server/schemas.py AskRequest.question: min_length=1 only):
    # "   " passes validation and gets a 200 abstention.
    assert response.status_code == 400, f"blank question answered {response.status_code}: {response.text[:200]}"
    assert response.json()["field"] == "question"


def test_not_found(server):
    assert_error(httpx.delete(f"{server.api}/documents/no-such-doc", timeout=10), 404, "doc_id")
    chat = post(server, "/chat/completions", {"model": "gpt-4", "messages": [{"role": "user", "content": QUESTION}]})
    assert "gpt-4" in assert_error(chat, 404, "model")["error"]


def test_unknown_api_path_is_a_json_error_with_the_ui_mounted(server):
    # Without the UI, /v1/nope is {"error": "Not Found", "field": null}. With
    # the UI mounted at /, Gradio's app catches every unmatched path instead.
    response = httpx.get(f"{server.api}/nope", timeout=10)
    assert response.status_code == 404
    # BUG (assistant/server/app.py create_app, the UI mount at "/"): the body is Gradio's
    # {"detail": "Not Found"}, not the API's error format.
    assert set(response.json()) == {"error", "field"}, f"unknown /v1 path answered {response.text}"


def test_upload_too_large_is_413(server):
    big = "重庆市数字经济发展情况。".encode() * (int(MAX_FILE_MB * 2**20) // 36 + 100)  # just over the limit
    assert len(big) > MAX_FILE_MB * 2**20
    response = httpx.post(f"{server.api}/documents", files={"files": ("big.txt", big, "text/plain")}, timeout=30)
    body = assert_error(response, 413, "files")
    assert "big.txt" in body["error"] and "max_file_mb" in body["error"]
    assert not (server.corpus / "big.txt").exists()
    assert len(httpx.get(f"{server.api}/documents", timeout=10).json()) == 5


def test_upload_unsupported_type_is_415(server):
    response = httpx.post(f"{server.api}/documents",
                          files={"files": ("setup.exe", b"MZ\x90\x00" * 64, "application/octet-stream")}, timeout=30)
    body = assert_error(response, 415, "files")
    assert ".exe" in body["error"] and ".pdf" in body["error"]
    assert not list(server.corpus.glob("setup*"))


def test_first_build_answers_503_with_retry_after(tmp_path_factory):
    """--no-ui builds in the background: 503 (JSON, Retry-After) until ready, then 200."""
    with running(tmp_path_factory, "cold", "--no-ui", copies=4, wait=False) as s:
        health: list[httpx.Response] = []
        search: list[httpx.Response] = []
        deadline = time.monotonic() + 90
        with httpx.Client(timeout=10) as client:
            while time.monotonic() < deadline:
                if s.proc.poll() is not None:
                    pytest.fail(f"server exited: {s.log()[-2000:]}")
                try:
                    response = client.get(f"{s.api}/health")
                except httpx.TransportError:
                    time.sleep(0.02)  # not listening yet
                    continue
                health.append(response)
                if response.status_code == 200:
                    break
                search.append(client.post(f"{s.api}/search", json={"query": "重庆", "k": 1}))
        statuses = [r.status_code for r in health]
        assert statuses and statuses[-1] == 200, statuses
        assert 503 in statuses, f"the first build was not observed (statuses {statuses})"
        assert set(statuses) <= {503, 200} and statuses.index(200) == len(statuses) - 1, statuses
        assert health[-1].json()["documents"] == 20
        busy = [r for r in search if r.status_code == 503]
        assert busy, [r.status_code for r in search]
        for r in busy:  # the other endpoints: JSON error and Retry-After
            assert "being built" in assert_error(r, 503, None)["error"]
            assert int(r.headers["retry-after"]) > 0
        first = health[0]
        assert "being built" in assert_error(first, 503, None)["error"]
        # BUG (assistant/server/app.py, health()): it turns NotReady into
        # ApiError(503), so the not_ready handler that sets Retry-After never
        # runs for /v1/health, the endpoint clients poll.
        assert "retry-after" in first.headers, f"/v1/health 503 without Retry-After: {dict(first.headers)}"


# --------------------------------------------------------------- streaming


def test_ask_stream_sends_deltas_then_one_answer(server):
    with httpx.Client(timeout=30) as client:
        with client.stream("POST", f"{server.api}/ask", json={"question": QUESTION, "stream": True}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = sse_events(response)  # returns only when the server closes the stream
    names = [name for name, _ in events]
    assert names.count("answer") == 1 and names[-1] == "answer", names  # nothing after the answer
    assert set(names[:-1]) == {"delta"}, names
    deltas = [json.loads(data)["text"] for name, data in events if name == "delta"]
    assert deltas and "".join(deltas).strip()
    answer = json.loads(events[-1][1])
    assert "2495万人" in answer["text"] and answer["citations"] and not answer["abstained"]
    assert "".join(deltas) == answer["text"]  # the extractive answer is final as streamed


def test_ask_stream_rejects_bad_input_before_streaming(server):
    response = post(server, "/ask", {"question": "", "stream": True})
    assert_error(response, 400, "question")
    response = post(server, "/ask", {"question": "问" * 5000, "stream": True})
    assert_error(response, 400, "question")


def test_chat_completions_raw_stream(server):
    body = {"model": "assistant", "messages": [{"role": "user", "content": QUESTION}], "stream": True}
    with httpx.Client(timeout=30) as client:
        with client.stream("POST", f"{server.api}/chat/completions", json=body) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = sse_events(response)
    data = [d for _, d in events]
    assert data[-1] == "[DONE]" and data.count("[DONE]") == 1
    chunks = [json.loads(d) for d in data[:-1]]
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "assistant" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert "2495万人" in text and "[1]" in text
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["citations"]


# ------------------------------------------------------- the openai client


def test_openai_client_models_and_chat(server):
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=server.api, api_key="x", max_retries=0, timeout=30)
    assert "assistant" in [m.id for m in client.models.list()]

    response = client.chat.completions.create(model="assistant", messages=[{"role": "user", "content": QUESTION}])
    content = response.choices[0].message.content
    assert "2495万人" in content and "[1]" in content and "来源 Sources:" in content
    assert response.choices[0].finish_reason == "stop" and response.model == "assistant"
    citations = response.model_extra["citations"]
    assert citations and citations[0]["number"] == 1 and "2495万人" in citations[0]["quote"]
    assert response.to_dict()["citations"] == citations
    assert f"[1] {citations[0]['section_path']}" in content

    follow_up = client.chat.completions.create(model="assistant", messages=[
        {"role": "system", "content": "Answer from the documents."},
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": content},
        {"role": "user", "content": "那2023年呢？"},
    ], temperature=0.2)  # unknown-to-us options are accepted and ignored
    assert "2362" in follow_up.choices[0].message.content

    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": QUESTION}])


def test_openai_client_streams(server):
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=server.api, api_key="x", max_retries=0, timeout=30)
    chunks = list(client.chat.completions.create(
        model="assistant", messages=[{"role": "user", "content": QUESTION}], stream=True))
    assert len(chunks) >= 3
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "2495万人" in text and "[1]" in text and "来源 Sources:" in text
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])
    assert chunks[-1].model_extra["citations"][0]["number"] == 1
    assert len({c.id for c in chunks}) == 1


# ------------------------------------------------------------ API keys


def test_api_key_required_on_a_public_bind(keyed):
    for method, path, body in (("GET", "/health", None), ("GET", "/models", None),
                               ("GET", "/documents", None), ("POST", "/ask", {"question": QUESTION}),
                               ("POST", "/chat/completions",
                                {"model": "assistant", "messages": [{"role": "user", "content": QUESTION}]})):
        response = httpx.request(method, f"{keyed.api}{path}", json=body, timeout=10)
        assert "API key" in assert_error(response, 401, None)["error"], path
    wrong = httpx.get(f"{keyed.api}/health", headers={"Authorization": "Bearer wrong"}, timeout=10)
    assert_error(wrong, 401)
    for headers in ({"Authorization": "Bearer secret123"}, {"authorization": "bearer secret123"},
                    {"X-API-Key": "secret123"}, {"Authorization": "Bearer file-key-456"}):
        response = httpx.get(f"{keyed.api}/health", headers=headers, timeout=10)
        assert response.status_code == 200, (headers, response.text)
    answer = post(keyed, "/ask", {"question": QUESTION}, headers={"Authorization": "Bearer secret123"})
    assert answer.status_code == 200 and "2495万人" in answer.json()["text"]


def test_openai_client_with_api_keys(keyed):
    openai = pytest.importorskip("openai")
    good = openai.OpenAI(base_url=keyed.api, api_key="secret123", max_retries=0, timeout=30)
    response = good.chat.completions.create(model="assistant", messages=[{"role": "user", "content": QUESTION}])
    assert "2495万人" in response.choices[0].message.content
    assert "assistant" in [m.id for m in good.models.list()]
    bad = openai.OpenAI(base_url=keyed.api, api_key="wrong", max_retries=0, timeout=30)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="assistant", messages=[{"role": "user", "content": QUESTION}])
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()


def test_public_bind_without_a_key_refuses_to_start(tmp_path):
    _corpus(tmp_path)

    def serve(*args):
        return subprocess.run([sys.executable, GUARD, "serve", "--port", str(free_port()), "--lexical", *args],
                              env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=60)

    no_key = serve("--host", "0.0.0.0", "--no-ui")
    assert no_key.returncode != 0
    assert "--api-key" in no_key.stderr and "0.0.0.0" in no_key.stderr, no_key.stderr
    no_ui_either = serve("--host", "0.0.0.0")  # the UI is on: neither surface may be open
    assert no_ui_either.returncode != 0
    assert "--auth" in no_ui_either.stderr and "--api-key" in no_ui_either.stderr, no_ui_either.stderr
    assert not (tmp_path / "index").exists()  # refused before any work
    assert not (tmp_path / "blocked.log").exists()


# ------------------------------------------------------------ workers


def _healths_from_every_worker(server: Server, workers: int = 2, rounds: int = 10) -> list[dict]:
    """/v1/health from concurrent fresh connections until every worker (by pid) has answered."""
    seen: list[dict] = []
    for _ in range(rounds):
        with ThreadPoolExecutor(8) as pool:
            seen += list(pool.map(lambda _: httpx.get(f"{server.api}/health", headers={"Connection": "close"},
                                                      timeout=10).json(), range(16)))
        if len({h["pid"] for h in seen}) >= workers:
            break
    assert len({h["pid"] for h in seen}) == workers, f"not every worker answered: {sorted({h['pid'] for h in seen})}"
    return seen


def test_upload_is_answered_by_every_worker(workers):
    response = httpx.post(f"{workers.api}/documents",
                          files={"files": (GUIZHOU_NAME, GUIZHOU_TEXT.encode(), "text/markdown")}, timeout=60)
    assert response.status_code == 200, response.text
    [result] = response.json()
    assert result["status"] == "indexed" and result["doc_id"] == "贵州通信", result
    assert (workers.corpus / GUIZHOU_NAME).exists()

    answers = [ask_fresh_connection(workers, GUIZHOU_QUESTION) for _ in range(10)]
    with ThreadPoolExecutor(8) as pool:  # concurrent requests keep both workers busy
        answers += list(pool.map(lambda _: ask_fresh_connection(workers, GUIZHOU_QUESTION), range(16)))
    for answer in answers:
        assert "12.6万个" in answer["text"], answer["text"]
        assert answer["citations"][0]["doc_id"] == "贵州通信"

    healths = _healths_from_every_worker(workers)  # each worker has swapped the new index in
    assert len({h["generation"] for h in healths}) == 1, healths
    assert {h["documents"] for h in healths} == {6}, healths
    listed = {tuple(sorted(d["doc_id"] for d in httpx.get(f"{workers.api}/documents",
                                                          headers={"Connection": "close"}, timeout=10).json()))
              for _ in range(6)}
    assert len(listed) == 1 and "贵州通信" in next(iter(listed))

    removed = httpx.delete(f"{workers.api}/documents/贵州通信", timeout=60)
    assert removed.status_code == 200, removed.text
    assert removed.json()["doc_id"] == "贵州通信"
    assert (workers.corpus / ".removed" / GUIZHOU_NAME).exists()
    with ThreadPoolExecutor(4) as pool:
        after = [ask_fresh_connection(workers, GUIZHOU_QUESTION) for _ in range(10)]
        after += list(pool.map(lambda _: ask_fresh_connection(workers, GUIZHOU_QUESTION), range(8)))
    for answer in after:
        assert "12.6万" not in answer["text"], answer["text"]
        assert all(c["doc_id"] != "贵州通信" for c in answer["citations"])
    healths = _healths_from_every_worker(workers)
    assert {h["documents"] for h in healths} == {5}, healths
    assert_error(httpx.delete(f"{workers.api}/documents/贵州通信", timeout=30), 404, "doc_id")


PROVINCES = {"云南": "3.1", "甘肃": "4.7", "青海": "5.3", "宁夏": "6.9"}


def test_concurrent_uploads_to_different_workers(workers):
    """Uploads arriving at both workers at once queue on the build lock: all are
    indexed, none is lost, and every worker answers from all of them."""

    def upload(item):
        name, figure = item
        text = f"# {name}信息通信年报(2024)\n\n2024年{name}省光缆线路总长度达到{figure}万公里。\n"
        with httpx.Client(timeout=60, headers={"Connection": "close"}) as client:
            response = client.post(f"{workers.api}/documents",
                                   files={"files": (f"{name}年报.md", text.encode(), "text/markdown")})
        assert response.status_code == 200, response.text
        return response.json()[0]

    with ThreadPoolExecutor(len(PROVINCES)) as pool:
        results = list(pool.map(upload, PROVINCES.items()))
    assert [r["status"] for r in results] == ["indexed"] * len(PROVINCES), results
    assert sorted(r["doc_id"] for r in results) == sorted(f"{n}年报" for n in PROVINCES)

    for name, figure in PROVINCES.items():
        for _ in range(4):
            answer = ask_fresh_connection(workers, f"2024年{name}省光缆线路总长度是多少？")
            assert f"{figure}万公里" in answer["text"], (name, answer["text"])
    healths = [httpx.get(f"{workers.api}/health", headers={"Connection": "close"}, timeout=10).json()
               for _ in range(8)]
    assert {h["documents"] for h in healths} == {5 + len(PROVINCES)}, healths

    def remove(name):
        with httpx.Client(timeout=60, headers={"Connection": "close"}) as client:
            return client.delete(f"{workers.api}/documents/{name}年报")

    with ThreadPoolExecutor(len(PROVINCES)) as pool:
        removed = list(pool.map(remove, PROVINCES))
    assert [r.status_code for r in removed] == [200] * len(PROVINCES), [r.text for r in removed]
    healths = [httpx.get(f"{workers.api}/health", headers={"Connection": "close"}, timeout=10).json()
               for _ in range(8)]
    assert {h["documents"] for h in healths} == {5}, healths
    assert len({h["generation"] for h in healths}) == 1, healths


# ------------------------------------------------------- docs and the UI


def test_openapi_docs(server):
    docs = httpx.get(f"{server.url}/docs", timeout=10)
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    assert "swagger" in docs.text.lower()
    spec = httpx.get(f"{server.url}/openapi.json", timeout=10).json()
    for path in ("/v1/ask", "/v1/chat/completions", "/v1/search", "/v1/health", "/v1/documents",
                 "/v1/documents/{doc_id}", "/v1/models"):
        assert path in spec["paths"], sorted(spec["paths"])
    assert "post" in spec["paths"]["/v1/ask"] and "delete" in spec["paths"]["/v1/documents/{doc_id}"]


def test_ui_and_api_share_the_port(server):
    page = httpx.get(f"{server.url}/", timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "gradio" in page.text.lower()
    assert httpx.get(f"{server.api}/health", timeout=10).json()["status"] == "ok"
