"""Throughput and peak memory of sentiment scoring, on tweets and on long texts, 2 threads.

    python benchmarks/sentiment_throughput.py [--posts 600] [--long 120] [--threads 2]

Compares, in one run, each in a fresh process (so peak memory is its own), on two corpora:
  tweets  invented Groningen tweets and news-article leads (title + lead), cycled to --posts
  long    whole restaurant reviews (the `textlevel` file in ../shared, ~10 sentences each), the
          first --long of them: several windows each for the batched scorer
Rows:
  pipeline, first 128    the fp32 model through transformers' pipeline, one text per call, cut at the
                         model's max length (128 tokens): on long texts it reads only the opening, i.e.
                         less work than scoring the whole text; the "vs pipe" ratios are against this row
  pipeline, whole text   the same reading the whole text (up to 512 tokens, the position table's limit):
                         the same work as the scorer's windows, without their overlap
  shipped default        sentiment.scoring as configured by default (NEWSROOM_RUNTIME / QUANTIZE)
  onnx fp32 / int8       the batched scorer on ONNX Runtime; int8 = the kernel `newsroom model prepare`
                         chose for this CPU (sentiment.kernels), or the CPU flags' default
  torch fp32 batched     the same batches through eager transformers (NEWSROOM_RUNTIME=torch)
  default + gate         the shipped default including lingua's language gate (the scoring job's
                         path); "gate share" is the gate's own time over the whole score() time
  int8 + gate            the same on the int8 kernel
Peak RSS is each process's high-water mark (VmHWM) over both corpora, loading included.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TWEETS = [
    "Alweer geen bus naar Zernike vanochtend, 20 minuten in de kou staan wachten. Top geregeld @qbuzz",
    "Wat een prachtige avond op de Grote Markt! Groningen op zijn best 🎉",
    "Kliko al drie weken niet geleegd in Selwerd. Iemand enig idee wie ik moet bellen?",
    "De nieuwe fietsenstalling bij het station is echt een verbetering, eindelijk plek",
    "Parkeervergunning aangevraagd in september en nog steeds niks gehoord van de gemeente",
    "Zaterdag koopzondag in de binnenstad, wie gaat er?",
    "Mooi initiatief: buurtbewoners in de Oosterparkwijk planten samen 50 bomen 🌳",
    "Die wegwerkzaamheden op de ring zuid duren echt eeuwig, elke dag file",
    "Net een vergunning aangevraagd via de website, binnen een week geregeld. Chapeau!",
    "Gemeenteraad vergadert donderdag over het nieuwe afvalbeleid",
    "Waarom staan er overal e-steps midden op de stoep? Levensgevaarlijk voor ouderen",
    "Fijne medewerker aan de telefoon bij het KCC, probleem direct opgelost",
    "Het is weer zover: grofvuil staat al dagen op straat in de Korrewegwijk",
    "Noorderzon dit jaar weer fantastisch, wat een sfeer in het Noorderplantsoen",
    "Iemand die weet of de Vismarkt morgen afgesloten is voor de markt?",
    "Schandalig hoe lang de wachtlijst voor een sociale huurwoning in Stad is",
    "Lekker bezig gemeente, de nieuwe speeltuin in Vinkhuizen is super geworden",
    "Drukte bij de ijsbaan vanavond, kom op tijd",
    "Geluidsoverlast van de bouw bij het Forum begint om 7 uur 's ochtends. Echt niet normaal",
    "Bedankt aan de brandweer voor de snelle hulp gisteravond in de Schilderswijk",
]
LEADS = [
    "Nieuwe fietsbrug over het Van Starkenborghkanaal geopend. De langverwachte fietsbrug bij Zuidhorn is "
    "vanochtend officieel in gebruik genomen. Fietsers besparen volgens de gemeente tot tien minuten op hun "
    "route naar de stad. Wethouder De Vries sprak van een mijlpaal voor het fietsbeleid in de regio.",
    "Gemeente Groningen verhoogt afvalstoffenheffing. Huishoudens in Groningen betalen volgend jaar gemiddeld "
    "48 euro meer voor het ophalen van afval. De gemeente wijst op gestegen verwerkingskosten en een hogere "
    "rijksbelasting op verbranding. Oppositiepartijen noemen de stijging onacceptabel.",
    "Brand in leegstaand pand aan de Oosterstraat. In de nacht van zaterdag op zondag is brand uitgebroken in "
    "een leegstaand winkelpand in de binnenstad. De brandweer had het vuur snel onder controle. Niemand raakte "
    "gewond; de politie onderzoekt of er sprake is van brandstichting.",
    "Studenten vinden moeilijk een kamer. Aan het begin van het studiejaar zitten honderden internationale "
    "studenten nog zonder woonruimte. De universiteit en de gemeente openen een tijdelijke noodopvang in een "
    "sporthal. Studentenorganisaties spreken van een jaarlijks terugkerend probleem.",
    "Stadsbalkon krijgt groen dak. Het plein voor het hoofdstation wordt de komende maanden vergroend. Er komen "
    "bomen, plantenbakken en zitplekken. De werkzaamheden beginnen in maart en duren naar verwachting tot de zomer.",
    "Wachttijden bij KCC flink opgelopen. Inwoners die de gemeente bellen, moeten sinds de invoering van het "
    "nieuwe systeem gemiddeld een half uur wachten. De gemeente erkent de problemen en zet extra personeel in.",
]


def texts(n: int) -> list[str]:
    pool = TWEETS + LEADS
    return [pool[i % len(pool)] for i in range(n)]


REVIEWS = (Path(__file__).resolve().parents[2] / "shared" / "testdata" / "sentiment" / "semeval2016_absa_nl"
           / "restaurants_dutch_training_textlevel.xml")


def long_texts(n: int) -> list[str]:
    """The first n whole reviews, their sentences joined."""
    import xml.etree.ElementTree as ET

    reviews = [" ".join(" ".join((t.text or "").split()) for t in review.iter("text"))
               for review in ET.parse(REVIEWS).getroot().iter("Review")]
    return [r for r in reviews if r][:n]


def _peak_mb() -> float:
    """This process's peak resident memory. Not getrusage's ru_maxrss: on Linux a spawned child
    starts from its parent's peak, so every row would report the parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(kind: str, corpora: dict, threads: int, queue) -> None:
    from core.config.settings import Settings

    settings = Settings(threads=threads, model="")
    result: dict = {"kind": kind}
    if kind in ("pipeline", "pipeline-whole"):
        import torch
        from transformers import pipeline

        from sentiment.scoring import load_scorer
        from sentiment.shipped import assembled_dir

        torch.set_num_threads(threads)
        path = assembled_dir(settings.cache_dir)
        import sentiment.modeling  # noqa: F401  registers the shipped model's architecture with transformers

        max_length = 512 if kind == "pipeline-whole" else load_scorer(settings, runtime="torch", quantized=False).max_length
        classify = pipeline("text-classification", model=str(path), tokenizer=str(path), device="cpu", top_k=None)

        def run(posts):
            for text in posts:
                classify("query: " + text, truncation=True, max_length=max_length)
    else:
        from sentiment.scoring import load_scorer

        if kind in ("default", "gate"):
            scorer = load_scorer(settings)
        elif kind == "gate-int8":
            scorer = load_scorer(settings, runtime="onnx", quantized=True)
        else:
            runtime, _, precision = kind.partition("-")
            scorer = load_scorer(settings, runtime=runtime, quantized=precision == "int8")
        where = getattr(scorer.network, "path", None)
        result["variant"] = f"{scorer.model_version} {where.name if where else 'torch'}"
        result["windows"] = {}

        def run(posts):
            if kind.startswith("gate"):
                scorer.score(posts)
            else:
                scorer.predict(posts)

    for name, posts in corpora.items():
        run(posts[:16])  # warm-up (and, for the gate, loading lingua's models) outside the timed part
        started = time.perf_counter()
        run(posts)
        seconds = time.perf_counter() - started
        result[name] = {"texts": len(posts), "seconds": round(seconds, 2), "per_s": round(len(posts) / seconds, 1)}
        if not kind.startswith("pipeline"):
            result["windows"][name] = sum(len(w) for w in scorer.preprocess(posts)[0])
        if kind.startswith("gate"):
            started = time.perf_counter()
            scorer.gate.detect_many(posts)
            result[name]["gate_share"] = round((time.perf_counter() - started) / seconds, 3)
    result["peak_rss_mb"] = round(_peak_mb())
    queue.put(result)


def measure(kind: str, corpora: dict, threads: int) -> dict:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_run, args=(kind, corpora, threads, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


NAMES = {"pipeline": "pipeline, first 128 tokens", "pipeline-whole": "pipeline, whole text (<=512)",
         "default": "shipped default", "onnx-fp32": "onnx fp32 batched",
         "onnx-int8": "onnx int8 batched", "torch-fp32": "torch fp32 batched", "gate": "default + language gate",
         "gate-int8": "onnx int8 + language gate"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=600)
    parser.add_argument("--long", type=int, default=120, help="whole reviews")
    parser.add_argument("--pipeline-share", type=float, default=0.25, help="share of each corpus the pipeline scores (slow)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rows", default="pipeline,pipeline-whole,default,onnx-fp32,onnx-int8,torch-fp32,gate,gate-int8")
    args = parser.parse_args(argv)

    from core.config.settings import Settings
    from sentiment.scoring import load_scorer

    for quantized in (False, True):  # export the graphs outside the timed processes
        load_scorer(Settings(model=""), runtime="onnx", quantized=quantized)
    corpora = {"tweets": texts(args.posts), "long": long_texts(args.long)}
    kinds = args.rows.split(",")
    results = {}
    for kind in kinds:
        share = args.pipeline_share if kind.startswith("pipeline") else 1.0
        results[kind] = measure(kind, {k: v[: max(16, int(len(v) * share))] for k, v in corpora.items()}, args.threads)
    base = results.get("pipeline")
    windows = next((r["windows"] for r in results.values() if "windows" in r), {})
    # Shared machines: a busy one slows every row alike, but say so.
    print(f"load average (1/5/15 min) at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"tweets: {len(corpora['tweets'])} texts ({windows.get('tweets', '?')} windows); "
          f"long: {len(corpora['long'])} reviews ({windows.get('long', '?')} windows)")
    print(f"{'':28} {'tweets/s':>9} {'vs pipe':>8} {'long/s':>8} {'vs pipe':>8} {'peak RSS MB':>12}  variant")
    for kind, r in results.items():
        cells = []
        for corpus, width in (("tweets", 9), ("long", 8)):
            ratio = f"{r[corpus]['per_s'] / base[corpus]['per_s']:.1f}x" if base else "-"
            cells += [f"{r[corpus]['per_s']:>{width}}", f"{ratio:>8}"]
        gate = (f"  gate share {r['tweets']['gate_share']:.0%} / {r['long']['gate_share']:.0%}"
                if "gate_share" in r["tweets"] else "")
        print(f"{NAMES[kind]:28} {' '.join(cells)} {r['peak_rss_mb']:>12}  {r.get('variant', 'torch pipeline')}{gate}")
    whole = results.get("pipeline-whole")
    if whole and "default" in results:
        print("shipped default vs the whole-text pipeline: " + ", ".join(
            f"{c} {results['default'][c]['per_s'] / whole[c]['per_s']:.1f}x" for c in ("tweets", "long")))
    print(json.dumps({NAMES[k]: r for k, r in results.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
