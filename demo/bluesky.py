"""A Bluesky AppView: app.bsky.feed.searchPosts with cursor paging, threads, posts and profiles.

Shapes as the public AppView returns them: postView with uri (at://did/app.bsky.feed.post/rkey), cid,
author (profileViewBasic, no follower count: that is in getProfiles), record (the post as written:
text, createdAt, langs, reply, embed, facets), embed views, counts and indexedAt. The cursor is an
opaque string (here the first page's moment and an offset) that is absent on the last page.
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta, timezone

from .corpus import DemoPost
from .feeds import article_url
from .formats import base32, digest, dutch, iso_local, iso_z, words
from .images import png
from .site import (
    Request,
    Response,
    html_response,
    json_response,
    not_found,
    png_response,
    text_response,
)

DEFAULT_LIMIT, MAX_LIMIT = 25, 100
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TAG = re.compile(r"#(\w+)")
ROBOTS = "User-agent: *\nAllow: /\n"


def did(author) -> str:
    return "did:plc:" + base32(digest("did", author.key))[:24]


def handle(author) -> str:
    return f"{author.key}.bsky.social"


def rkey(post: DemoPost) -> str:
    """A TID: microseconds since the epoch and a clock id, in sortable base32."""
    value = (int(post.at.timestamp() * 1_000_000) << 10) | (post.n & 0x3FF)
    out = ""
    for _ in range(13):
        out = TID_ALPHABET[value & 31] + out
        value >>= 5
    return out


def uri(post: DemoPost) -> str:
    return f"at://{did(post.author)}/app.bsky.feed.post/{rkey(post)}"


def cid(post: DemoPost) -> str:
    return "bafyrei" + base32(digest("cid", post.n))[:52]


class View:
    """The network as it is at this request: released posts and the counts derived from them."""

    def __init__(self, req: Request):
        self.req = req
        self.posts = req.released()
        self.by_uri = {uri(p): p for p in self.posts}
        self.replies = Counter(p.parent.n for p in self.posts if p.parent is not None)
        self.quotes = Counter(p.quote.n for p in self.posts if p.quote is not None)

    def author(self, author) -> dict:
        return {
            "did": did(author), "handle": handle(author), "displayName": author.name,
            "avatar": f"{self.req.base}/img/avatar/plain/{did(author)}/avatar-{author.key}@png",
            "viewer": {"muted": False, "blockedBy": False}, "labels": [],
            "createdAt": iso_z(self.req.corpus.start - timedelta(days=300 + author.number % 500)),
        }

    def profile(self, author) -> dict:
        posts = sum(1 for p in self.posts if p.author.key == author.key)
        return {
            **self.author(author), "description": author.bio, "followersCount": author.followers,
            "followsCount": 80 + author.number % 400, "postsCount": 30 + posts + author.number % 700,
            "indexedAt": iso_z(self.req.corpus.start - timedelta(days=2)),
        }

    def record(self, post: DemoPost) -> dict:
        record: dict = {"$type": "app.bsky.feed.post", "createdAt": iso_z(post.at), "text": post.text}
        if post.lang:
            record["langs"] = [post.lang]
        facets = _tag_facets(post.text)
        if facets:
            record["facets"] = facets
        if post.parent is not None:
            root = post.parent
            while root.parent is not None:
                root = root.parent
            record["reply"] = {"root": {"cid": cid(root), "uri": uri(root)},
                               "parent": {"cid": cid(post.parent), "uri": uri(post.parent)}}
        if post.quote is not None:
            record["embed"] = {"$type": "app.bsky.embed.record",
                               "record": {"cid": cid(post.quote), "uri": uri(post.quote)}}
        elif post.link is not None:
            record["embed"] = {"$type": "app.bsky.embed.external", "external": {
                "uri": article_url(self.req, post.link), "title": post.link.title, "description": post.link.teaser}}
        elif post.image:
            record["embed"] = {"$type": "app.bsky.embed.images", "images": [{
                "alt": "Foto bij het bericht",
                "image": {"$type": "blob", "ref": {"$link": "bafkrei" + base32(digest("img", post.n))[:52]},
                          "mimeType": "image/png", "size": len(png(post.image))},
                "aspectRatio": {"width": 320, "height": 180}}]}
        return record

    def embed(self, post: DemoPost) -> dict | None:
        base = self.req.base
        if post.quote is not None:
            quoted = post.quote
            return {"$type": "app.bsky.embed.record#view", "record": {
                "$type": "app.bsky.embed.record#viewRecord", "uri": uri(quoted), "cid": cid(quoted),
                "author": self.author(quoted.author), "value": self.record(quoted), "labels": [],
                "likeCount": quoted.likes, "replyCount": self.replies[quoted.n], "repostCount": quoted.reposts,
                "quoteCount": self.quotes[quoted.n], "indexedAt": iso_z(quoted.at + timedelta(seconds=1)),
                "embeds": [e for e in (self.embed(quoted),) if e]}}
        if post.link is not None:
            return {"$type": "app.bsky.embed.external#view", "external": {
                "uri": article_url(self.req, post.link), "title": post.link.title,
                "description": post.link.teaser,
                "thumb": f"{base}/img/feed_thumbnail/plain/{did(post.author)}/{post.link.image}@png"
                if post.link.image else None}}
        if post.image:
            return {"$type": "app.bsky.embed.images#view", "images": [{
                "thumb": f"{base}/img/feed_thumbnail/plain/{did(post.author)}/{post.image}@png",
                "fullsize": f"{base}/img/feed_fullsize/plain/{did(post.author)}/{post.image}@png",
                "alt": "Foto bij het bericht", "aspectRatio": {"width": 320, "height": 180}}]}
        return None

    def post(self, post: DemoPost) -> dict:
        view = {
            "uri": uri(post), "cid": cid(post), "author": self.author(post.author), "record": self.record(post),
            "replyCount": self.replies[post.n], "repostCount": post.reposts, "likeCount": post.likes,
            "quoteCount": self.quotes[post.n], "indexedAt": iso_z(post.at + timedelta(milliseconds=850)),
            "viewer": {"threadMuted": False, "embeddingDisabled": False}, "labels": [],
        }
        embed = self.embed(post)
        if embed:
            view["embed"] = embed
        return view


def _tag_facets(text: str) -> list[dict]:
    facets = []
    for match in _TAG.finditer(text):
        start = len(text[:match.start()].encode("utf-8"))
        facets.append({"features": [{"$type": "app.bsky.richtext.facet#tag", "tag": match.group(1)}],
                       "index": {"byteStart": start, "byteEnd": start + len(match.group(0).encode("utf-8"))}})
    return facets


def _error(name: str, message: str, status: int = 400) -> Response:
    return json_response({"error": name, "message": message}, status=status)


def _when(value: str) -> datetime | None:
    """since/until: a datetime (RFC 3339) or a day (YYYY-MM-DD)."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def rate_limit(req: Request) -> dict[str, str]:
    reset = int((req.now + timedelta(minutes=5)).timestamp())
    return {"RateLimit-Limit": "3000", "RateLimit-Remaining": "2999", "RateLimit-Reset": str(reset),
            "RateLimit-Policy": "3000;w=300"}


def search_posts(req: Request) -> Response:
    q = (req.arg("q") or "").strip()
    if not q:
        return _error("InvalidRequest", 'Error: Params must have the property "q"')
    try:
        limit = int(req.arg("limit", str(DEFAULT_LIMIT)))
    except ValueError:
        return _error("InvalidRequest", "Error: limit must be an integer")
    if not 1 <= limit <= MAX_LIMIT:
        return _error("InvalidRequest", f"Error: limit must be between 1 and {MAX_LIMIT}")
    # The cursor names the moment of the first page and an offset, so later pages page over the same
    # results even while new posts come in.
    snapshot, offset = req.now, 0
    if req.arg("cursor"):
        try:
            moment, offset_text = req.arg("cursor").split("::")
            snapshot, offset = datetime.fromtimestamp(int(moment) / 1_000_000, timezone.utc), int(offset_text)
        except ValueError:
            return _error("InvalidRequest", "Error: malformed cursor")
    req.now = min(snapshot, req.now)
    view = View(req)
    terms, author, lang = [], None, req.arg("lang")
    for token in q.split():
        if token.startswith("from:"):
            author = token[5:].lstrip("@")
        elif token.startswith("lang:"):
            lang = token[5:]
        else:
            terms.append(token)
    wanted = words(" ".join(terms))
    author = author or req.arg("author")
    since, until = req.arg("since"), req.arg("until")
    since_at, until_at = (_when(since) if since else None), (_when(until) if until else None)
    if (since and since_at is None) or (until and until_at is None):
        return _error("InvalidRequest", "Error: since and until must be datetimes or dates")
    tags = {t.lower().lstrip("#") for t in req.args("tag")}
    found = []
    for post in view.posts:
        if wanted and not wanted <= words(post.text):
            continue
        if author and author not in (handle(post.author), did(post.author)):
            continue
        if lang and post.lang != lang:
            continue
        if since_at and post.at < since_at:
            continue
        if until_at and post.at >= until_at:
            continue
        if tags and not tags <= {t.lower() for t in _TAG.findall(post.text)}:
            continue
        found.append(post)
    if req.arg("sort") == "top":
        found.sort(key=lambda p: (p.likes + 2 * p.reposts, p.at), reverse=True)
    else:
        found.sort(key=lambda p: p.at, reverse=True)
    page = found[offset:offset + limit]
    data: dict = {"posts": [view.post(p) for p in page], "hitsTotal": len(found)}
    if offset + limit < len(found):
        data = {"cursor": f"{int(req.now.timestamp() * 1_000_000)}::{offset + limit}", **data}
    return json_response(data, headers=rate_limit(req))


def _thread(view: View, post: DemoPost, depth: int) -> dict:
    node: dict = {"$type": "app.bsky.feed.defs#threadViewPost", "post": view.post(post)}
    if depth > 0:
        children = [p for p in view.posts if p.parent is post]
        node["replies"] = [_thread(view, p, depth - 1) for p in children]
    return node


def post_thread(req: Request) -> Response:
    view = View(req)
    target = view.by_uri.get(req.arg("uri") or "")
    if target is None:
        return _error("NotFound", f"Post not found: {req.arg('uri')}")
    node = _thread(view, target, req.int_arg("depth", 6, 0, 1000))
    current, parent = node, target.parent
    for _ in range(req.int_arg("parentHeight", 80, 0, 1000)):
        if parent is None:
            break
        current["parent"] = {"$type": "app.bsky.feed.defs#threadViewPost", "post": view.post(parent)}
        current, parent = current["parent"], parent.parent
    return json_response({"thread": node}, headers=rate_limit(req))


def get_posts(req: Request) -> Response:
    view = View(req)
    uris = req.args("uris")
    if len(uris) > 25:
        return _error("InvalidRequest", "Error: uris must not have more than 25 elements")
    return json_response({"posts": [view.post(view.by_uri[u]) for u in uris if u in view.by_uri]},
                         headers=rate_limit(req))


def _actor(view: View, actor: str):
    actor = actor.lstrip("@")
    return next((p.author for p in view.posts if actor in (handle(p.author), did(p.author))), None)


def get_profile(req: Request) -> Response:
    view = View(req)
    author = _actor(view, req.arg("actor") or "")
    if author is None:
        return _error("InvalidRequest", "Profile not found")
    return json_response(view.profile(author), headers=rate_limit(req))


def get_profiles(req: Request) -> Response:
    view = View(req)
    actors = req.args("actors")
    if len(actors) > 25:
        return _error("InvalidRequest", "Error: actors must not have more than 25 elements")
    found = [a for a in (_actor(view, actor) for actor in actors) if a is not None]
    return json_response({"profiles": [view.profile(a) for a in found]}, headers=rate_limit(req))


def image(req: Request, size: str, did_: str, name: str) -> Response:
    return png_response(name)


def permalink(req: Request, actor: str, key: str) -> Response:
    """The post's page, by handle or DID, as bsky.app has it (a source's web_url may point here)."""
    view = View(req)
    post = next((p for p in view.posts if actor in (handle(p.author), did(p.author)) and rkey(p) == key), None)
    if post is None:
        return not_found()
    shown = {"anchor": key, "author": f"{post.author.name} (@{handle(post.author)})", "published": iso_local(post.at),
             "published_text": dutch(post.at), "reach": None, "paragraphs": post.text.split("\n\n"),
             "image": f"{req.base}/img/feed_fullsize/plain/{did(post.author)}/{post.image}@png" if post.image else None,
             "link": None}
    return html_response("post.html", site="Bluesky (demo)", title=f"Bericht van {post.author.name}", posts=[shown])


def robots(req: Request) -> Response:
    return text_response(ROBOTS)


ROUTES = [
    (r"/robots\.txt", robots),
    (r"/xrpc/app\.bsky\.feed\.searchPosts", search_posts),
    (r"/xrpc/app\.bsky\.feed\.getPostThread", post_thread),
    (r"/xrpc/app\.bsky\.feed\.getPosts", get_posts),
    (r"/xrpc/app\.bsky\.actor\.getProfiles", get_profiles),
    (r"/xrpc/app\.bsky\.actor\.getProfile", get_profile),
    (r"/img/(?P<size>feed_thumbnail|feed_fullsize|avatar)/plain/(?P<did_>did:plc:[a-z2-7]+)/(?P<name>[a-z0-9-]+)@png",
     image),
    (r"/profile/(?P<actor>[a-z0-9.:-]+)/post/(?P<key>[a-z2-7]+)", permalink),
]
