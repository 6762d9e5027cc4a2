"""Training: the data mix and its splits on the real sets, and a whole seeded run on the tiny image."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from sentiment import data
from sentiment.train import DEFAULT_DATA, TrainOptions, build_mix, train

WORDS = ["de stad is mooi", "de stad is vies", "de stad", "mooi mooi", "vies vies", "de is"]


def _tiny_data(root: Path) -> Path:
    """Every set build_mix reads, in its own format, a few lines each."""
    labels = ["positive", "negative", "neutral"]
    (root / "dutch_political_tweets_zegelaar").mkdir(parents=True)
    (root / "dutch_political_tweets_zegelaar" / "gold__gold-polarity.tsv").write_text(
        "content\tpolarity\n" + "".join(f"{WORDS[i % 6]} {i}\t{labels[i % 3]}\n" for i in range(30)))
    (root / "ecosent_nl_news").mkdir()
    (root / "ecosent_nl_news" / "headlines.tsv").write_text(
        "label\ttext\tmedium\tdate\tid\n" + "".join(f"{labels[i % 3]}\t{WORDS[i % 6]} n{i}\tNOS\t2015\t{i}\n" for i in range(30)))
    reviews, sentences = [], []
    for r in range(20):
        polarity = labels[r % 2]
        sents = "".join(f'<sentence id="R{r}:{k}"><text>{WORDS[(r + k) % 6]} {r}</text><Opinions>'
                        f'<Opinion polarity="{polarity}"/></Opinions></sentence>' for k in range(3))
        sentences.append(f'<Review rid="R{r}"><sentences>{sents}</sentences></Review>')
        plain = "".join(f'<sentence id="R{r}:{k}"><text>{WORDS[(r + k) % 6]} {r}</text></sentence>' for k in range(3))
        reviews.append(f'<Review rid="R{r}"><sentences>{plain}</sentences><Opinions>'
                       f'<Opinion polarity="{polarity}"/><Opinion polarity="{polarity}"/></Opinions></Review>')
    (root / "semeval2016_absa_nl").mkdir()
    (root / "semeval2016_absa_nl" / "restaurants_dutch_training.xml").write_text(f"<Reviews>{''.join(sentences)}</Reviews>")
    (root / "semeval2016_absa_nl" / "restaurants_dutch_training_textlevel.xml").write_text(f"<Reviews>{''.join(reviews)}</Reviews>")
    (root / "xlmt_umsab_all").mkdir()
    (root / "xlmt_umsab_all" / "train_text.txt").write_text("".join(f"{WORDS[i % 6]} x{i}\n" for i in range(9)))
    (root / "xlmt_umsab_all" / "train_labels.txt").write_text("".join(f"{i % 3}\n" for i in range(9)))
    (root / "xed_nl").mkdir()
    (root / "xed_nl" / "nl-projections.tsv").write_text("".join(f"{WORDS[i % 2]} e{i}\t{5 if i % 2 else 1}\n" for i in range(6)))
    return root


@pytest.fixture
def tiny_options(tiny_image, tmp_path) -> TrainOptions:
    return TrainOptions(data_dir=_tiny_data(tmp_path / "data"), out=tmp_path / "out", export_to=tmp_path / "model",
                        base_image=tiny_image[0], cache_dir=tmp_path / "cache", epochs=2, seeds=[1, 2], lrs=[1e-3],
                        batch_size=4, max_length=14, xlmt=6, xed=4, threads=1)


def test_a_seeded_run_is_reproduced_and_exported(tiny_options, tmp_path):
    metrics = train(tiny_options)
    assert [(r["seed"], r["lr"]) for r in metrics["runs"]] == [(1, 1e-3), (2, 1e-3)]
    assert metrics["shipped"]["soup"] and metrics["ensemble_dev_score"] is not None
    assert set(metrics["held_out"]) >= {"political", "news", "restaurants", "reviews",
                                        "by_length"}
    info = json.loads((tmp_path / "model" / "newsroom.json").read_text())
    assert info["max_length"] == 14 and info["first_window_weight"] in (1.0, 1.5, 2.0, 3.0)
    first = (tmp_path / "model" / "model.safetensors").read_bytes()
    assert (tmp_path / "model" / "activation_ranges.npz").stat().st_size > 0  # int8's smoothing follows the weights

    again = TrainOptions(**{**tiny_options.__dict__, "export_to": tmp_path / "again"})
    train(again)
    assert (tmp_path / "again" / "model.safetensors").read_bytes() == first

    # Runs trained apart (as on a GPU machine, one process each) and averaged afterwards ship the same.
    apart = TrainOptions(**{**tiny_options.__dict__, "out": tmp_path / "runs"})
    for seed in (1, 2):
        train(TrainOptions(**{**apart.__dict__, "seeds": [seed]}), runs_only=True)
    saved = sorted((tmp_path / "runs").glob("run-*.safetensors"))
    assert len(saved) == 2
    train(TrainOptions(**{**apart.__dict__, "export_to": tmp_path / "apart"}), from_runs=saved)
    assert (tmp_path / "apart" / "model.safetensors").read_bytes() == first


def test_corrections_are_deduplicated_and_repeated(tiny_options):
    from sentiment.data import Example

    tiny_options.corrections = [Example("Wat  een rommel", "negative", "corrections"),
                                Example("wat een rommel", "neutral", "corrections")]
    train_set, _, _ = build_mix(tiny_options)
    corrected = [e for e in train_set if e.source == "corrections"]
    assert len(corrected) == tiny_options.corrections_repeat
    assert {e.label for e in corrected} == {"neutral"}  # the later correction wins


@pytest.mark.skipif(not DEFAULT_DATA.exists(), reason="../shared/testdata/sentiment is not beside the project")
def test_the_real_mix_keeps_reviews_whole_and_a_multi_domain_dev_set():
    train_set, dev, held_out = build_mix(TrainOptions())
    assert set(dev) == set(held_out) == {"political", "restaurants", "news", "reviews"}
    assert sum(len(v) for v in dev.values()) >= 600
    held_reviews = {e.group for e in held_out["restaurants"] + held_out["reviews"]}
    dev_reviews = {e.group for e in dev["restaurants"] + dev["reviews"]}
    trained = {e.group for e in train_set if e.source in ("restaurants", "reviews")}
    assert held_reviews and not held_reviews & trained and not dev_reviews & trained and not held_reviews & dev_reviews
    texts = {e.text for e in train_set if e.source not in ("xlmt", "xed")}
    for examples in list(dev.values()) + list(held_out.values()):
        assert not {e.text for e in examples} & texts
    assert all(e.label in ("positive", "negative") for e in held_out["reviews"])


@pytest.mark.skipif(not DEFAULT_DATA.exists(), reason="../shared/testdata/sentiment is not beside the project")
def test_news_headlines_are_read_with_their_labels():
    news = data.read_news(DEFAULT_DATA / "ecosent_nl_news" / "headlines.tsv")
    assert len(news) == 6031 and {e.label for e in news} == {"negative", "neutral", "positive"}


def test_layer_decay_gives_lower_layers_smaller_learning_rates(tiny_options):
    from sentiment.train import _base_model, _optimizer

    model, _ = _base_model(tiny_options)
    options = TrainOptions(**{**tiny_options.__dict__, "layer_decay": 0.5})
    optimizer, _ = _optimizer(model, options, 1e-3, total_steps=10)
    rate = {id(p): group["initial_lr"] for group in optimizer.param_groups for p in group["params"]}
    named = dict(model.named_parameters())
    layers = model.config.num_hidden_layers
    assert rate[id(named["classifier.weight"])] == pytest.approx(1e-3)
    assert rate[id(named[f"bert.encoder.layer.{layers - 1}.output.dense.weight"])] == pytest.approx(1e-3 * 0.5)
    assert rate[id(named["bert.embeddings.LayerNorm.weight"])] == pytest.approx(1e-3 * 0.5 ** (layers + 1))
    assert "bert.embeddings.word_embeddings.weight" not in {n for n, p in named.items() if id(p) in rate}
