"""Batch sentiment scoring: language gate -> preprocess -> forward -> postprocess.

    scorer = load_scorer()                      # the shipped model, or NEWSROOM_MODEL
    scorer.score(["Wat een mooie dag in Stad!", ...])   # -> [Score(label, probabilities, lang, flags)]

Long articles: we score the title and the lead, i.e. the first `max_length` tokens of
"title. text" (64 tokens for the shipped model, about 40 words). News leads carry an article's tone,
and the cost stays flat per post; averaging chunks would multiply the cost by the article length for
little gain on a model trained on sentences and tweets. Truncated posts get the flag "truncated".

Batches are sorted by token length so padding is small. The forward pass runs on ONNX Runtime
(sentiment.ort; NEWSROOM_RUNTIME=torch for eager transformers in inference mode), with the thread
count from settings (NEWSROOM_THREADS).
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.vocabulary import LABELS
from sentiment.labels import label_map
from sentiment.language import LanguageGate

log = logging.getLogger(__name__)

SHIPPED_ID = "newsroom/e5-small-nl-sentiment"
FLAG_OTHER_LANGUAGE = "other_language"
FLAG_UNCERTAIN_LANGUAGE = "lang_uncertain"
FLAG_TRUNCATED = "truncated"
FLAG_EMPTY = "empty"
# Texts per forward pass. On 2 cores 16-32 short posts per batch ran fastest (benchmarks/
# sentiment_throughput.py); larger batches pad more and fall out of the CPU caches.
FORWARD_BATCH = 32


@dataclass
class Score:
    label: str | None  # None: not scored (another language, left unscored by setting)
    probabilities: dict[str, float] | None
    lang: str | None
    flags: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"label": self.label, "probabilities": self.probabilities, "lang": self.lang}


def post_text(title: str | None, text: str | None) -> str:
    """What we score for a post: the title, then the text (the model's window keeps title + lead)."""
    title = " ".join((title or "").split())
    text = " ".join((text or "").split())
    if title and text and not text.startswith(title):
        return f"{title}. {text}" if title[-1] not in ".!?:" else f"{title} {text}"
    return text or title


class TorchNetwork:
    """A transformers classifier behind the same call as sentiment.ort.OnnxNetwork."""

    def __init__(self, model):
        self.model = model.eval()

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            return self.model(input_ids=torch.from_numpy(input_ids),
                              attention_mask=torch.from_numpy(attention_mask)).logits.float().numpy()


class Scorer:
    def __init__(self, network, tokenizer, id2label: dict, *, model_id: str, model_version: str,
                 input_prefix: str = "", max_length: int | None = None, neutral_margin: float = 0.5,
                 score_other_languages: bool = False, gate: LanguageGate | None = None):
        self.network = network  # (input_ids, attention_mask) -> logits, numpy in and out
        self.tokenizer = tokenizer
        self.model_id = model_id
        self.model_version = model_version
        self.input_prefix = input_prefix
        self.max_length = max_length or min(int(tokenizer.model_max_length), 512)
        self.labels = label_map(id2label)
        self.neutral_margin = neutral_margin
        self.score_other_languages = score_other_languages
        self.gate = gate or LanguageGate()

    # -- the three steps --------------------------------------------------------------------------
    def preprocess(self, texts: list[str]) -> tuple[list[list[int]], list[bool]]:
        """Token ids per text (truncated to max_length) and whether each was truncated."""
        # A long article is cut well past the window before tokenising: only its start is scored.
        clipped = [self.input_prefix + t[: self.max_length * 12] for t in texts]
        encoded = self.tokenizer(clipped, truncation=True, max_length=self.max_length,
                                 return_overflowing_tokens=False, return_length=False)["input_ids"]
        truncated = [len(ids) >= self.max_length for ids in encoded]
        return encoded, truncated

    def forward(self, batch: list[list[int]]) -> list[list[float]]:
        """One padded batch through the model -> softmax probabilities over the model's outputs."""
        width = max(len(ids) for ids in batch)
        input_ids = np.full((len(batch), width), self.tokenizer.pad_token_id or 0, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        logits = self.network(input_ids, mask).astype(np.float64)
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        return (exp / exp.sum(axis=1, keepdims=True)).tolist()

    def postprocess(self, probs: list[list[float]]) -> list[tuple[str, dict[str, float]]]:
        return [self.labels.three_way(p, self.neutral_margin) for p in probs]

    # -- whole texts ------------------------------------------------------------------------------
    def predict(self, texts: list[str], batch_size: int = FORWARD_BATCH) -> list[tuple[str, dict[str, float]]]:
        """(label, probabilities) per text, no language gate; batches of similar length."""
        encoded, _ = self.preprocess(texts)
        return self._predict_encoded(encoded, batch_size)

    def _predict_encoded(self, encoded: list[list[int]], batch_size: int) -> list:
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        results: list = [None] * len(encoded)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            for i, result in zip(idx, self.postprocess(self.forward([encoded[i] for i in idx]))):
                results[i] = result
        return results

    def score(self, texts: list[str], batch_size: int = FORWARD_BATCH,
              hints: list[str | None] | None = None) -> list[Score]:
        """Language gate first; Dutch texts (and others when configured, flagged) are scored. `hints`:
        the platforms' language tags, used only where the text leaves the language uncertain."""
        scores = [Score(None, None, None) for _ in texts]
        to_score = []
        for i, text in enumerate(texts):
            s = scores[i]
            if not text.strip():
                # No words, no sentiment: neutral by definition, not whatever the model makes of "".
                s.label, s.probabilities, s.flags = "neutral", {"negative": 0.0, "neutral": 1.0, "positive": 0.0}, [FLAG_EMPTY]
                continue
            # The start tells the language; keeps long articles cheap.
            detected = self.gate.detect(text[:1000], hints[i] if hints else None)
            s.lang = detected.lang
            if not detected.certain:
                s.flags.append(FLAG_UNCERTAIN_LANGUAGE)
            if not detected.dutch:
                if not self.score_other_languages:
                    continue
                s.flags.append(FLAG_OTHER_LANGUAGE)
            to_score.append(i)
        if to_score:
            encoded, truncated = self.preprocess([texts[i] for i in to_score])
            for i, cut, (label, probs) in zip(to_score, truncated, self._predict_encoded(encoded, batch_size)):
                scores[i].label = label
                scores[i].probabilities = {k: round(probs[k], 6) for k in LABELS}
                if cut:
                    scores[i].flags.append(FLAG_TRUNCATED)
        return scores


def _weights_digest(path: Path) -> str:
    for name in ("model.safetensors", "pytorch_model.bin", "config.json"):
        candidate = path / name
        if candidate.exists():
            h = hashlib.sha256()
            with open(candidate, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            return h.hexdigest()[:12]
    return "unknown"


def quantize(model):
    """Dynamic int8 quantisation of the encoder's Linear layers, per output channel: weights int8,
    activations quantised per batch. The classifier head stays fp32 (tiny, and the most sensitive).
    Held-out cost for the shipped model: see its card (int8 is off by default for that reason)."""
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig

    layers = {name: per_channel_dynamic_qconfig for name, module in model.named_modules()
              if isinstance(module, torch.nn.Linear) and ".encoder." in f".{name}."}
    with warnings.catch_warnings():
        # torch marks its eager quantisation deprecated (successor: torchao); it still works and we
        # pin torch, so keep the log quiet. Revisit when upgrading torch.
        warnings.filterwarnings("ignore", message=".*quantiz.*")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        return torch.ao.quantization.quantize_dynamic(model, layers or {torch.nn.Linear}, dtype=torch.qint8, inplace=True)


def _locate(name: str, cache_dir: Path) -> tuple[Path | str, str, str]:
    """(where to load from, model id, version) of a model setting: the shipped model assembled in the cache
    when `name` is empty, a local directory (versioned by its weights' digest), or a hub id (versioned by
    its commit once its config is loaded)."""
    if not name:
        from sentiment.shipped import assembled_dir, shipped_version

        return assembled_dir(cache_dir), SHIPPED_ID, shipped_version()
    path = Path(name).expanduser()
    if path.is_dir():
        return path, str(path.resolve()), _weights_digest(path)
    return name, name, ""


def _network(runtime: str, torch_model, *, model_id: str, version: str, quantized: bool, settings):
    """The model ready to run: exported to ONNX Runtime (once, into the cache) or as torch; an
    architecture the exporter cannot trace still scores, more slowly, on torch."""
    if runtime == "onnx":
        from sentiment.ort import OnnxNetwork, onnx_dir

        try:
            return OnnxNetwork(onnx_dir(torch_model, settings.cache_dir, key=f"{model_id}@{version}",
                                        quantized=quantized), settings.threads)
        except Exception as exc:
            log.warning("ONNX export of %s failed (%s: %s); scoring with torch instead", model_id,
                        type(exc).__name__, exc)
    return TorchNetwork(quantize(torch_model()) if quantized else torch_model())


def load_scorer(settings=None, *, model: str | None = None, quantized: bool | None = None,
                runtime: str | None = None, gate: LanguageGate | None = None) -> Scorer:
    """The configured model (NEWSROOM_MODEL: a local directory or a hub id; empty = the shipped one).

    The shipped model is assembled in the cache on first use (see sentiment.shipped); any other is
    loaded with `from_pretrained`, a hub id needing internet or the local Hugging Face cache.
    `runtime` (default NEWSROOM_RUNTIME): "onnx" runs the model exported into the cache
    (sentiment.ort), "torch" the transformers model itself. `quantized` (default NEWSROOM_QUANTIZE)
    applies dynamic int8 quantisation (see the model card)."""
    from transformers import AutoConfig, AutoTokenizer

    import sentiment.modeling  # noqa: F401  registers the shipped model's architecture

    if settings is None:
        from core.config.settings import get_settings

        settings = get_settings()
    name = settings.model if model is None else model
    runtime = runtime or settings.runtime
    quantized = settings.quantize if quantized is None else quantized
    input_prefix, max_length = "", None
    path, model_id, version = _locate(name, settings.cache_dir)
    if isinstance(path, Path) and (path / "newsroom.json").exists():
        info = json.loads((path / "newsroom.json").read_text(encoding="utf-8"))
        input_prefix, max_length = info.get("input_prefix", ""), info.get("max_length")
    tokenizer = AutoTokenizer.from_pretrained(path)
    config = AutoConfig.from_pretrained(path)
    if not version:  # a hub model: its commit
        version = (getattr(config, "_commit_hash", None) or "unknown")[:12]

    def torch_model():
        import torch
        from transformers import AutoModelForSequenceClassification

        torch.set_num_threads(settings.threads)
        return AutoModelForSequenceClassification.from_pretrained(path, dtype=torch.float32)

    network = _network(runtime, torch_model, model_id=model_id, version=version, quantized=quantized,
                       settings=settings)
    if quantized:
        version += "+int8"
    return Scorer(network, tokenizer, config.id2label, model_id=model_id, model_version=version,
                  input_prefix=input_prefix, max_length=max_length, neutral_margin=settings.neutral_margin,
                  score_other_languages=settings.score_other_languages, gate=gate)
