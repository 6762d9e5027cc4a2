"""What an alert says, in each format: e-mail (text + HTML from templates), generic JSON, Microsoft
Teams (an Adaptive Card, as Teams workflows take it) and Slack (Block Kit).

Each carries the posts behind the alert, the top terms, the sentiment change and the public-information
page to check. Post text is untrusted: the HTML template escapes it, Slack's mrkdwn gets its three
control characters escaped, and Teams' markdown brackets are dropped from titles.
"""
from __future__ import annotations

from datetime import datetime, tzinfo
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from core.config.watch import WatchConfig
from core.vocabulary import label_name

SHOWN_POSTS = 5
KIND_LABELS = {"theme": "Thema", "term": "Opkomend woord", "source": "Bronstatus"}
SEVERITY_LABELS = {"critical": "Kritiek", "warning": "Waarschuwing"}

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def safe_url(url: str | None) -> str | None:
    """Only web links, with the characters that would break out of a link or a Slack <url|text> encoded."""
    if not url or not url.lower().startswith(("http://", "https://")):
        return None
    for char, code in (("<", "%3C"), (">", "%3E"), ("|", "%7C"), ('"', "%22"), (" ", "%20")):
        url = url.replace(char, code)
    return url


def _signed(value: float | None) -> str | None:
    if value is None:
        return None
    return f"{value:+.0f}".replace("-", "−")


def alert_view(alert: dict[str, Any], posts: list[dict[str, Any]], config: WatchConfig, tz: tzinfo) -> dict[str, Any]:
    """Everything a message shows, formatted once (Dutch, local time)."""
    details = alert.get("details") or {}
    base = config.newsletter.base_url.rstrip("/")
    opened = datetime.fromisoformat(alert["opened_at"]).astimezone(tz)
    sentiment = None
    if details.get("net_sentiment") is not None:
        sentiment = {
            "now": _signed(details["net_sentiment"]),
            "before": _signed(details.get("previous_net_sentiment")),
            "change": _signed(details.get("sentiment_change")),
        }
    shown = [
        {**post, "url": safe_url(post.get("url")), "label_text": label_name(post.get("label")),
         "when": datetime.fromisoformat(post["published_at"]).astimezone(tz).strftime("%d-%m %H:%M"),
         "headline": post.get("title") or post.get("text") or "(zonder tekst)"}
        for post in posts[:SHOWN_POSTS]
    ]
    return {
        "id": alert["id"],
        "city": config.watch.city,
        "title": alert["title"],
        "kind": alert["kind"],
        "kind_label": KIND_LABELS.get(alert["kind"], alert["kind"]),
        "key": alert["key"],
        "severity": alert["severity"],
        "severity_label": SEVERITY_LABELS.get(alert["severity"], alert["severity"]),
        "opened": opened.strftime("%d-%m-%Y %H:%M"),
        "page": safe_url(alert.get("page")),
        "top_terms": list(details.get("top_terms") or []),
        "sentiment": sentiment,
        "negative": details.get("negative"),
        "reason": details.get("reason"),
        "last_error": details.get("last_error"),
        "posts": shown,
        "more": max(0, len(alert.get("post_ids") or []) - len(shown)),
        "links": {
            "wall": f"{base}/wall",
            # People open the signal in the workspace (its posts, acknowledge and resolve with a note);
            # machines read the JSON.
            "alert": f"{base}/signalen/{alert['id']}",
            "api": f"{base}/api/alerts/{alert['id']}",
        },
    }


def email(view: dict[str, Any], sender: str, recipients: list[str], delivery_id: str | None = None) -> EmailMessage:
    """`delivery_id`: the same for every attempt to one target, so a retry after a crash carries the
    same Message-ID and X-Newsroom-Delivery, and mail systems and people can drop the copy."""
    domain = sender.rpartition("@")[2] or "newsroom.local"
    message = EmailMessage()
    message["Subject"] = f"[{view['severity_label']}] {view['title']}"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{delivery_id}@{domain}>" if delivery_id else make_msgid(domain=domain)
    message["X-Newsroom-Alert"] = str(view["id"])
    if delivery_id:
        message["X-Newsroom-Delivery"] = delivery_id
    message.set_content(_templates.get_template("alert.txt").render(alert=view))
    message.add_alternative(_templates.get_template("alert.html").render(alert=view), subtype="html")
    return message


def json_payload(view: dict[str, Any], alert: dict[str, Any], posts: list[dict[str, Any]]) -> dict[str, Any]:
    """Generic JSON for any receiver: the alert as the API gives it, its posts and the links."""
    return {
        "event": "newsroom.alert",
        "alert": {**{k: v for k, v in alert.items() if k != "details"}, "details": {
            k: v for k, v in (alert.get("details") or {}).items() if k not in ("deliveries", "delivery_note")
        }},
        "posts": posts,
        "links": view["links"],
    }


def _slack_escape(text: str) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _facts(view: dict[str, Any]) -> list[tuple[str, str]]:
    facts = [("Soort", f"{view['kind_label']}: {view['key']}"), ("Ernst", view["severity_label"]),
             ("Sinds", view["opened"])]
    if view["sentiment"]:
        s = view["sentiment"]
        facts.append(("Sentiment", f"{s['now']} (was {s['before'] or '?'}, verandering {s['change'] or '?'})"))
    if view["top_terms"]:
        facts.append(("Woorden", ", ".join(view["top_terms"])))
    if view["last_error"]:
        facts.append(("Laatste fout", view["last_error"][:300]))
    return facts


def slack_payload(view: dict[str, Any]) -> dict[str, Any]:
    lines = [f"*{name}:* {_slack_escape(value)}" for name, value in _facts(view)]
    if view["page"]:
        lines.append(f"*Controleer de pagina:* <{view['page']}|{_slack_escape(view['page'])}>")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": view["title"][:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
    ]
    if view["posts"]:
        items = []
        for post in view["posts"]:
            headline = _slack_escape(post["headline"][:150])
            link = f"<{post['url']}|{headline}>" if post.get("url") else headline
            items.append(f"• {link} — {_slack_escape(post['source'])}, {post['when']}, {post['label_text']}")
        if view["more"]:
            items.append(f"… en nog {view['more']} berichten")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(items)[:2900]}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                   f"Signaal #{view['id']} · <{view['links']['alert']}|openen en afhandelen> · <{view['links']['wall']}|wall>"}]})
    return {"text": view["title"], "blocks": blocks}


def _teams_text(text: str) -> str:
    return "".join(ch for ch in (text or "") if ch not in "[]*_")


def teams_payload(view: dict[str, Any]) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "size": "Large", "weight": "Bolder", "wrap": True, "text": _teams_text(view["title"]),
         "color": "Attention" if view["severity"] == "critical" else "Warning"},
        {"type": "FactSet", "facts": [{"title": name, "value": _teams_text(value)} for name, value in _facts(view)]},
    ]
    if view["posts"]:
        body.append({"type": "TextBlock", "weight": "Bolder", "text": "Berichten", "wrap": True})
        for post in view["posts"]:
            headline = _teams_text(post["headline"][:150])
            text = f"[{headline}]({post['url']})" if post.get("url") else headline
            body.append({"type": "TextBlock", "wrap": True, "spacing": "Small",
                         "text": f"{text} — {_teams_text(post['source'])}, {post['when']}, {post['label_text']}"})
        if view["more"]:
            body.append({"type": "TextBlock", "isSubtle": True, "text": f"… en nog {view['more']} berichten"})
    actions = [{"type": "Action.OpenUrl", "title": "Openen en afhandelen", "url": view["links"]["alert"]},
               {"type": "Action.OpenUrl", "title": "Naar de wall", "url": view["links"]["wall"]}]
    if view["page"]:
        actions.insert(0, {"type": "Action.OpenUrl", "title": "Pagina controleren", "url": view["page"]})
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
            "version": "1.4", "body": body, "actions": actions}
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
    ]}


def webhook_payload(fmt: str, view: dict[str, Any], alert: dict[str, Any], posts: list[dict[str, Any]]) -> dict:
    if fmt == "teams":
        return teams_payload(view)
    if fmt == "slack":
        return slack_payload(view)
    return json_payload(view, alert, posts)
