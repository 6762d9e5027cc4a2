"""A Mastodon instance: hashtag and public timelines, search, statuses with their context, accounts.

Paging as Mastodon does it: max_id / since_id / min_id on snowflake-like ids (time in the high bits),
a Link header with rel="next" (older) and rel="prev" (newer). Boosts appear on the booster's account
timeline as a status whose `reblog` is the original, as on a real instance; hashtag timelines and
search hold originals only.
"""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from .corpus import DemoPost
from .feeds import article_url
from .formats import dutch, iso_local, iso_z, matches, words
from .site import (
    TEMPLATES,
    Request,
    Response,
    html_response,
    json_response,
    not_found,
    png_response,
    text_response,
)

INSTANCE = "Groningen Sociaal (demo)"
DEFAULT_LIMIT, MAX_LIMIT = 20, 40
ACCOUNT_BASE = 109_200_000_000_000_000
ROBOTS = "User-agent: *\nDisallow: /media_proxy/\nDisallow: /interact/\n"


def status_id(post: DemoPost) -> int:
    return (int(post.at.timestamp() * 1000) << 16) | (post.n & 0xFFFF)


def account_id(post_or_author) -> str:
    author = getattr(post_or_author, "author", post_or_author)
    return str(ACCOUNT_BASE + author.number)


class Timeline:
    """The instance as it is at this request: released statuses, with counts derived from them."""

    def __init__(self, req: Request):
        self.req = req
        self.posts = req.released()
        self.by_id = {status_id(p): p for p in self.posts}
        self.replies = Counter(p.parent.n for p in self.posts if p.parent is not None)
        self.boosts = Counter(p.quote.n for p in self.posts if p.boost and p.quote is not None)

    def originals(self) -> list[DemoPost]:
        return [p for p in self.posts if not p.boost]

    def account(self, author) -> dict:
        base = self.req.base
        created = self.req.corpus.start - timedelta(days=400 + author.number % 900)
        statuses = sum(1 for p in self.posts if p.author.key == author.key)
        return {
            "id": account_id(author), "username": author.key, "acct": author.key, "display_name": author.name,
            "locked": False, "bot": False, "discoverable": True, "indexable": True, "group": False,
            "created_at": iso_z(created.replace(hour=0, minute=0, second=0, microsecond=0)),
            "note": str(TEMPLATES.get_template("fragments.html").module.paragraphs([author.bio] if author.bio else [])),
            "url": f"{base}/@{author.key}",
            "uri": f"{base}/users/{author.key}", "avatar": f"{base}/avatars/{author.key}.png",
            "avatar_static": f"{base}/avatars/{author.key}.png", "header": "", "header_static": "",
            "followers_count": author.followers, "following_count": 50 + author.number % 300,
            "statuses_count": 40 + statuses + author.number % 500,
            "last_status_at": f"{self.req.now:%Y-%m-%d}", "hide_collections": False, "emojis": [], "fields": [],
        }

    def status(self, post: DemoPost) -> dict:
        base = self.req.base
        sid = str(status_id(post))
        if post.boost:
            return {
                **self._empty(post, sid), "uri": f"{base}/users/{post.author.key}/statuses/{sid}/activity",
                "url": f"{base}/users/{post.author.key}/statuses/{sid}/activity", "reblog": self.status(post.quote),
            }
        mention = None
        if post.parent is not None:
            mention = {"url": f"{base}/@{post.parent.author.key}", "username": post.parent.author.key}
        link = article_url(self.req, post.link) if post.link is not None else None
        content = TEMPLATES.get_template("fragments.html").module.mastodon_content(
            post.text.split("\n\n"), mention=mention, link=link, tags=post.tags, tag_base=base)
        data = {
            **self._empty(post, sid),
            "in_reply_to_id": str(status_id(post.parent)) if post.parent is not None else None,
            "in_reply_to_account_id": account_id(post.parent) if post.parent is not None else None,
            "language": post.lang, "uri": f"{base}/users/{post.author.key}/statuses/{sid}",
            "url": f"{base}/@{post.author.key}/{sid}", "replies_count": self.replies[post.n],
            "reblogs_count": post.reposts + self.boosts[post.n], "favourites_count": post.likes,
            "content": str(content),
            "mentions": [{"id": account_id(post.parent), "username": post.parent.author.key,
                          "url": f"{base}/@{post.parent.author.key}", "acct": post.parent.author.key}]
            if post.parent is not None else [],
            "tags": [{"name": tag, "url": f"{base}/tags/{tag}"} for tag in post.tags],
        }
        if post.image:
            data["media_attachments"] = [{
                "id": str(status_id(post) + 1), "type": "image",
                "url": f"{base}/system/media_attachments/files/{sid}/original/{post.image}.png",
                "preview_url": f"{base}/system/media_attachments/files/{sid}/small/{post.image}.png",
                "remote_url": None, "preview_remote_url": None, "text_url": None,
                "meta": {"original": {"width": 320, "height": 180, "size": "320x180", "aspect": 1.7777777777777777}},
                "description": "Foto bij het bericht", "blurhash": "UBL_:rOpGG-;~qRjWBay00t7ofj[",
            }]
        if post.link is not None:
            data["card"] = {"url": link, "title": post.link.title, "description": post.link.teaser, "type": "link",
                            "author_name": post.link.author.name, "provider_name": post.link.place, "image": None,
                            "width": 0, "height": 0, "html": "", "embed_url": "", "blurhash": None}
        return data

    def _empty(self, post: DemoPost, sid: str) -> dict:
        return {
            "id": sid, "created_at": iso_z(post.at), "in_reply_to_id": None, "in_reply_to_account_id": None,
            "sensitive": False, "spoiler_text": "", "visibility": "public", "language": None, "uri": "", "url": None,
            "replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "edited_at": None, "content": "",
            "reblog": None, "application": None, "account": self.account(post.author), "media_attachments": [],
            "mentions": [], "tags": [], "emojis": [], "card": None, "poll": None,
        }


def _id_arg(req: Request, name: str) -> int | None:
    value = req.arg(name)
    return int(value) if value and value.isdigit() else None


def page(req: Request, timeline: Timeline, posts: list[DemoPost]) -> Response:
    """One page of `posts` (any order) as Mastodon pages them, with its Link header."""
    limit = req.int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    max_id, since_id, min_id = _id_arg(req, "max_id"), _id_arg(req, "since_id"), _id_arg(req, "min_id")
    ordered = sorted(posts, key=status_id, reverse=True)
    if max_id is not None:
        ordered = [p for p in ordered if status_id(p) < max_id]
    if since_id is not None:
        ordered = [p for p in ordered if status_id(p) > since_id]
    if min_id is not None:
        # min_id pages forward: the `limit` statuses just after min_id, still newest first.
        ordered = [p for p in ordered if status_id(p) > min_id][-limit:]
    selected = ordered[:limit]
    links = []
    if len(selected) == limit:
        links.append(f'<{req.url(max_id=status_id(selected[-1]), min_id=None, since_id=None)}>; rel="next"')
    if selected:
        links.append(f'<{req.url(min_id=status_id(selected[0]), max_id=None, since_id=None)}>; rel="prev"')
    headers = rate_limit(req)
    if links:
        headers["Link"] = ", ".join(links)
    return json_response([timeline.status(p) for p in selected], headers=headers)


def rate_limit(req: Request) -> dict[str, str]:
    reset = (req.now + timedelta(minutes=5)).replace(second=0, microsecond=0)
    return {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "299", "X-RateLimit-Reset": iso_z(reset)}


def _media_only(req: Request, posts: list[DemoPost]) -> list[DemoPost]:
    if req.arg("only_media", "false").lower() in ("true", "1"):
        return [p for p in posts if p.image]
    return posts


def tag_timeline(req: Request, tag: str) -> Response:
    timeline = Timeline(req)
    wanted = {tag.lower(), *(t.lower() for t in req.args("any"))}
    posts = [p for p in timeline.originals() if wanted & {t.lower() for t in p.tags}]
    return page(req, timeline, _media_only(req, posts))


def public_timeline(req: Request) -> Response:
    timeline = Timeline(req)
    return page(req, timeline, _media_only(req, timeline.originals()))


def search(req: Request) -> Response:
    """/api/v2/search: statuses whose text holds every word of q, accounts and hashtags by name."""
    q = (req.arg("q") or "").strip()
    if not q:
        return json_response({"error": "Validation failed: q is missing"}, status=400)
    kind = req.arg("type")
    limit = req.int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = req.int_arg("offset", 0, 0, 10_000)
    timeline = Timeline(req)
    wanted = words(q)
    result = {"accounts": [], "statuses": [], "hashtags": []}
    if kind in (None, "statuses"):
        posts = [p for p in sorted(timeline.originals(), key=status_id, reverse=True)
                 if matches(wanted, p.text + " " + " ".join(p.tags))]
        max_id, min_id = _id_arg(req, "max_id"), _id_arg(req, "min_id")
        if max_id is not None:
            posts = [p for p in posts if status_id(p) < max_id]
        if min_id is not None:
            posts = [p for p in posts if status_id(p) > min_id]
        result["statuses"] = [timeline.status(p) for p in posts[offset:offset + limit]]
    if kind in (None, "accounts"):
        authors = {p.author.key: p.author for p in timeline.posts}
        found = [a for a in authors.values() if wanted <= words(f"{a.key} {a.name}")]
        result["accounts"] = [timeline.account(a) for a in found[offset:offset + limit]]
    if kind in (None, "hashtags"):
        tags = sorted({t for p in timeline.posts for t in p.tags if any(w in t for w in wanted)})
        result["hashtags"] = [{"name": t, "url": f"{req.base}/tags/{t}", "history": []}
                              for t in tags[offset:offset + limit]]
    return json_response(result, headers=rate_limit(req))


def _find(timeline: Timeline, sid: str) -> DemoPost | None:
    return timeline.by_id.get(int(sid)) if sid.isdigit() else None


def status(req: Request, sid: str) -> Response:
    timeline = Timeline(req)
    post = _find(timeline, sid)
    if post is None:
        return json_response({"error": "Record not found"}, status=404)
    return json_response(timeline.status(post), headers=rate_limit(req))


def context(req: Request, sid: str) -> Response:
    timeline = Timeline(req)
    post = _find(timeline, sid)
    if post is None:
        return json_response({"error": "Record not found"}, status=404)
    ancestors, parent = [], post.parent
    while parent is not None:
        ancestors.insert(0, parent)
        parent = parent.parent
    descendants = [p for p in timeline.originals() if _descends(p, post)]
    return json_response({"ancestors": [timeline.status(p) for p in ancestors],
                          "descendants": [timeline.status(p) for p in descendants]}, headers=rate_limit(req))


def _descends(post: DemoPost, ancestor: DemoPost) -> bool:
    parent = post.parent
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.parent
    return False


def _author(timeline: Timeline, aid: str):
    return next((p.author for p in timeline.posts if account_id(p.author) == aid), None)


def account(req: Request, aid: str) -> Response:
    timeline = Timeline(req)
    author = _author(timeline, aid)
    if author is None:
        return json_response({"error": "Record not found"}, status=404)
    return json_response(timeline.account(author), headers=rate_limit(req))


def lookup(req: Request) -> Response:
    timeline = Timeline(req)
    acct = (req.arg("acct") or "").lstrip("@").split("@")[0]
    author = next((p.author for p in timeline.posts if p.author.key == acct), None)
    if author is None:
        return json_response({"error": "Record not found"}, status=404)
    return json_response(timeline.account(author), headers=rate_limit(req))


def account_statuses(req: Request, aid: str) -> Response:
    timeline = Timeline(req)
    author = _author(timeline, aid)
    if author is None:
        return json_response({"error": "Record not found"}, status=404)
    posts = [p for p in timeline.posts if p.author.key == author.key]
    if req.arg("exclude_replies", "false").lower() in ("true", "1"):
        posts = [p for p in posts if p.parent is None]
    if req.arg("exclude_reblogs", "false").lower() in ("true", "1"):
        posts = [p for p in posts if not p.boost]
    if req.arg("tagged"):
        posts = [p for p in posts if req.arg("tagged").lower() in p.tags]
    return page(req, timeline, _media_only(req, posts))


def instance(req: Request) -> Response:
    host = req.base.split("//", 1)[1]
    return json_response({
        "uri": host, "domain": host, "title": INSTANCE, "version": "4.3.2",
        "description": "Demonstratie-instance van newsroom: alle berichten zijn verzonnen.",
        "languages": ["nl"], "registrations": False, "approval_required": False,
        "configuration": {"statuses": {"max_characters": 500}},
    })


def permalink(req: Request, username: str, sid: str) -> Response:
    timeline = Timeline(req)
    post = _find(timeline, sid)
    if post is None or post.author.key != username or post.boost:
        return not_found()
    shown = {
        "anchor": f"status-{sid}", "author": f"{post.author.name} (@{post.author.key})",
        "published": iso_local(post.at), "published_text": dutch(post.at),
        "reach": f"{post.author.followers} volgers", "paragraphs": post.text.split("\n\n"),
        "image": f"{req.base}/system/media_attachments/files/{sid}/original/{post.image}.png" if post.image else None,
        "link": article_url(req, post.link) if post.link is not None else None,
    }
    return html_response("post.html", site=INSTANCE, title=f"Bericht van {post.author.name}", posts=[shown])


def media(req: Request, sid: str, size: str, name: str) -> Response:
    return png_response(name)


def avatar(req: Request, username: str) -> Response:
    return png_response(f"avatar-{username}")


def robots(req: Request) -> Response:
    return text_response(ROBOTS)


ROUTES = [
    (r"/robots\.txt", robots),
    (r"/api/v1/timelines/tag/(?P<tag>[^/]+)", tag_timeline),
    (r"/api/v1/timelines/public", public_timeline),
    (r"/api/v2/search", search),
    (r"/api/v1/statuses/(?P<sid>[^/]+)/context", context),
    (r"/api/v1/statuses/(?P<sid>[^/]+)", status),
    (r"/api/v1/accounts/lookup", lookup),
    (r"/api/v1/accounts/(?P<aid>\d+)/statuses", account_statuses),
    (r"/api/v1/accounts/(?P<aid>\d+)", account),
    (r"/api/v1/instance", instance),
    (r"/api/v2/instance", instance),
    (r"/@(?P<username>[a-z0-9]+)/(?P<sid>\d+)", permalink),
    (r"/system/media_attachments/files/(?P<sid>\d+)/(?P<size>original|small)/(?P<name>[a-z0-9-]+)\.png", media),
    (r"/avatars/(?P<username>[a-z0-9]+)\.png", avatar),
]
