"""The security review of `assistant serve` (docs/security.md), replayed against
live servers: each probe that once got through, and what must hold instead.
Servers are real subprocesses on loopback ports, with every outbound connection
refused and recorded (tests/offline_cli.py), over a copy of the seeds."""

from __future__ import annotations

import base64
import io
import json
import socket
import uuid
from pathlib import Path

import httpx
import pytest

from .test_server import GUIZHOU_NAME, GUIZHOU_QUESTION, GUIZHOU_TEXT, QUESTION, running

SECRET = "机密备忘录：2024年本单位内部结算金额为7777万元，仅限内部使用。"
EVIL = "http://evil.example"


# ----------------------------------------------------------- Gradio's queue


def _config(url: str, cookies=None) -> dict:
    return httpx.get(f"{url}/config", cookies=cookies, timeout=30).json()


def _fn_index(config: dict, elem_id: str, side: str) -> int:
    """The event handler whose inputs (or outputs) include the component `elem_id`."""
    ids = {c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == elem_id}
    for n, dep in enumerate(config["dependencies"]):
        if ids & set(dep[side]):
            return dep.get("id", n)
    raise AssertionError(f"no event handler with {elem_id} in its {side}")


def gradio_call(url: str, fn_index: int, data: list, cookies=None) -> dict:
    """One event through Gradio's queue, as the page's JavaScript sends it; the
    final message (process_completed) or the join's refusal."""
    session = uuid.uuid4().hex
    joined = httpx.post(f"{url}/gradio_api/queue/join", cookies=cookies, timeout=30, json={
        "data": data, "fn_index": fn_index, "session_hash": session, "event_data": None, "trigger_id": None})
    if joined.status_code != 200:
        return {"msg": "refused", "status": joined.status_code, "text": joined.text}
    with httpx.stream("GET", f"{url}/gradio_api/queue/data", params={"session_hash": session},
                      cookies=cookies, timeout=120) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message
    raise AssertionError("the queue closed without a result")


def _search(server, text: str, headers=None) -> list[str]:
    response = httpx.post(f"{server.api}/search", json={"query": text, "k": 5}, headers=headers or {}, timeout=30)
    assert response.status_code == 200, response.text
    return [p["quote"] for p in response.json()["passages"]]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The default server (loopback, no credentials, UI mounted), with its
    upload folder where the test can look into it."""
    uploads = tmp_path_factory.mktemp("gradio-uploads")
    with running(tmp_path_factory, "secure", GRADIO_TEMP_DIR=str(uploads)) as s:
        s.uploads = uploads
        yield s


@pytest.fixture(scope="module")
def secret(tmp_path_factory) -> Path:
    """A file on the server's disk, outside the corpus."""
    path = tmp_path_factory.mktemp("elsewhere") / "report.txt"
    path.write_text(SECRET + "\n", encoding="utf-8")
    return path


# ------------------------------------------- 1. uploads read only sent bytes


def test_upload_function_never_reads_a_server_path(server, secret):
    """Hole 1: the UI's upload handler was given {"path": "/srv/any/report.txt"}
    and indexed that file. Now Gradio refuses a path it did not receive, the
    handler refuses one outside the upload folder, and nothing is read."""
    config = _config(server.url)
    upload = _fn_index(config, "upload-result", "outputs")
    before = sorted(p.name for p in server.corpus.iterdir())
    result = gradio_call(server.url, upload, [[{"path": str(secret), "orig_name": "report.txt",
                                                "meta": {"_type": "gradio.FileData"}}]])
    assert not result.get("success", False) or "indexed" not in json.dumps(result, ensure_ascii=False)
    assert sorted(p.name for p in server.corpus.iterdir()) == before
    assert not any(SECRET[:10] in quote for quote in _search(server, SECRET))
    copies = [p for p in server.uploads.rglob("*") if p.is_file() and SECRET[:10] in p.read_text("utf-8", "ignore")]
    assert copies == [], "the file was copied into Gradio's cache"


def test_a_real_ui_upload_still_works(server):
    """The bytes path: /gradio_api/upload, then the upload handler with the path it returned."""
    sent = httpx.post(f"{server.url}/gradio_api/upload", timeout=30,
                      files={"files": (GUIZHOU_NAME, GUIZHOU_TEXT.encode("utf-8"), "text/plain")})
    assert sent.status_code == 200, sent.text
    path = sent.json()[0]
    upload = _fn_index(_config(server.url), "upload-result", "outputs")
    result = gradio_call(server.url, upload, [[{"path": path, "orig_name": GUIZHOU_NAME,
                                                "meta": {"_type": "gradio.FileData"}}]])
    assert result["success"], result
    assert "已索引 indexed" in result["output"]["data"][0]
    answer = httpx.post(f"{server.api}/ask", json={"question": GUIZHOU_QUESTION}, timeout=60).json()
    assert "12.6万个" in answer["text"]


# ------------------------------------------------- 2. Host and Origin checks


def test_cross_site_upload_is_refused(server):
    """Hole 2: a page on another site posting a form to /v1/documents."""
    before = sorted(p.name for p in server.corpus.iterdir())
    response = httpx.post(f"{server.api}/documents", headers={"Origin": EVIL}, timeout=30,
                          files={"files": ("fake.txt", "2024年重庆网民规模达9999万人。".encode(), "text/plain")})
    assert response.status_code == 403 and "cross-origin" in response.json()["error"]
    assert sorted(p.name for p in server.corpus.iterdir()) == before
    answer = httpx.post(f"{server.api}/ask", json={"question": QUESTION}, timeout=60).json()
    assert "9999" not in answer["text"]


@pytest.mark.parametrize("method,path", [("POST", "/v1/ask"), ("GET", "/v1/documents"), ("POST", "/gradio_api/queue/join"),
                                         ("POST", "/gradio_api/upload"), ("OPTIONS", "/v1/ask"), ("GET", "/config")])
def test_every_route_refuses_a_foreign_origin(server, method, path):
    response = httpx.request(method, f"{server.url}{path}", headers={"Origin": EVIL}, json={"question": QUESTION},
                             timeout=30)
    assert response.status_code == 403, (path, response.status_code)
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("origin", ["null", "http://127.0.0.1:1", "http://localhost:8000", "https://127.0.0.1"])
def test_other_local_origins_are_foreign_too(server, origin):
    """Another port or scheme is another site (a dev server, a file:// page)."""
    response = httpx.post(f"{server.api}/ask", headers={"Origin": origin}, json={"question": QUESTION}, timeout=30)
    assert response.status_code == 403


def test_same_origin_and_originless_requests_pass(server):
    for headers in ({"Origin": server.url}, {"Origin": f"http://localhost:{server.port}"}, {}):
        host = {"Host": f"localhost:{server.port}"} if "localhost" in headers.get("Origin", "") else {}
        response = httpx.post(f"{server.api}/ask", headers={**headers, **host}, json={"question": QUESTION}, timeout=60)
        assert response.status_code == 200, (headers, response.text)


@pytest.mark.parametrize("path", ["/", "/v1/health", "/v1/documents", "/config", "/docs"])
def test_foreign_host_is_refused(server, path):
    """DNS rebinding: attacker.example resolves to 127.0.0.1, so the browser
    sends Host: attacker.example and treats the answer as same-origin."""
    response = httpx.get(f"{server.url}{path}", headers={"Host": f"attacker.example:{server.port}"}, timeout=30)
    assert response.status_code == 403 and "host" in response.json()["error"]
    for host in (f"127.0.0.1:{server.port}", f"localhost:{server.port}", f"[::1]:{server.port}"):
        assert httpx.get(f"{server.url}{path}", headers={"Host": host}, timeout=30).status_code == 200, host


def test_allowed_host_and_origin_options(tmp_path_factory):
    with running(tmp_path_factory, "proxy", "--no-ui", "--allowed-host", "qa.intranet.example",
                 "--allowed-origin", "https://portal.intranet.example") as s:
        via_proxy = {"Host": "qa.intranet.example"}
        assert httpx.get(f"{s.api}/health", headers=via_proxy, timeout=10).status_code == 200
        assert httpx.get(f"{s.api}/health", headers={"Host": "other.example"}, timeout=10).status_code == 403
        portal = httpx.post(f"{s.api}/ask", json={"question": QUESTION}, timeout=60,
                            headers={"Origin": "https://portal.intranet.example"})
        assert portal.status_code == 200
        assert httpx.post(f"{s.api}/ask", json={"question": QUESTION}, headers={"Origin": EVIL},
                          timeout=10).status_code == 403


# ------------------------------------------- 3. one credential, both surfaces


def _basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def _login(url: str, user: str, password: str) -> httpx.Response:
    return httpx.post(f"{url}/login", data={"username": user, "password": password}, timeout=30)


@pytest.fixture(scope="module")
def key_only(tmp_path_factory):
    """--api-key only, UI mounted: the UI must not be open."""
    with running(tmp_path_factory, "key-only", "--api-key", "k-123456",
                 headers={"Authorization": "Bearer k-123456"}) as s:
        yield s


@pytest.fixture(scope="module")
def login_only(tmp_path_factory):
    """--auth only: the API must not be open."""
    with running(tmp_path_factory, "login-only", "--auth", "staff:pw-654321", headers=_basic("staff", "pw-654321")) as s:
        yield s


def test_an_api_key_also_locks_the_ui(key_only):
    # Not logged in: the queue refuses every event, the page asks for a login.
    refused = gradio_call(key_only.url, 0, ["x"])
    assert refused["msg"] == "refused" and refused["status"] in (401, 403)
    assert _login(key_only.url, "anyone", "wrong").status_code == 400
    ok = _login(key_only.url, "anyone", "k-123456")
    assert ok.status_code == 200 and ok.json() == {"success": True}
    config = _config(key_only.url, cookies=ok.cookies)
    respond = _fn_index(config, "question", "inputs")
    assert respond is not None
    # The API: the key as Bearer; nothing without it.
    assert httpx.get(f"{key_only.api}/health", timeout=10).status_code == 401
    assert httpx.get(f"{key_only.api}/health", headers={"Authorization": "Bearer k-123456"}, timeout=10).status_code == 200


def test_a_login_also_locks_the_api(login_only):
    assert httpx.get(f"{login_only.api}/health", timeout=10).status_code == 401
    assert httpx.get(f"{login_only.api}/health", headers=_basic("staff", "wrong"), timeout=10).status_code == 401
    assert httpx.get(f"{login_only.api}/health", headers=_basic("staff", "pw-654321"), timeout=10).status_code == 200
    assert gradio_call(login_only.url, 0, ["x"])["msg"] == "refused"
    assert _login(login_only.url, "staff", "pw-654321").status_code == 200


def test_ui_upload_without_login_is_refused_before_reading(login_only):
    status, sent = _raw_post(login_only.port, "/gradio_api/upload", {}, 150 * 2**20)
    assert status == 401 and sent < 50 * 2**20, (status, sent)


def test_repeated_failed_logins_are_throttled(tmp_path_factory):
    with running(tmp_path_factory, "throttle", "--auth", "staff:pw-654321", headers=_basic("staff", "pw-654321")) as s:
        codes = [_login(s.url, "staff", f"guess{n}").status_code for n in range(12)]
        assert codes[:10] == [400] * 10 and codes[10:] == [429, 429], codes
        # The right password is refused too for the rest of the window: a guesser learns nothing.
        assert _login(s.url, "staff", "pw-654321").status_code == 429
        # ...and so are API attempts from the same client.
        refused = httpx.get(f"{s.api}/health", headers=_basic("staff", "pw-654321"), timeout=10)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) <= 61


# -------------------------------------------- 4. nothing read before it is allowed


def _raw_post(port: int, path: str, headers: dict, body_bytes: int, chunked: bool = False) -> tuple[int, int]:
    """POST a body of `body_bytes` zeros over a raw socket; (status, bytes the
    server accepted before answering). Stops sending once the server answers."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    # A well-formed multipart start, so the parser reads on (and spools) rather than failing early.
    part = b'--xyz\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n' \
           b"Content-Type: text/plain\r\n\r\n"
    head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}",
            "Content-Type: multipart/form-data; boundary=xyz"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(part) + body_bytes}")
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    sock.sendall(part if not chunked else f"{len(part):x}\r\n".encode() + part + b"\r\n")
    sent, block = 0, b"a" * (1 << 16)
    sock.settimeout(0.01)
    response = b""
    try:
        while sent < body_bytes:
            piece = block if not chunked else f"{len(block):x}\r\n".encode() + block + b"\r\n"
            try:
                sock.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(block)
            try:
                response += sock.recv(4096)
                if response:
                    break
            except (TimeoutError, BlockingIOError, socket.timeout):
                pass
        sock.settimeout(30)
        while b"\r\n" not in response:
            data = sock.recv(4096)
            if not data:
                break
            response += data
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        sock.close()
    status = int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else 0
    return status, sent


def _spooled(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def test_unauthenticated_bodies_are_refused_before_spooling(tmp_path_factory):
    """Hole 3: a 400 MB POST with no key got its 401 only after a 398 MB temp file."""
    spool = tmp_path_factory.mktemp("spool")
    with running(tmp_path_factory, "spool", "--no-ui", "--api-key", "k-1", headers={"Authorization": "Bearer k-1"},
                 TMPDIR=str(spool)) as s:
        status, sent = _raw_post(s.port, "/v1/documents", {}, 200 * 2**20)
        assert status == 401 and sent < 50 * 2**20, (status, sent)
        assert _spooled(spool) < 2**20
        # With the key: over the request limit by Content-Length, refused before reading.
        status, sent = _raw_post(s.port, "/v1/documents", {"Authorization": "Bearer k-1"}, 500 * 2**20)
        assert status == 413 and sent < 50 * 2**20, (status, sent)
        # Chunked, no Content-Length: cut off at the limit (10 files x max_file_mb), not read to the end.
        status, sent = _raw_post(s.port, "/v1/ask", {"Authorization": "Bearer k-1"}, 64 * 2**20, chunked=True)
        assert status == 413 and sent < 32 * 2**20, (status, sent)
        assert _spooled(spool) < 2**20


# ---------------------------------------------------- 5. bounded upload work


def _amplifying_docx(rows: int) -> bytes:
    """A small .docx holding one table of `rows` near-identical rows: every row
    becomes a chunk repeating the caption and header, so kilobytes of zip
    become megabytes of text to index."""
    import docx

    document = docx.Document()
    document.add_heading("附表 统计", level=1)
    table = document.add_table(rows=rows + 1, cols=4)
    for col, name in enumerate(["地区", "指标名称与口径说明（详见附注）", "年份", "数值"]):
        table.rows[0].cells[col].text = name
    for r in range(1, rows + 1):
        for col, value in enumerate(["重庆市", "数字经济核心产业增加值占地区生产总值比重", "2024", f"{r}"]):
            table.rows[r].cells[col].text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_small_file_with_huge_text_is_refused_naming_it(server):
    """Hole 4: a 30 KB .docx indexed 2,256 chunks (a 145 KB one: 10,978 chunks, 127 s CPU)."""
    payload = _amplifying_docx(3000)
    before = sorted(p.name for p in server.corpus.iterdir())
    response = httpx.post(f"{server.api}/documents", timeout=120,
                          files={"files": ("统计附表.docx", payload, "application/octet-stream")})
    assert response.status_code == 200, response.text
    [result] = response.json()
    assert result["status"] == "skipped" and "统计附表.docx" in result["detail"]
    assert "max_chunks_per_mb" in result["detail"] and "3,000 chunks" in result["detail"]
    assert sorted(p.name for p in server.corpus.iterdir()) == before


# ------------------------------------------------ 6. names cut by bytes


def test_long_chinese_file_name_is_stored_not_a_500(server):
    """Hole 5: a 90-character CJK name is 270 bytes, over the filesystem's 255."""
    long_name = "关于" + "数字经济发展情况的调查研究报告" * 6 + ".txt"
    assert len(long_name.encode()) > 255
    response = httpx.post(f"{server.api}/documents", timeout=120, files=[
        ("files", ("短名.txt", "2024年某县建成千兆光网小区310个。".encode(), "text/plain")),
        ("files", (long_name, "2024年某县新增数据中心机架1280个。".encode(), "text/plain")),
    ])
    assert response.status_code == 200, response.text
    results = response.json()
    assert [r["status"] for r in results] == ["indexed", "indexed"], results
    stored = [p for p in server.corpus.iterdir() if p.name.startswith("关于")]
    assert len(stored) == 1 and len(stored[0].name.encode()) <= 255
    # Retrying says "identical", and the text is searchable: nothing was orphaned.
    assert any("1280" in quote for quote in _search(server, "新增数据中心机架"))


# ------------------------------------------------ 9. headers and local docs


def test_security_headers_on_every_surface(server):
    for path in ("/", "/v1/health", "/docs", "/openapi.json"):
        headers = httpx.get(f"{server.url}{path}", timeout=30).headers
        assert headers["x-frame-options"] == "DENY", path
        assert headers["x-content-type-options"] == "nosniff", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["referrer-policy"] == "no-referrer", path


def test_docs_fetch_nothing_from_a_cdn(server):
    page = httpx.get(f"{server.url}/docs", timeout=30)
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        response = httpx.get(f"{server.url}/docs-static/{asset}", timeout=30)
        assert response.status_code == 200 and len(response.content) > 10_000, asset


def test_over_long_question_in_the_ui_names_the_limit(server):
    config = _config(server.url)
    respond = _fn_index(config, "question", "inputs")
    result = gradio_call(server.url, respond, ["问" * 3000, [], [], 5, "extractive"])
    assert result["success"], result
    shown = json.dumps(result["output"]["data"][0], ensure_ascii=False)
    assert "max_question_chars" in shown and "2000" in shown
