"""The Gradio Blocks app: chat with streamed answers and source cards, a
documents panel (upload, list, remove) and settings. Labels: Chinese first."""

from __future__ import annotations

import atexit
import html
import os
import shutil
import tempfile
from pathlib import Path

from ..answer import Answer, Preview
from ..errors import QuestionError
from ..ingest.loaders import SUPPORTED_EXTENSIONS
from ..service import AssistantService
from .render import CSS, DRAFTING, answer_markdown, draft_markdown, source_cards, status_line

EXAMPLES = [
    "2024年重庆网民规模是多少？",
    "2023年和2024年重庆网民规模分别是多少？",
    "2024年四川电信业务收入是多少？",
    "重庆IPv6用户连接数是多少？",
    "How many internet users did Chongqing have in 2024?",
]
UPLOAD_TYPES = sorted(SUPPORTED_EXTENSIONS)  # the one list the indexer reads


def _gradio():
    # Read at import: no usage statistics leave the machine.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # Uploads land in a folder of this process's own (mode 0700), not the
    # machine-wide /tmp/gradio other local users can write to: only files in it
    # count as uploaded.
    if not os.environ.get("GRADIO_TEMP_DIR"):
        os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix="assistant-uploads-")
        # Uploads are copied into the corpus when accepted: the folder goes
        # with the process (uvicorn exits normally on SIGTERM and Ctrl-C).
        atexit.register(shutil.rmtree, os.environ["GRADIO_TEMP_DIR"], ignore_errors=True)
    try:
        import gradio as gr
    except ImportError as exc:
        from ..errors import MissingDependencyError

        raise MissingDependencyError("gradio", "ui") from exc
    return gr


HEADER = "## 文档问答助手 · Document QA\n基于本地文档回答问题，每个事实都标注出处。 Answers from your documents, every fact cited."
UPLOAD_RESULT_HEAD = ["| 文件 File | 结果 Result | 说明 Detail |", "|---|---|---|"]


def build_app(service: AssistantService):
    gr = _gradio()
    respond, clear = _chat_handlers(gr, service)
    upload, remove, doc_ids = _document_handlers(gr, service)
    with gr.Blocks(title="文档问答助手 Document QA", analytics_enabled=False) as app:
        turns = gr.State([])
        gr.Markdown(HEADER)
        status = gr.Markdown(status_line(service.assistant().mode, None, service.notices), elem_id="status")
        with gr.Tab("问答 Chat"):
            chat, box, send, reset, cards, k, answerer = _chat_tab(gr, service)
        with gr.Tab("文档 Documents"):
            files, add, upload_result, table, pick, delete, remove_result = _documents_tab(gr, service, doc_ids())

        # Wired in this order, which numbers the events Gradio's queue is called by.
        outputs = [chat, turns, cards, status, box]
        box.submit(respond, [box, chat, turns, k, answerer], outputs)
        send.click(respond, [box, chat, turns, k, answerer], outputs)
        reset.click(clear, None, [chat, turns, cards, status])
        add.click(upload, [files], [upload_result, table, pick])
        delete.click(remove, [pick], [remove_result, table, pick])
    return app


def _chat_tab(gr, service: AssistantService):
    """The conversation, the question box with its buttons and examples, the
    source cards and the settings."""
    with gr.Row():
        with gr.Column(scale=3):
            chat = gr.Chatbot(label="对话 Conversation", height=460, elem_id="chat", sanitize_html=True)
            with gr.Row():
                box = gr.Textbox(
                    placeholder="输入问题，回车发送 Ask a question, press Enter", show_label=False,
                    scale=5, elem_id="question", autofocus=True,
                )
                send = gr.Button("发送 Send", variant="primary", scale=1, elem_id="send")
                reset = gr.Button("新对话 New chat", scale=1)
            gr.Examples(EXAMPLES, inputs=box, label="示例问题 Examples")
        with gr.Column(scale=2):
            gr.Markdown("### 来源 Sources")
            cards = gr.HTML(source_cards(None), elem_id="sources")
    with gr.Accordion("设置 Settings", open=False):
        k = gr.Slider(1, 10, value=service.config.top_k, step=1, label="检索段落数 Passages")
        answerer = gr.Dropdown(
            service.available_answerers(), value=service.default_answerer(), label="回答方式 Answerer"
        )
    return chat, box, send, reset, cards, k, answerer


def _documents_tab(gr, service: AssistantService, doc_ids: list[str]):
    """Upload, the table of indexed documents, and removal."""
    files = gr.File(
        label="上传文档 Upload (" + " ".join(UPLOAD_TYPES) + ")", file_count="multiple",
        file_types=UPLOAD_TYPES, elem_id="upload",
    )
    add = gr.Button("上传并索引 Upload & index", variant="primary", elem_id="add")
    upload_result = gr.Markdown(elem_id="upload-result")
    table = gr.Dataframe(
        value=service.documents(), headers=["文档 ID", "标题 Title", "年份 Year", "段落 Chunks"],
        interactive=False, label="已索引文档 Indexed documents", elem_id="documents",
    )
    with gr.Row():
        pick = gr.Dropdown(doc_ids, value=None, label="选择文档 Document", elem_id="remove-pick")
        delete = gr.Button("移除 Remove", variant="stop", elem_id="remove")
    remove_result = gr.Markdown(elem_id="remove-result")
    return files, add, upload_result, table, pick, delete, remove_result


def _chat_handlers(gr, service: AssistantService):
    """`respond` (a question in, the streamed answer out) and `clear` (a new chat)."""

    def respond(message: str, chat: list, turns: list, k: int, answerer: str):
        message = (message or "").strip()
        if not message:
            yield chat, turns, gr.update(), gr.update(), ""
            return
        chat = chat + [{"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
        yield chat, turns, source_cards(None), gr.update(), ""
        assistant = service.assistant(answerer, k)
        text, shown = "", ""
        answer: Answer | None = None
        try:
            for piece in assistant.stream(message, turns):
                if isinstance(piece, Answer):
                    answer = piece
                elif isinstance(piece, Preview):  # the extractive answer at once, the model's draft below it
                    shown = answer_markdown(piece.answer) + DRAFTING
                    chat[-1] = {"role": "assistant", "content": shown}
                    yield chat, turns, source_cards(piece.answer), gr.update(), ""
                else:
                    text += piece
                    chat[-1] = {"role": "assistant", "content": shown + draft_markdown(text) if shown else html.escape(text)}
                    yield chat, turns, gr.update(), gr.update(), ""
        except QuestionError as exc:  # the limit named, not Gradio's bare "Error"
            chat[-1] = {"role": "assistant", "content": f"⚠ {html.escape(str(exc))}"}
            yield chat, turns, gr.update(), gr.update(), message
            return
        chat[-1] = {"role": "assistant", "content": answer_markdown(answer)}
        turns = turns + [
            {"role": "user", "content": message, "resolved": answer.resolved_question or message},
            {"role": "assistant", "content": answer.text},
        ]
        yield chat, turns, source_cards(answer), status_line(answer.mode, answer, service.notices), ""

    def clear():
        return [], [], source_cards(None), status_line(service.assistant().mode, None, service.notices)

    return respond, clear


def _document_handlers(gr, service: AssistantService):
    """`upload` and `remove`, each answering with a message, the new document
    table and the new choices to remove; and `doc_ids`, those choices."""

    def upload(files, progress=gr.Progress()):
        if not files:
            return "请选择文件 Choose files first.", gr.update(), gr.update()
        pairs = []
        for f in files:
            path = Path(getattr(f, "name", f))
            original = getattr(f, "orig_name", None) or path.name
            if not uploaded_here(path):  # a path the client named, not bytes it sent
                return f"**{html.escape(original)}: 不是上传的文件 not an uploaded file**", gr.update(), gr.update()
            pairs.append((path, original))
        progress(0, desc="保存 Saving")
        results = service.add_files(pairs, progress=progress)
        return _upload_table(results), service.documents(), gr.update(choices=doc_ids())

    def remove(doc_id: str):
        if not doc_id:
            return "请选择文档 Choose a document.", gr.update(), gr.update()
        try:
            message = service.remove_document(doc_id)
        except Exception as exc:  # shown to the user, not a traceback
            message = f"**{exc}**"
        return message, service.documents(), gr.update(choices=doc_ids(), value=None)

    def doc_ids() -> list[str]:
        return [row[0] for row in service.documents()]

    return upload, remove, doc_ids


def _upload_table(results: list[dict]) -> str:
    """One Markdown row per uploaded file: indexed, or skipped and why."""
    lines = list(UPLOAD_RESULT_HEAD)
    for r in results:
        status = "已索引 indexed" if r["status"] == "indexed" else "**跳过 skipped**"
        lines.append(f"| {html.escape(r['file'])} | {status} | {html.escape(r['detail'])} |")
    return "\n".join(lines)


def _launch_options(service: AssistantService) -> dict:
    gr = _gradio()
    theme = gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["monospace"])  # no web fonts
    return dict(max_file_size=service.config.max_file_bytes, css=CSS, theme=theme, show_error=False,
                footer_links=[])


def _queued(service: AssistantService):
    app = build_app(service)
    # Several users at once; the llama answerer serialises its own generation.
    app.queue(default_concurrency_limit=4, max_size=64)
    return app


def uploaded_here(path: Path) -> bool:
    """Whether `path` is a file Gradio received from a client (in its upload folder)."""
    from gradio.utils import get_upload_folder

    folder = Path(get_upload_folder()).resolve()
    return path.resolve().is_relative_to(folder) and path.is_file()


def mount(fastapi_app, service: AssistantService, auth=None) -> None:
    """The chat UI at / of the HTTP server's FastAPI app (same port as the API).
    `auth`: a `(user, password) -> bool` for the login page, or None."""
    gr = _gradio()
    blocks = _queued(service)
    gr.mount_gradio_app(fastapi_app, blocks, path="/", auth=auth, **_launch_options(service))
    # Gradio checks that a file named in a request was uploaded (not any path on
    # the server) only once `has_launched` is set, which launch() does and
    # mount_gradio_app does not: without it, a request naming /any/file.pdf had
    # that file copied into the cache and indexed.
    blocks.has_launched = True
