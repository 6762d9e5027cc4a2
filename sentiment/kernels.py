"""Which quantised kernel runs fastest on this CPU, measured once at `newsroom model prepare`.

    choice = measure(networks, tokenizer_windows)   # {"choice": "int8", "measured": {...}, "cpu": {...}}
    write_choice(model_dir, choice)                 # <cache>/onnx-…/kernel.json
    chosen_variant(model_dir)                       # what scoring with NEWSROOM_QUANTIZE=true runs

int8 arithmetic differs by CPU: with AVX512-VNNI or AVX-VNNI, u8 x s8 products are summed in 32 bits
and full 8-bit weights are safe; without VNNI (AVX2 only) they are summed in saturating 16 bits and
7-bit weights (`int8-r7`) avoid overflow. `u8s8_saturates` probes ONNX Runtime's product itself and
kernel.json records it. Measured on an AVX2-only AMD EPYC (where it saturates), 8-bit weights still
agreed with fp32 on more dev labels than 7-bit ones (0.968 against 0.943, mean probability difference
0.015 against 0.035; benchmarks/quantization_eval.py): pairs of large activations meeting pairs of the
largest weights are rare, while 7-bit weights lose precision everywhere. bf16 would pay where the CPU has AVX512-BF16 or AMX, but
ONNX Runtime's CPU provider has no bf16 MatMul (probed at prepare and recorded), so it is not a
candidate. `prepare` times each candidate on a fixed set of Dutch texts, checks its labels against
fp32 on the same texts, and records the fastest one that agrees, with the CPU's flags: a cache copied
to another CPU is measured again rather than trusted (`chosen_variant` then falls back to the flags).
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

CHOICE_FILE = "kernel.json"
FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8", "amx_tile")
# A quantised variant must give fp32's label on at least this share of the fixed texts.
MIN_AGREEMENT = 0.95
TIE = 0.15  # timings this close are a tie on a loaded machine
# Fixed texts for timing and agreement: tweets, news leads and one long review (several windows).
TEXTS = (
    "Alweer geen bus naar Zernike vanochtend, 20 minuten in de kou staan wachten. Top geregeld",
    "Wat een prachtige avond op de Grote Markt! Groningen op zijn best",
    "Kliko al drie weken niet geleegd in Selwerd. Iemand enig idee wie ik moet bellen?",
    "De nieuwe fietsenstalling bij het station is echt een verbetering, eindelijk plek",
    "Parkeervergunning aangevraagd in september en nog steeds niks gehoord van de gemeente",
    "Zaterdag koopzondag in de binnenstad, wie gaat er?",
    "Mooi initiatief: buurtbewoners in de Oosterparkwijk planten samen 50 bomen",
    "Die wegwerkzaamheden op de ring zuid duren echt eeuwig, elke dag file",
    "Net een vergunning aangevraagd via de website, binnen een week geregeld. Chapeau!",
    "Gemeenteraad vergadert donderdag over het nieuwe afvalbeleid",
    "Waarom staan er overal e-steps midden op de stoep? Levensgevaarlijk voor ouderen",
    "Fijne medewerker aan de telefoon, probleem direct opgelost",
    "Het is weer zover: grofvuil staat al dagen op straat in de Korrewegwijk",
    "Noorderzon dit jaar weer fantastisch, wat een sfeer in het Noorderplantsoen",
    "Iemand die weet of de Vismarkt morgen afgesloten is voor de markt?",
    "Schandalig hoe lang de wachtlijst voor een sociale huurwoning is",
    "Lekker bezig gemeente, de nieuwe speeltuin in Vinkhuizen is super geworden",
    "Drukte bij de ijsbaan vanavond, kom op tijd",
    "Geluidsoverlast van de bouw begint om 7 uur 's ochtends. Echt niet normaal",
    "Bedankt aan de brandweer voor de snelle hulp gisteravond",
    "Het eten was koud en de bediening onvriendelijk, hier komen we nooit meer.",
    "Heerlijke pasta, vriendelijk personeel en een mooi terras aan het water.",
    "Het restaurant ligt aan de rand van de stad en is open van dinsdag tot zondag.",
    "Nieuwe fietsbrug over het kanaal geopend. Fietsers besparen volgens de gemeente tot tien minuten op "
    "hun route naar de stad. De wethouder sprak van een mijlpaal voor het fietsbeleid in de regio.",
    "Gemeente verhoogt afvalstoffenheffing. Huishoudens betalen volgend jaar gemiddeld 48 euro meer voor "
    "het ophalen van afval. Oppositiepartijen noemen de stijging onacceptabel.",
    "Brand in leegstaand pand aan de Oosterstraat. De brandweer had het vuur snel onder controle. Niemand "
    "raakte gewond; de politie onderzoekt of er sprake is van brandstichting.",
    "We kwamen binnen op een zaterdagavond en werden meteen naar een tafel bij het raam gebracht. De kaart "
    "is kort maar er staat voor ieder wat op, en de wijnkaart is uitgebreid. Als voorgerecht namen we de "
    "carpaccio en de soep van de dag, daarna de vis en een stoofgerecht. Het duurde wel lang voordat het "
    "hoofdgerecht kwam, bijna drie kwartier, en toen het kwam was de vis droog en lauw. De ober leek het "
    "niet te kunnen schelen en bij het afrekenen bleek er een fles wijn te veel op de rekening te staan. "
    "Voor deze prijs verwacht je veel meer; wij gaan hier niet meer naartoe en raden het niemand aan.",
)


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> dict:
    """The CPU's model name and the flags that decide the int8/bf16 kernels ({} where unknown)."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return {}
    info: dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key in ("model name", "flags") and key not in info:
            info[key] = value.strip()
    present = set(info.get("flags", "").split())
    return {"model": info.get("model name", ""), "flags": sorted(f for f in FLAGS if f in present)}


def has_vnni(cpu: dict) -> bool:
    return bool({"avx512_vnni", "avx_vnni", "amx_int8"} & set(cpu.get("flags", ())))


def default_variant(cpu: dict) -> str:
    """The int8 variant for a CPU, without measuring: full 8-bit with VNNI, 7-bit weights without."""
    return "int8" if has_vnni(cpu) else "int8-r7"


def bf16_supported() -> str | None:
    """None when ONNX Runtime's CPU provider can run a bf16 MatMul; otherwise why not."""
    import onnxruntime
    from onnx import TensorProto, helper

    dt = TensorProto.BFLOAT16
    graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"])], "probe",
                              [helper.make_tensor_value_info("a", dt, [2, 2]), helper.make_tensor_value_info("b", dt, [2, 2])],
                              [helper.make_tensor_value_info("c", dt, [2, 2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    try:
        onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    except Exception as exc:  # NOT_IMPLEMENTED on the CPU provider of onnxruntime 1.32
        return f"onnxruntime {onnxruntime.__version__} CPU provider: {str(exc).splitlines()[0][:160]}"
    return None


def u8s8_saturates() -> bool:
    """Whether ONNX Runtime's u8 x s8 integer product saturates on this CPU (no VNNI kernel): one
    product whose exact value, 2 x 255 x 127, does not fit in 16 bits."""
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    weights = numpy_helper.from_array(np.full((2, 1), 127, dtype=np.int8), "b")
    graph = helper.make_graph([helper.make_node("MatMulInteger", ["a", "b"], ["c"])], "probe",
                              [helper.make_tensor_value_info("a", TensorProto.UINT8, [1, 2])],
                              [helper.make_tensor_value_info("c", TensorProto.INT32, [1, 1])], [weights])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    product = session.run(None, {"a": np.full((1, 2), 255, dtype=np.uint8)})[0]
    return int(product[0, 0]) != 2 * 255 * 127


def _timed_logits(score, windows: list[list[list[int]]], repeats: int) -> tuple[np.ndarray, float]:
    """(per-text logits, best seconds over `repeats` runs) of score(windows)."""
    best, logits = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        logits = score(windows)
        best = min(best, time.perf_counter() - started)
    return np.asarray(logits), best


def measure(scorers: dict, windows: list[list[list[int]]], repeats: int = 3, cpu: dict | None = None) -> dict:
    """Time each variant's `score(windows) -> per-text logits` and compare its labels with fp32's.
    `scorers` maps variant names to such callables and must include "fp32". Returns the record that
    write_choice stores: per variant texts/s, label agreement and largest probability difference,
    and the choice (of the quantised variants that agree with fp32 and run within TIE of the fastest,
    the closest to fp32, then the CPU's default; None if none agrees)."""
    reference, _ = _timed_logits(scorers["fp32"], windows, 1)
    ref_probs = _softmax(reference)
    measured = {}
    for name, score in scorers.items():
        logits, seconds = _timed_logits(score, windows, repeats)
        probs = _softmax(logits)
        measured[name] = {"texts_per_s": round(len(windows) / seconds, 1),
                          "label_agreement": round(float((probs.argmax(1) == ref_probs.argmax(1)).mean()), 3),
                          "max_probability_difference": round(float(np.abs(probs - ref_probs).max()), 4)}
    agreeing = [n for n, m in measured.items() if n != "fp32" and m["label_agreement"] >= MIN_AGREEMENT]
    choice = None
    if agreeing:
        fastest = max(measured[n]["texts_per_s"] for n in agreeing)
        # Within the timing noise of a shared machine the one closest to fp32 wins (8-bit and 7-bit
        # weights run the same kernel; where 8-bit saturates it still lost less, see the docstring),
        # and where they are as close, the CPU's own default. Closest by the largest probability
        # difference first: on a few fixed texts one label that flips at the neutral margin moves
        # the agreement by several points, the probabilities only as far as they really differ.
        preferred = default_variant(cpu_flags() if cpu is None else cpu)
        near = [n for n in agreeing if measured[n]["texts_per_s"] >= (1 - TIE) * fastest]
        choice = min(near, key=lambda n: (measured[n]["max_probability_difference"], -measured[n]["label_agreement"],
                                          n != preferred))
    return {"choice": choice, "measured": measured, "min_agreement": MIN_AGREEMENT}


def _softmax(logits: np.ndarray) -> np.ndarray:
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def write_choice(model_dir: Path, record: dict, cpu: dict | None = None) -> Path:
    import onnxruntime

    record = {**record, "cpu": cpu if cpu is not None else cpu_flags(), "onnxruntime": onnxruntime.__version__,
              "bf16": bf16_supported() or "supported", "u8s8_saturates": u8s8_saturates(), "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    path = Path(model_dir) / CHOICE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def read_choice(model_dir: Path) -> dict | None:
    try:
        return json.loads((Path(model_dir) / CHOICE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def chosen_variant(model_dir: Path, cpu: dict | None = None) -> tuple[str, str]:
    """(the quantised variant to score with, why): the one recorded at prepare on this CPU, else the
    CPU flags' default."""
    cpu = cpu_flags() if cpu is None else cpu
    record = read_choice(model_dir)
    if record and record.get("choice") and record.get("cpu", {}).get("flags") == cpu.get("flags"):
        return record["choice"], "measured at prepare"
    if record and record.get("choice"):
        return default_variant(cpu), "recorded on another CPU; CPU flags' default"
    return default_variant(cpu), "not measured; CPU flags' default"
