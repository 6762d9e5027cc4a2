"""A long-lived crawl process: `python -m crawlers.server` runs crawl after crawl in one Twisted reactor.

Starting Python, Scrapy and a store connection costs more than a crawl of a feed that answers 304, so
a worker keeps one of these per crawl slot (crawlers.launch.CrawlProcess) instead of a process per
crawl. It reads one request per line on stdin, {"source": NAME, "timeout": SECONDS}, crawls it (lock,
run record and heartbeat as in crawlers.run) and writes the result line on the descriptor it was
started with as stdout; everything else it prints goes to stderr, so a spider cannot garble the
answers. At end of input it exits; if its parent dies mid-crawl it exits at once, and the crawl's
run is taken over through its lock and heartbeat. Only the crawlers and core are imported: torch
stays out of crawl processes.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from typing import Any

logger = logging.getLogger(__name__)

REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


class Server:
    def __init__(self, answers) -> None:
        from core.config.file import ConfigFile
        from core.config.settings import get_settings
        from core.store.db import make_engine, migrate

        self.answers = answers
        self.settings = get_settings()
        self.engine = make_engine(self.settings.database_url)
        migrate(self.engine)
        self.config_file = ConfigFile(self.settings.config)
        self.busy = False

    def answer(self, outcome: dict[str, Any]) -> None:
        self.answers.write(json.dumps(outcome, ensure_ascii=False, default=str) + "\n")
        self.answers.flush()

    def start(self, request: dict[str, Any]):
        """Begin one crawl in the reactor; returns a Deferred that fires once it is answered."""
        from scrapy.crawler import CrawlerRunner
        from twisted.internet import defer

        from .run import Outcome, begin, finish, result
        from .settings import scrapy_settings
        from .spiders import UnknownKind, spider_class

        name = str(request.get("source", ""))
        self.busy = True
        try:
            started = begin(name, self.settings, engine=self.engine, config=self.config_file.current())
        except Outcome as ended:
            self.busy = False
            self.answer(ended.outcome)
            return defer.succeed(None)
        except Exception as exc:  # one bad request must not end the process that serves the others
            logger.exception("crawl of %s could not start", name)
            self.busy = False
            self.answer(result(name, None, "failed", f"crawl could not start: {exc.__class__.__name__}: {exc}"))
            return defer.succeed(None)

        job = started.job
        crawl_settings = started.crawl_settings
        if request.get("timeout"):
            crawl_settings = crawl_settings.model_copy(update={"time_limit": float(request["timeout"])})
        crawler = None

        def done(failure=None) -> None:
            if failure is not None:
                logger.error("crawl of %s crashed: %s", name, failure.getTraceback())
                job.fail(f"crawl crashed: {failure.type.__name__}: {failure.value}")
            requests = int(crawler.stats.get_value("downloader/request_count", 0)) if crawler and crawler.stats else 0
            try:
                _code, outcome = finish(started, requests)
            except Exception as exc:  # the store went away: say so, the lock and heartbeat are released
                logger.exception("crawl of %s could not be recorded", name)
                outcome = result(name, started.run_id, "failed", f"run not recorded: {exc.__class__.__name__}: {exc}")
            self.busy = False
            self.answer(outcome)

        try:
            spider_cls = spider_class(job.source.kind)
            runner = CrawlerRunner(scrapy_settings(crawl_settings, user_agent=self.settings.user_agent,
                                                   loopback_only=self.settings.loopback_only))
            crawler = runner.create_crawler(spider_cls)
            deferred = runner.crawl(crawler, job=job)
        except UnknownKind as exc:
            job.fail(str(exc))
            done()
            return defer.succeed(None)
        except Exception:  # the crawl machinery broke before it ran: recorded like a crash during it
            done(_failure())
            return defer.succeed(None)
        deferred.addCallbacks(lambda _: done(), done)
        return deferred


def _failure():
    from twisted.python.failure import Failure

    return Failure()


def main() -> int:
    # The parent decides when this process ends (the end of its input), also on Ctrl-C, which the
    # terminal sends to the whole process group.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The answers go to the real stdout; anything else printed to stdout lands on stderr.
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from scrapy.utils.reactor import install_reactor

    install_reactor(REACTOR)
    from twisted.internet import reactor

    server = Server(answers)
    requests: list[dict[str, Any]] = []

    def next_request() -> None:
        if requests and not server.busy:
            server.start(requests.pop(0)).addBoth(lambda _: reactor.callLater(0, next_request))

    def read() -> None:
        for line in sys.stdin:
            try:
                request = json.loads(line)
            except ValueError:
                logger.error("not a crawl request: %r", line[:200])
                continue
            reactor.callFromThread(lambda r=request: (requests.append(r), next_request()))
        # End of input: the parent is done with us, or died. Mid-crawl there is nobody to answer.
        if server.busy:
            os._exit(3)
        reactor.callFromThread(reactor.stop)

    threading.Thread(target=read, name="requests", daemon=True).start()
    reactor.run(installSignalHandlers=False)
    server.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
