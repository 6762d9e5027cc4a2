"""/metrics in the Prometheus text format: posts ingested, crawl runs and failures per source, the
scoring rate and queue, open alerts, and with `newsroom worker` the task queue's depth per queue and
its failed jobs. Read from the store at each scrape, so every process agrees."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse
from sqlalchemy import Connection

from core.analytics.metrics import store_metrics
from core.analytics.taskqueue import queue_figures
from core.config.settings import Settings

from .deps import get_conn, get_settings, read_access

router = APIRouter(tags=["health"])

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _label(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class _Exposition:
    def __init__(self):
        self.lines: list[str] = []

    def metric(self, name: str, kind: str, help_text: str, samples: list[tuple[dict[str, str], float]]) -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            rendered = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
            number = str(int(value)) if float(value).is_integer() else repr(float(value))
            self.lines.append(f"{name}{{{rendered}}} {number}" if rendered else f"{name} {number}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def exposition(figures: dict) -> str:
    out = _Exposition()
    per_source = sorted(figures["sources"].items())
    out.metric("newsroom_posts_ingested_total", "counter", "New posts stored by crawls, per source.",
               [({"source": name}, s["ingested"]) for name, s in per_source])
    out.metric("newsroom_posts_stored", "gauge", "Posts in the store now (after retention), per source.",
               [({"source": name}, s["posts"]) for name, s in per_source])
    out.metric("newsroom_crawl_runs_total", "counter", "Crawl runs per source and status (ok, failed, running).",
               [({"source": name, "status": status}, n) for name, s in per_source for status, n in sorted(s["runs"].items())])
    out.metric("newsroom_crawl_failures_total", "counter", "Failed crawl runs per source.",
               [({"source": name}, s["failures"]) for name, s in per_source])
    out.metric("newsroom_crawl_last_success_timestamp_seconds", "gauge", "End of the last successful crawl, per source.",
               [({"source": name}, s["last_success"].timestamp()) for name, s in per_source if s["last_success"]])
    out.metric("newsroom_posts_scored_total", "counter", "Posts with a sentiment score.", [({}, figures["scored_total"])])
    out.metric("newsroom_scoring_rate_per_minute", "gauge", "Posts scored per minute over the last five minutes.",
               [({}, round(figures["scoring_rate_per_minute"], 3))])
    out.metric("newsroom_scoring_queue_length", "gauge", "Posts waiting for a sentiment score.", [({}, figures["unscored"])])
    out.metric("newsroom_scores_stale", "gauge", "Posts scored by an older model version, waiting to be rescored.",
               [({}, figures["stale"])])
    out.metric("newsroom_alerts_active", "gauge", "Alerts not yet resolved, per kind and status.",
               [({"kind": kind, "status": status}, n) for (kind, status), n in sorted(figures["alerts"].items())])
    out.metric("newsroom_alerts_undelivered", "gauge", "Alerts waiting for delivery (e.g. in quiet hours).",
               [({}, figures["alerts_undelivered"])])
    return out.text()


def queue_exposition(figures: dict) -> str:
    """The task engine's queue (newsroom worker on PostgreSQL); nothing when it is not in use."""
    if not figures["jobs"] and not figures["workers"]:
        return ""
    out = _Exposition()
    out.metric("newsroom_task_jobs", "gauge", "Task engine jobs per queue and status (todo = waiting, doing = running).",
               [({"queue": queue, "status": status}, n) for (queue, status), n in sorted(figures["jobs"].items())])
    out.metric("newsroom_task_failures", "gauge", "Failed task engine jobs kept in the queue, per task.",
               [({"task": task}, n) for task, n in sorted(figures["failed"].items())])
    out.metric("newsroom_task_workers", "gauge", "Workers that sent a heartbeat in the last minute.",
               [({}, figures["workers"])])
    return out.text()


@router.get("/metrics", response_class=PlainTextResponse, dependencies=[Depends(read_access)])
def metrics(conn: Connection = Depends(get_conn), settings: Settings = Depends(get_settings)):
    figures = store_metrics(conn, include_other_languages=settings.score_other_languages)
    return PlainTextResponse(exposition(figures) + queue_exposition(queue_figures(conn)), media_type=CONTENT_TYPE)
