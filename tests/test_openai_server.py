"""The OpenAI-compatible answerer against llama-cpp-python's own server, started
by the test on loopback with the tiny GGUF."""

import subprocess
import sys

import pytest

from assistant import ModelError
from assistant.answer import Preview
from assistant.answerers import create_answerer
from assistant.answerers.openai import OpenAIAnswerer, estimate_tokens
from assistant.assembly import assemble

from .conftest import free_port, wait_for_http


@pytest.fixture(scope="module")
def server(tiny_gguf):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(tiny_gguf), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}/v1"
    wait_for_http(f"{base}/models", proc, 60, lambda: proc.stderr.read().decode())
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def test_streams_an_answer_from_the_server(server, seed_index):
    # The tiny model's byte tokenizer spends 3 tokens per CJK character, so the
    # (character-based) budget is set low enough to fit its 2048-token context.
    config = seed_index.config.replace(
        answerer="openai", openai_base_url=server, llm_max_tokens=16, prompt_tokens=300
    )
    answerer = create_answerer(config)
    assert isinstance(answerer, OpenAIAnswerer)
    assert answerer.model.endswith("tiny-chatml.gguf")  # discovered from /v1/models
    assistant = assemble(seed_index, config, answerer)
    preview, *pieces, answer = list(assistant.stream("2024年重庆网民规模是多少？"))
    assert isinstance(preview, Preview)  # the extractive answer, shown while the model writes
    assert pieces and all(isinstance(p, str) for p in pieces)
    assert answer.mode["answerer"].startswith("OpenAI-compatible server (")
    assert 0 < answerer.last_prompt_tokens <= 300
    assert not answer.abstained and answer.text.strip()
    assert all(1 <= c.number <= config.top_k for c in answer.citations)
    answerer.close()


def test_unreachable_server_is_a_clear_error(config):
    port = free_port()  # nothing listens there
    with pytest.raises(ModelError, match=f"cannot reach the OpenAI-compatible server at http://127.0.0.1:{port}/v1"):
        create_answerer(config.replace(openai_base_url=f"http://127.0.0.1:{port}/v1"), "openai")


def test_token_estimate_is_conservative_for_chinese():
    assert estimate_tokens("重庆网民规模达2495万人") >= 10
    assert estimate_tokens("internet users") == 4
