"""Throughput and peak memory of sentiment scoring on realistic Dutch posts, 2 threads.

    python benchmarks/sentiment_throughput.py [--posts 600] [--threads 2]

Compares, in one run, each in a fresh process (so peak memory is its own):
  onnx fp32 batched      the production path: sentiment.scoring on ONNX Runtime, batches sorted by length
  onnx int8 batched      the same with dynamic int8 quantisation (NEWSROOM_QUANTIZE=true)
  torch fp32 / int8      the same batches through eager transformers (NEWSROOM_RUNTIME=torch)
  pipeline one-by-one    the same fp32 model through transformers' pipeline, one text per call
  onnx fp32 + gate       the production path including lingua's language detection
The posts are invented Groningen tweets and news-article leads (title + lead), cycled to --posts.
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


def _peak_mb() -> float:
    """This process's peak resident memory. Not getrusage's ru_maxrss: on Linux a spawned child
    starts from its parent's peak, so every row would report the parent's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(kind: str, n: int, threads: int, queue) -> None:
    import torch

    from core.config.settings import Settings
    from sentiment.scoring import load_scorer

    torch.set_num_threads(threads)
    settings = Settings(threads=threads, model="")
    posts = texts(n)
    if kind == "pipeline":
        from transformers import pipeline

        from sentiment.shipped import assembled_dir

        path = assembled_dir(settings.cache_dir)
        classify = pipeline("text-classification", model=str(path), tokenizer=str(path), device="cpu", top_k=None)
        classify("query: " + posts[0], truncation=True, max_length=64)  # warm-up
        started = time.perf_counter()
        for text in posts:
            classify("query: " + text, truncation=True, max_length=64)
    else:
        runtime, _, precision = kind.partition("-")
        scorer = load_scorer(settings, runtime="onnx" if runtime == "gate" else runtime, quantized=precision == "int8")
        # warm-up (and, for the gate, loading lingua's models) outside the timed part
        scorer.score(posts[:64]) if kind == "gate" else scorer.predict(posts[:64])
        started = time.perf_counter()
        if kind == "gate":
            scorer.score(posts)
        else:
            scorer.predict(posts)
    seconds = time.perf_counter() - started
    queue.put({"kind": kind, "posts": n, "seconds": round(seconds, 2), "posts_per_s": round(n / seconds, 1),
               "peak_rss_mb": round(_peak_mb())})


def measure(kind: str, n: int, threads: int) -> dict:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_run, args=(kind, n, threads, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=600)
    parser.add_argument("--pipeline-posts", type=int, default=150, help="fewer: it is slow")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    from core.config.settings import Settings
    from sentiment.scoring import load_scorer

    for quantized in (False, True):  # export the graphs outside the timed processes
        load_scorer(Settings(model=""), runtime="onnx", quantized=quantized)
    rows = [
        ("pipeline one-by-one (fp32)", measure("pipeline", args.pipeline_posts, args.threads)),
        ("onnx fp32 batched", measure("onnx-fp32", args.posts, args.threads)),
        ("onnx int8 batched", measure("onnx-int8", args.posts, args.threads)),
        ("torch fp32 batched", measure("torch-fp32", args.posts, args.threads)),
        ("torch int8 batched", measure("torch-int8", args.posts, args.threads)),
        ("onnx fp32 + language gate", measure("gate", args.posts, args.threads)),
    ]
    base = rows[0][1]["posts_per_s"]
    # Shared machines: a busy one slows every row alike, but say so.
    print(f"load average (1/5/15 min) at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"{'':30} {'posts':>6} {'posts/s':>8} {'vs pipeline':>12} {'peak RSS MB':>12}")
    for name, r in rows:
        print(f"{name:30} {r['posts']:>6} {r['posts_per_s']:>8} {r['posts_per_s'] / base:>11.1f}x {r['peak_rss_mb']:>12}")
    print(json.dumps({name: r for name, r in rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
