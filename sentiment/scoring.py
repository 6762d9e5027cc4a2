"""Batch sentiment scoring: language gate -> windows -> forward -> aggregate -> postprocess.

    scorer = load_scorer()                      # the shipped model, or NEWSROOM_MODEL
    scorer.score(["Wat een mooie dag in Stad!", ...])   # -> [Score(label, probabilities, lang, flags)]

Whole texts: a text longer than the model's window (64 tokens for the shipped model, ~40 words) is
split into overlapping windows (sentiment.windows), every window of a batch of texts goes through
the network in batches sorted by length, and a text's logits are the mean of its windows', the first
window (title + lead) weighted `first_window_weight` (the model's newsroom.json, default 1.0). A
review or forum post whose verdict comes at the end is no longer scored on its opening. A text that
fits is one window, encoded exactly as before, so short posts cost what they did. Very long texts are
capped at `max_windows` windows (newsroom.json, default 16) spread over the text, and flagged
"truncated"; nothing else is.

The language gate reads each text's first few hundred characters, a batch at a time
(sentiment.language). The forward pass runs on ONNX Runtime (sentiment.ort; NEWSROOM_RUNTIME=torch
for eager transformers in inference mode), with the thread count from settings (NEWSROOM_THREADS);
NEWSROOM_QUANTIZE=true runs the int8 kernel `newsroom model prepare` measured fastest on this CPU
(sentiment.kernels). Scoring from the cached graph loads the tokenizer with `tokenizers` and never
imports torch: only the one-time export does.
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
from sentiment.windows import MAX_WINDOWS, aggregate, encode_windows_capped

log = logging.getLogger(__name__)

SHIPPED_ID = "newsroom/e5-small-nl-sentiment"
FLAG_OTHER_LANGUAGE = "other_language"
FLAG_UNCERTAIN_LANGUAGE = "lang_uncertain"
FLAG_TRUNCATED = "truncated"
FLAG_EMPTY = "empty"
# Windows per forward pass. On 2 cores 16-32 short posts per batch ran fastest (benchmarks/
# sentiment_throughput.py); larger batches pad more and fall out of the CPU caches.
FORWARD_BATCH = 32
# ...and at most this many tokens per batch, padding included: long texts' windows differ more in
# length than tweets, and 32 of them padded to the longest in the batch wasted 10 % of the work on
# 120 whole reviews; 1,024 tokens (8 full windows of 128) wasted 3 %. A batch of 8 x 128 tokens is as
# large a product as 32 tweets, so nothing is lost to smaller batches.
FORWARD_TOKENS = 1024


@dataclass
class Score:
    label: str | None  # None: not scored (another language, left unscored by setting)
    probabilities: dict[str, float] | None
    lang: str | None
    flags: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"label": self.label, "probabilities": self.probabilities, "lang": self.lang}


def post_text(title: str | None, text: str | None) -> str:
    """What we score for a post: the title, then the text (the first window holds title + lead)."""
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
                 score_other_languages: bool = False, gate: LanguageGate | None = None, pad_id: int | None = None,
                 first_window_weight: float = 1.0, max_windows: int = MAX_WINDOWS, window_stride: int | None = None):
        self.network = network  # (input_ids, attention_mask) -> logits, numpy in and out
        self.tokenizer = tokenizer  # a transformers tokenizer or a bare tokenizers.Tokenizer
        self.model_id = model_id
        self.model_version = model_version
        self.input_prefix = input_prefix
        self.max_length = max_length or min(int(getattr(tokenizer, "model_max_length", 512)), 512)
        self.pad_id = pad_id if pad_id is not None else (getattr(tokenizer, "pad_token_id", None) or 0)
        self.first_window_weight = first_window_weight
        self.max_windows = max_windows
        self.window_stride = window_stride
        self.labels = label_map(id2label)
        self.neutral_margin = neutral_margin
        self.score_other_languages = score_other_languages
        self.gate = gate or LanguageGate()

    # -- the steps --------------------------------------------------------------------------------
    def preprocess(self, texts: list[str]) -> tuple[list[list[list[int]]], list[bool]]:
        """Per text its windows' token ids, and whether it was capped (too long even for max_windows)."""
        return encode_windows_capped(self.tokenizer, texts, prefix=self.input_prefix, max_length=self.max_length,
                                     stride=self.window_stride, max_windows=self.max_windows)

    def forward(self, batch: list[list[int]]) -> np.ndarray:
        """One padded batch of windows through the model -> its logits (n, n_outputs)."""
        width = max(len(ids) for ids in batch)
        input_ids = np.full((len(batch), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        return np.asarray(self.network(input_ids, mask), dtype=np.float64)

    def logits(self, windows: list[list[list[int]]], batch_size: int = FORWARD_BATCH,
               max_tokens: int = FORWARD_TOKENS) -> np.ndarray:
        """Per text its aggregated logits (n_texts, n_outputs): all windows of all texts, sorted by
        length, through the network in batches of at most `batch_size` windows and `max_tokens` padded
        tokens (one window alone may be longer), then each text's windows combined."""
        flat = [w for ws in windows for w in ws]
        order = sorted(range(len(flat)), key=lambda i: len(flat[i]))
        out: list = [None] * len(flat)
        for idx in _batches([len(flat[i]) for i in order], batch_size, max_tokens):
            idx = [order[i] for i in idx]
            for i, row in zip(idx, self.forward([flat[i] for i in idx])):
                out[i] = row
        per_text, pos = [], 0
        for ws in windows:
            rows = out[pos : pos + len(ws)]
            pos += len(ws)
            per_text.append(rows[0] if len(rows) == 1 else aggregate(np.stack(rows), self.first_window_weight))
        return np.stack(per_text) if per_text else np.zeros((0, len(self.labels.targets)))

    def postprocess(self, logits: np.ndarray) -> list[tuple[str, dict[str, float]]]:
        exp = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs = (exp / exp.sum(axis=1, keepdims=True)).tolist()
        return [self.labels.three_way(p, self.neutral_margin) for p in probs]

    # -- whole texts ------------------------------------------------------------------------------
    def predict(self, texts: list[str], batch_size: int = FORWARD_BATCH) -> list[tuple[str, dict[str, float]]]:
        """(label, probabilities) per text, no language gate; long texts as windows."""
        windows, _ = self.preprocess(texts)
        return self.postprocess(self.logits(windows, batch_size))

    def score(self, texts: list[str], batch_size: int = FORWARD_BATCH,
              hints: list[str | None] | None = None) -> list[Score]:
        """Language gate first; Dutch texts (and others when configured, flagged) are scored. `hints`:
        the platforms' language tags, used only where the text leaves the language uncertain."""
        scores = [Score(None, None, None) for _ in texts]
        to_gate = []
        for i, text in enumerate(texts):
            if not text.strip():
                # No words, no sentiment: neutral by definition, not whatever the model makes of "".
                scores[i].label, scores[i].probabilities = "neutral", {"negative": 0.0, "neutral": 1.0, "positive": 0.0}
                scores[i].flags = [FLAG_EMPTY]
            else:
                to_gate.append(i)
        to_score = []
        detected_all = self.gate.detect_many([texts[i] for i in to_gate], [hints[i] if hints else None for i in to_gate])
        for i, detected in zip(to_gate, detected_all):
            s = scores[i]
            s.lang = detected.lang
            if not detected.certain:
                s.flags.append(FLAG_UNCERTAIN_LANGUAGE)
            if not detected.dutch:
                if not self.score_other_languages:
                    continue
                s.flags.append(FLAG_OTHER_LANGUAGE)
            to_score.append(i)
        if to_score:
            windows, capped = self.preprocess([texts[i] for i in to_score])
            for i, cut, (label, probs) in zip(to_score, capped, self.postprocess(self.logits(windows, batch_size))):
                scores[i].label = label
                scores[i].probabilities = {k: round(probs[k], 6) for k in LABELS}
                if cut:
                    scores[i].flags.append(FLAG_TRUNCATED)
        return scores


def _batches(lengths: list[int], batch_size: int, max_tokens: int) -> list[list[int]]:
    """Consecutive index ranges over `lengths` (sorted ascending): at most batch_size items each, and
    at most max_tokens once padded to the batch's last (longest) item; never empty."""
    batches: list[list[int]] = []
    current: list[int] = []
    for i, length in enumerate(lengths):
        if current and (len(current) >= batch_size or (len(current) + 1) * length > max_tokens):
            batches.append(current)
            current = []
        current.append(i)
    return batches + [current] if current else batches


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


def _network(runtime: str, torch_model, *, model_id: str, version: str, quantized: bool, settings, calibration=None,
             ranges_file: Path | None = None):
    """The model ready to run: exported to ONNX Runtime (once, into the cache; int8 = the variant chosen
    for this CPU) or as torch; an architecture the exporter cannot trace still scores, more slowly, on torch."""
    if runtime == "onnx":
        from sentiment.kernels import chosen_variant
        from sentiment.ort import OnnxNetwork, model_dir, variant_dir

        key = f"{model_id}@{version}"
        try:
            variant = chosen_variant(model_dir(settings.cache_dir, key))[0] if quantized else "fp32"
            return OnnxNetwork(variant_dir(torch_model, settings.cache_dir, key=key, variant=variant,
                                           calibration=calibration, ranges_file=ranges_file), settings.threads)
        except Exception as exc:
            log.warning("ONNX export of %s failed (%s: %s); scoring with torch instead", model_id,
                        type(exc).__name__, exc)
    return TorchNetwork(quantize(torch_model()) if quantized else torch_model())


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _tokenizer(path: Path | str):
    """The model's tokenizer: its tokenizer.json through `tokenizers` (no torch), else transformers'."""
    if isinstance(path, Path) and (path / "tokenizer.json").exists():
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        tokenizer.no_truncation()  # windows do the cutting; a saved truncation would cut before them
        tokenizer.no_padding()
        return tokenizer
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


def load_scorer(settings=None, *, model: str | None = None, quantized: bool | None = None,
                runtime: str | None = None, gate: LanguageGate | None = None) -> Scorer:
    """The configured model (NEWSROOM_MODEL: a local directory or a hub id; empty = the shipped one).

    The shipped model is assembled in the cache on first use (see sentiment.shipped); any other is
    loaded with `from_pretrained`, a hub id needing internet or the local Hugging Face cache.
    `runtime` (default NEWSROOM_RUNTIME): "onnx" runs the model exported into the cache
    (sentiment.ort), "torch" the transformers model itself. `quantized` (default NEWSROOM_QUANTIZE)
    runs int8: on ONNX the variant `newsroom model prepare` chose for this CPU (see the model card).
    newsroom.json beside the weights gives the input prefix, max length and window settings
    (first_window_weight, max_windows, window_stride)."""
    if settings is None:
        from core.config.settings import get_settings

        settings = get_settings()
    name = settings.model if model is None else model
    runtime = runtime or settings.runtime
    quantized = settings.quantize if quantized is None else quantized
    path, model_id, version = _locate(name, settings.cache_dir)
    info: dict = {}
    if isinstance(path, Path):
        info = _read_json(path / "newsroom.json")
        config = _read_json(path / "config.json")
        tokenizer = _tokenizer(path)
        positions = int(config.get("max_position_embeddings", 512))
        max_length = info.get("max_length") or min(
            int(_read_json(path / "tokenizer_config.json").get("model_max_length") or positions), positions, 512)
    else:  # a hub id: transformers resolves it (and its commit is the version)
        from transformers import AutoConfig

        import sentiment.modeling  # noqa: F401  registers the shipped model's architecture

        hub_config = AutoConfig.from_pretrained(path)
        config = hub_config.to_dict()
        version = (getattr(hub_config, "_commit_hash", None) or "unknown")[:12]
        tokenizer = _tokenizer(path)
        max_length = min(int(tokenizer.model_max_length), 512)

    def torch_model():
        import torch
        from transformers import AutoModelForSequenceClassification

        import sentiment.modeling  # noqa: F401  registers the shipped model's architecture

        torch.set_num_threads(settings.threads)
        return AutoModelForSequenceClassification.from_pretrained(path, dtype=torch.float32)

    input_prefix = info.get("input_prefix", "")

    def calibration() -> list[list[int]]:  # the windows int8 is calibrated on, when it is built
        from sentiment.kernels import TEXTS

        return [w for ws in encode_windows_capped(tokenizer, list(TEXTS), prefix=input_prefix, max_length=max_length)[0]
                for w in ws]

    from sentiment.ort import RANGES_FILE

    ranges_file = path / RANGES_FILE if isinstance(path, Path) else None
    network = _network(runtime, torch_model, model_id=model_id, version=version, quantized=quantized,
                       settings=settings, calibration=calibration, ranges_file=ranges_file)
    if quantized:
        version += "+int8"
    return Scorer(network, tokenizer, config["id2label"], model_id=model_id, model_version=version,
                  input_prefix=input_prefix, max_length=max_length, neutral_margin=settings.neutral_margin,
                  score_other_languages=settings.score_other_languages, gate=gate, pad_id=config.get("pad_token_id"),
                  first_window_weight=float(info.get("first_window_weight", 1.0)),
                  max_windows=int(info.get("max_windows", MAX_WINDOWS)), window_stride=info.get("window_stride"))


def prepare_kernels(settings=None, *, model: str | None = None) -> dict:
    """Build every ONNX variant of the configured model, time each on this CPU on fixed texts, check
    the quantised ones against fp32, and record the choice in the model's cache (kernel.json):
    what NEWSROOM_QUANTIZE=true then runs. Returns the record."""
    from sentiment.kernels import TEXTS, cpu_flags, measure, write_choice
    from sentiment.ort import RANGES_FILE, VARIANTS, OnnxNetwork, model_dir, variant_dir

    if settings is None:
        from core.config.settings import get_settings

        settings = get_settings()
    fp32 = load_scorer(settings, model=model, runtime="onnx", quantized=False)
    source = _locate(settings.model if model is None else model, settings.cache_dir)[0]
    if not isinstance(fp32.network, OnnxNetwork):
        raise RuntimeError("the model could not be exported to ONNX; nothing to choose")
    key = f"{fp32.model_id}@{fp32.model_version}"
    windows, _ = fp32.preprocess(list(TEXTS))
    scorers = {}
    for variant in VARIANTS:
        path = variant_dir(None, settings.cache_dir, key=key, variant=variant,  # fp32 is built: None never called
                           calibration=lambda: [w for ws in fp32.preprocess(list(TEXTS))[0] for w in ws],
                           ranges_file=source / RANGES_FILE if isinstance(source, Path) else None)
        network = OnnxNetwork(path, settings.threads)

        def score(ws, network=network):
            fp32.network = network
            return fp32.logits(ws)

        scorers[variant] = score
    record = measure(scorers, windows)
    cpu = cpu_flags()
    record["path"] = str(write_choice(model_dir(settings.cache_dir, key), record, cpu))
    record["cpu"] = cpu
    return record


def write_activation_ranges(texts: list[str], *, source: Path | None = None, cache_dir: Path | str | None = None,
                            threads: int = 2, samples: int = 200) -> Path:
    """Measure the activation ranges that int8 is smoothed with (sentiment.ort.smooth) on `samples` of
    `texts` (every n-th, so every set in a training mix is in) with the fp32 graph of the model in
    `source` (default the shipped folder), and write them beside its weights (sentiment.ort.RANGES_FILE).
    Run after every retrain: sentiment.train calls it once the weights are exported. Returns the path."""
    from core.config.settings import Settings
    from sentiment.ort import MODEL_FILE, RANGES_FILE, OnnxNetwork, activation_ranges, write_ranges
    from sentiment.shipped import SHIPPED_DIR, assembled_dir

    source = Path(source) if source else SHIPPED_DIR
    extra = {"cache_dir": Path(cache_dir)} if cache_dir else {}
    settings = Settings(threads=threads, model="", **extra)
    # The shipped folder loads as the default model, another folder exported as it is (weights without the
    # word embeddings) through its assembled copy, and a complete transformers folder as it is.
    if source.resolve() == SHIPPED_DIR.resolve():
        model = ""
    elif (source / "tokenizer.json").exists() or (source / "tokenizer_config.json").exists():
        model = str(source)
    else:
        model = str(assembled_dir(settings.cache_dir, source))
    scorer = load_scorer(settings, model=model, runtime="onnx", quantized=False)
    if not isinstance(scorer.network, OnnxNetwork):
        raise RuntimeError("the model could not be exported to ONNX; no activation ranges to measure")
    chosen = texts[:: max(1, len(texts) // samples)]
    windows = [w for ws in scorer.preprocess(chosen)[0] for w in ws]
    ranges = activation_ranges(scorer.network.path / MODEL_FILE, windows, scorer.pad_id)
    return write_ranges(ranges, source / RANGES_FILE)
