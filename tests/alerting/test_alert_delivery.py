"""An alert delivered end to end: a spike in a test store -> one e-mail on a local SMTP server and one
POST to a local webhook receiver, and nothing more within the cooldown."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

from alerting.deliver import deliver_pending, in_quiet_hours, targets_for
from core.analytics.emerging import run_alerts
from core.config.settings import Settings
from core.config.watch import parse_config
from core.ingest.policy import ingest_post
from core.store.schema import alerts, scores
from core.store.sources import get_source, sync_sources

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)  # 11:00 in Groningen
H = timedelta(hours=1)
PROBABILITIES = {"negative": (0.8, 0.15, 0.05), "neutral": (0.1, 0.8, 0.1)}


def make_config(routes, quiet_hours=""):
    return parse_config({
        "watch": {"city": "Groningen", "terms": ["Groningen", "Stad"]},
        "themes": [
            {"name": "afval", "label": "Afval", "terms": ["afval", "container", "kliko"],
             "page": "https://gemeente.groningen.nl/afval"},
            {"name": "parkeren", "terms": ["parkeren", "parkeervergunning"], "page": "https://gemeente.groningen.nl/parkeren"},
        ],
        "sources": [{"name": "mastodon", "kind": "mastodon", "url": "https://mastodon.nl", "local": True}],
        "newsletter": {"sender": "newsroom@groningen.nl", "base_url": "https://newsroom.groningen.nl"},
        "alerts": {"sensitivity": 3.0, "min_posts": 5, "cooldown": "6h", "quiet_hours": quiet_hours, "routes": routes},
    })


def _own_words(seed: str) -> str:
    """Words no other post has: the post is its own story, and its words are no top terms."""
    return " ".join(f"{word}{seed}" for word in ("melding", "buurt", "ochtend", "hoek", "straat", "vraag", "plek"))


class Store:
    def __init__(self, engine, config):
        self.engine, self.config, self.n = engine, config, 0
        with engine.begin() as conn:
            sync_sources(conn, config)

    def post(self, at, text, label="neutral", title=None):
        self.n += 1
        with self.engine.begin() as conn:
            _, post_id = ingest_post(conn, get_source(conn, "mastodon"), {
                "external_id": f"m{self.n}", "url": f"https://mastodon.nl/@inwoner/{self.n}", "title": title,
                "text": text, "published_at": at}, themes=self.config.themes)
            negative, neutral, positive = PROBABILITIES[label]
            conn.execute(insert(scores).values(post_id=post_id, label=label, negative=negative, neutral=neutral,
                                               positive=positive, model="test", model_version="1", scored_at=at))
        return post_id

    def baseline(self):
        for i in range(60):  # a kliko question every six hours for fifteen days
            self.post(NOW - (6 * i + 4) * H, f"Vraag {i} over de kliko ophalen")

    def spike(self, at, n=8):
        # Each post in its own words: near-identical posts would be one story, counted once.
        return [self.post(at - timedelta(minutes=4 + 6 * i),
                          f"Weer een overvolle container bij de Vismarkt. Stank! {_own_words(f'{at:%d%H%M}x{i}')}",
                          label="negative") for i in range(n)]

    def open_alerts(self, now):
        with self.engine.begin() as conn:
            return run_alerts(conn, self.config, now)


@pytest.fixture
def settings(smtp, engine):
    return Settings(database_url=str(engine.url), smtp_url=smtp.url, timezone="Europe/Amsterdam")


def test_a_spike_reaches_mail_and_webhook_once(engine, smtp, webhook, settings):
    # One route for every alert: the spike also raises term alerts for its words ("vismarkt",
    # "stank"), about the same posts; people get it once.
    config = make_config([{"emails": ["kcc@groningen.nl", "webredactie@groningen.nl"],
                           "webhooks": [webhook.url()], "format": "json"}])
    store = Store(engine, config)
    store.baseline()
    spike = store.spike(NOW)
    opened = store.open_alerts(NOW)
    with engine.connect() as conn:
        kinds = [conn.execute(select(alerts.c.kind).where(alerts.c.id == a)).scalar() for a in opened]
    assert kinds[0] == "theme" and "term" in kinds

    reports = deliver_pending(engine, config, settings, now=NOW)
    assert len(smtp.messages) == 1 and len(webhook.requests) == 1

    mail = smtp.messages[0]
    assert sorted(mail["to"]) == ["kcc@groningen.nl", "webredactie@groningen.nl"]
    assert mail["message"]["Subject"] == "[Kritiek] Afval: 8 berichten in het afgelopen uur (normaal 0,0)"
    text = mail["message"].get_body(("plain",)).get_content()
    html = mail["message"].get_body(("html",)).get_content()
    for body in (text, html):
        assert "https://gemeente.groningen.nl/afval" in body  # the page to check
        assert "Weer een overvolle container bij de Vismarkt. Stank!" in body  # the posts behind it
        assert "−100 (was +0, verandering −100)" in body  # the sentiment change
        assert "https://newsroom.groningen.nl/wall" in body

    words = next(line for line in text.splitlines() if line.startswith("Woorden: "))
    assert set(words.removeprefix("Woorden: ").split(", ")) == {"vismarkt", "overvolle", "stank"}  # top terms

    sent = webhook.requests[0]["json"]
    assert sent["event"] == "newsroom.alert" and sent["alert"]["key"] == "afval"
    assert sent["alert"]["details"]["sentiment_change"] < 0 and sent["alert"]["details"]["top_terms"]
    assert [p["id"] for p in sent["posts"]] == spike
    assert sent["alert"]["page"] == "https://gemeente.groningen.nl/afval"
    assert [(r["id"], len(r["sent"]), len(r["skipped"])) for r in reports] == [
        (opened[0], 2, 0), *((term, 0, 2) for term in opened[1:])]

    # The spike goes on: analytics opens nothing new within its cooldown ...
    store.spike(NOW + 2 * H, n=10)
    with engine.connect() as conn:
        assert [a for a in store.open_alerts(NOW + 2 * H)
                if conn.execute(select(alerts.c.kind).where(alerts.c.id == a)).scalar() == "theme"] == []
    # ... and a second alert about the same theme from anywhere is not sent again within the cooldown.
    with engine.begin() as conn:
        again = conn.execute(insert(alerts).values(
            kind="theme", key="afval", title="Afval: nog steeds druk", details={}, post_ids=[], status="open",
            severity="warning", opened_at=NOW + 2 * H, updated_at=NOW + 2 * H)).inserted_primary_key[0]
    deliver_pending(engine, config, settings, now=NOW + 2 * H)
    assert len(smtp.messages) == 1 and len(webhook.requests) == 1
    with engine.connect() as conn:
        row = conn.execute(select(alerts).where(alerts.c.id == again)).one()
    assert row.delivered_at is not None and "afkoelperiode" in row.details["delivery_note"]

    # After the cooldown a new alert goes out again.
    later = NOW + 7 * H
    with engine.begin() as conn:
        conn.execute(insert(alerts).values(kind="theme", key="afval", title="Afval: opnieuw", details={}, post_ids=[],
                                           status="open", severity="warning", opened_at=later, updated_at=later))
    deliver_pending(engine, config, settings, now=later)
    assert len(smtp.messages) == 2 and len(webhook.requests) == 2


def test_quiet_hours_hold_alerts_until_they_end(engine, smtp, webhook, settings):
    config = make_config([{"emails": ["kcc@groningen.nl"], "webhooks": [webhook.url()]}], quiet_hours="22:00-07:00")
    night = datetime(2026, 11, 20, 22, 30, tzinfo=timezone.utc)  # 23:30 in Groningen
    with engine.begin() as conn:
        conn.execute(insert(alerts).values(kind="theme", key="parkeren", title="Parkeren: 9 berichten", details={},
                                           post_ids=[], status="open", severity="warning", opened_at=night,
                                           updated_at=night))
        resolved = conn.execute(insert(alerts).values(
            kind="theme", key="afval", title="Afval: 6 berichten", details={}, post_ids=[], status="resolved",
            severity="warning", opened_at=night, updated_at=night)).inserted_primary_key[0]
    assert deliver_pending(engine, config, settings, now=night) == []
    assert deliver_pending(engine, config, settings, now=night + 7 * H) == []  # 06:30
    assert smtp.messages == [] and webhook.requests == []
    reports = deliver_pending(engine, config, settings, now=night + 8 * H)  # 07:30: out they go
    assert len(smtp.messages) == 1 and len(webhook.requests) == 1
    assert next(r for r in reports if r["id"] == resolved)["note"] == "afgehandeld vóór verzending"


def test_critical_themes_pass_the_quiet_hours(engine, smtp, webhook, settings):
    config = make_config([{"emails": ["kcc@groningen.nl"]}], quiet_hours="22:00-07:00")
    themes = [config.themes[0].model_copy(update={"critical": True}), config.themes[1]]
    config = config.model_copy(update={"themes": themes})
    night = datetime(2026, 11, 20, 22, 30, tzinfo=timezone.utc)  # 23:30 in Groningen
    with engine.begin() as conn:
        for key in ("afval", "parkeren"):
            conn.execute(insert(alerts).values(kind="theme", key=key, title=f"{key}: 9 berichten", details={},
                                               post_ids=[], status="open", severity="warning", opened_at=night,
                                               updated_at=night))
    reports = deliver_pending(engine, config, settings, now=night)
    assert len(reports) == 1 and len(smtp.messages) == 1  # afval is critical: it goes out at night
    assert "afval" in smtp.messages[0]["message"]["Subject"]
    deliver_pending(engine, config, settings, now=night + 8 * H)  # parkeren waits for the morning
    assert len(smtp.messages) == 2 and "parkeren" in smtp.messages[1]["message"]["Subject"]


def test_a_failed_webhook_is_retried_without_resending_the_mail(engine, smtp, webhook, settings):
    config = make_config([{"emails": ["kcc@groningen.nl"], "webhooks": [webhook.url()]}])
    with engine.begin() as conn:
        conn.execute(insert(alerts).values(kind="source", key="oogtv", title="Bron oogtv stil", details={},
                                           post_ids=[], status="open", severity="critical", opened_at=NOW, updated_at=NOW))
    webhook.fail_next = 1
    first = deliver_pending(engine, config, settings, now=NOW)
    assert len(smtp.messages) == 1 and webhook.requests == [] and first[0]["failed"] and not first[0]["done"]
    second = deliver_pending(engine, config, settings, now=NOW + timedelta(minutes=1))
    assert len(smtp.messages) == 1 and len(webhook.requests) == 1 and second[0]["done"]
    assert deliver_pending(engine, config, settings, now=NOW + timedelta(minutes=2)) == []


def test_teams_and_slack_formats(engine, smtp, webhook, settings):
    config = make_config([{"webhooks": [webhook.url("/teams")], "format": "teams"},
                          {"webhooks": [webhook.url("/slack")], "format": "slack"}])
    store = Store(engine, config)
    post = store.post(NOW - H, "Kliko <b>niet</b> geleegd & de container [zie](javascript:alert(1)) stinkt", label="negative",
                      title="Kliko niet geleegd <script>")
    with engine.begin() as conn:
        conn.execute(insert(alerts).values(
            kind="theme", key="afval", title="Afval: 6 negatieve berichten", page="https://gemeente.groningen.nl/afval",
            details={"top_terms": ["kliko", "stank"], "net_sentiment": -60.0, "previous_net_sentiment": -5.0,
                     "sentiment_change": -55.0}, post_ids=[post], status="open", severity="critical",
            opened_at=NOW, updated_at=NOW))
    deliver_pending(engine, config, settings, now=NOW)
    by_path = {r["path"]: r["json"] for r in webhook.requests}
    card = by_path["/teams"]["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    facts = {f["title"]: f["value"] for f in card["content"]["body"][1]["facts"]}
    assert facts["Sentiment"] == "−60 (was −5, verandering −55)" and facts["Woorden"] == "kliko, stank"
    assert {"type": "Action.OpenUrl", "title": "Pagina controleren", "url": "https://gemeente.groningen.nl/afval"} in card["content"]["actions"]
    slack = by_path["/slack"]
    assert slack["text"] == "Afval: 6 negatieve berichten"
    assert slack["blocks"][0]["type"] == "header"
    posts_text = slack["blocks"][2]["text"]["text"]
    assert "&lt;script&gt;" in posts_text and "<script>" not in posts_text
    assert "<https://mastodon.nl/@inwoner/1|" in posts_text


def test_html_mail_escapes_post_text(engine, smtp, settings):
    config = make_config([{"emails": ["kcc@groningen.nl"]}])
    store = Store(engine, config)
    post = store.post(NOW - H, "tekst", title='<img src=x onerror="alert(1)">Kliko')
    with engine.begin() as conn:
        conn.execute(insert(alerts).values(kind="term", key="kliko", title="Opkomend woord ‘kliko’", details={},
                                           post_ids=[post], status="open", severity="warning", opened_at=NOW, updated_at=NOW))
    deliver_pending(engine, config, settings, now=NOW)
    html = smtp.messages[0]["message"].get_body(("html",)).get_content()
    assert "&lt;img src=x onerror=" in html and "<img" not in html


def test_routing_and_quiet_hours_rules():
    config = make_config([{"themes": ["afval"], "emails": ["afval@groningen.nl"]},
                          {"emails": ["kcc@groningen.nl"], "webhooks": ["https://hooks.example/secret-token"]}])
    routes = config.alerts.routes
    assert set(targets_for({"kind": "theme", "key": "afval"}, routes)) == {
        "email:afval@groningen.nl", "email:kcc@groningen.nl", next(t for t in targets_for({"kind": "source", "key": "x"}, routes) if t.startswith("webhook"))}
    assert [t for t in targets_for({"kind": "source", "key": "oogtv"}, routes) if "secret-token" in t] == []
    assert set(targets_for({"kind": "theme", "key": "parkeren"}, routes)) == set(targets_for({"kind": "term", "key": "x"}, routes))
    tz = timezone(timedelta(hours=1))
    assert in_quiet_hours("22:00-07:00", datetime(2026, 1, 1, 23, 0, tzinfo=tz))
    assert in_quiet_hours("22:00-07:00", datetime(2026, 1, 1, 6, 59, tzinfo=tz))
    assert not in_quiet_hours("22:00-07:00", datetime(2026, 1, 1, 7, 0, tzinfo=tz))
    assert in_quiet_hours("12:00-13:00", datetime(2026, 1, 1, 12, 30, tzinfo=tz))
    assert not in_quiet_hours("", datetime(2026, 1, 1, 12, 30, tzinfo=tz))
    with pytest.raises(ValueError):
        in_quiet_hours("'s nachts", datetime(2026, 1, 1, 12, 30, tzinfo=tz))
