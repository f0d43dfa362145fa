"""Tiny but real models for tests: no downloads, built in about a second.

`build_tiny_sentence_transformer` trains a WordPiece tokenizer on local text
(CJK characters are split one per token, as in Chinese BERT), random-initialises
a 2-layer BERT and wraps it as a SentenceTransformer saved to disk, so the
product's real loading code (local path, offline) is exercised."""

from __future__ import annotations

from pathlib import Path


def build_tiny_sentence_transformer(path: Path, texts: list[str], seed: int = 0) -> Path:
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules as st_models
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, BertTokenizerFast

    path = Path(path)
    hf_dir = path / "hf"
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(handle_chinese_chars=True, lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=4000, special_tokens=specials))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))],
    )
    fast = BertTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]",
    )
    fast.save_pretrained(hf_dir)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
        num_attention_heads=2, intermediate_size=64, max_position_embeddings=512,
    )
    BertModel(config).save_pretrained(hf_dir)
    word = st_models.Transformer(str(hf_dir), max_seq_length=256)
    pooling = st_models.Pooling(word.get_embedding_dimension(), pooling_mode="mean")
    model = SentenceTransformer(modules=[word, pooling, st_models.Normalize()], device="cpu")
    model.save(str(path))
    return path


CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def build_tiny_gguf(path: Path, seed: int = 0) -> Path:
    """A ~1 MB Llama GGUF with random weights: SentencePiece-style vocabulary of
    the 256 byte-fallback tokens plus specials, ChatML chat template. llama.cpp
    loads and runs it like any model; its output is noise."""
    import gguf
    import numpy as np

    rng = np.random.default_rng(seed)
    n_embd, n_head, n_layer, n_ff = 64, 4, 2, 128
    tokens = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL,
             gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [gguf.TokenType.BYTE] * 256
    # A few ordinary pieces so plain text does not have to be all bytes.
    pieces = ["▁", "[", "]", "1", "2", "3", "的", "重庆", "网民", "万人", "。", "▁the"]
    tokens += pieces
    types += [gguf.TokenType.NORMAL] * len(pieces)
    n_vocab = len(tokens)

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_context_length(2048)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(n_layer)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head)
    writer.add_rope_dimension_count(n_embd // n_head)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0] * 5 + [-1000.0] * 256 + [-float(i) for i in range(len(pieces))])
    writer.add_token_types(types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(4)  # <|im_end|> ends a ChatML turn
    writer.add_add_bos_token(False)
    writer.add_chat_template(CHATML)

    def t(*shape):
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    writer.add_tensor("token_embd.weight", t(n_vocab, n_embd))
    for i in range(n_layer):
        writer.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(n_embd, dtype=np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            writer.add_tensor(f"blk.{i}.{name}.weight", t(n_embd, n_embd))
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(n_embd, dtype=np.float32))
        writer.add_tensor(f"blk.{i}.ffn_gate.weight", t(n_ff, n_embd))
        writer.add_tensor(f"blk.{i}.ffn_up.weight", t(n_ff, n_embd))
        writer.add_tensor(f"blk.{i}.ffn_down.weight", t(n_embd, n_ff))
    writer.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    # Output rows: zero for control tokens (never preferred, so generation does not
    # stop at once), small for raw bytes, larger for the text pieces, so greedy
    # decoding writes readable pieces rather than invalid UTF-8.
    output = t(n_vocab, n_embd)
    output[:5] = 0.0
    output[5 : 5 + 256] *= 0.1
    output[5 + 256 :] *= 20.0
    writer.add_tensor("output.weight", output)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return Path(path)
