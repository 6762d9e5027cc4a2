"""The scheduled jobs of `newsroom run`, end to end: a spike now -> the analytics job opens the alert ->
the alerts job mails it and posts it to the webhook, once."""
from datetime import timedelta

from sqlalchemy import insert

from core.config.settings import Settings
from core.config.watch import parse_config
from core.ingest.policy import ingest_post
from core.store.schema import scores, utcnow
from core.store.sources import get_source, sync_sources
from newsroom.jobs import alerts_job, analytics_job

_OWN_WORDS = [
    "Mijn buurvrouw betaalt nu bijna tweehonderd euro voor haar tweede auto.",
    "Wie heeft dit bedacht zonder de wijkraad te vragen?",
    "Ik ga bezwaar maken, doe je mee?",
    "Studenten met een oud busje worden zo de stad uit gejaagd.",
    "Volgens de brief geldt het al vanaf januari, veel te kort dag.",
    "De garage om de hoek is ook al duurder geworden sinds de zomer.",
    "Eerst de bomen weg voor stoepen en nu dit erbij.",
]


def test_the_jobs_deliver_a_spike_once(engine, smtp, webhook):
    config = parse_config({
        "watch": {"city": "Groningen", "terms": ["Groningen"]},
        "themes": [{"name": "parkeren", "label": "Parkeren", "terms": ["parkeren", "parkeervergunning"],
                    "page": "https://gemeente.groningen.nl/parkeren"}],
        "sources": [{"name": "reddit", "kind": "reddit", "url": "https://www.reddit.com/r/groningen", "local": True}],
        "alerts": {"min_posts": 5, "cooldown": "6h",
                   "routes": [{"emails": ["kcc@groningen.nl"], "webhooks": [webhook.url()], "format": "slack"}]},
    })
    now = utcnow()
    with engine.begin() as conn:
        sync_sources(conn, config)
        source = get_source(conn, "reddit")
        for day in range(1, 15):  # two quiet weeks: a parking question every day
            ingest_post(conn, source, {"external_id": f"q{day}", "url": f"https://www.reddit.com/r/groningen/q{day}",
                                     "text": f"Vraag {day}: waar kan ik parkeren bij het station?",
                                     "published_at": now - timedelta(days=day, hours=3)}, themes=config.themes)
        for i in range(7):
            _, post_id = ingest_post(conn, source, {
                "external_id": f"r{i}", "url": f"https://www.reddit.com/r/groningen/{i}",
                "title": f"Parkeervergunning {i} ineens twee keer zo duur?",
                # each in its own words: near-identical posts would be one story, counted once
                "text": f"De nieuwe tarieven voor de parkeervergunning in de Oosterpark zijn absurd. {_OWN_WORDS[i]}",
                "published_at": now - timedelta(minutes=5 + 5 * i)}, themes=config.themes)
            conn.execute(insert(scores).values(post_id=post_id, label="negative", negative=0.9, neutral=0.05,
                                               positive=0.05, model="test", model_version="1"))
    settings = Settings(database_url=str(engine.url), smtp_url=smtp.url, timezone="UTC")
    started = now - timedelta(days=1)

    assert analytics_job(engine, config)
    alerts_job(engine, config, settings, started)
    assert len(smtp.messages) == 1 and len(webhook.requests) == 1
    assert "Parkeren: 7 berichten in het afgelopen uur" in smtp.messages[0]["message"]["Subject"]
    assert webhook.requests[0]["json"]["blocks"][0]["text"]["text"].startswith("Parkeren: 7")

    analytics_job(engine, config)
    alerts_job(engine, config, settings, started)
    assert len(smtp.messages) == 1 and len(webhook.requests) == 1
