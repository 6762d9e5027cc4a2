"""X's API v2: recent search (the query's OR-ed terms, lang:, -is:retweet, conversation_id:), users by
username and their timelines; since_id, next_token / pagination_token, max_results; expansions for
authors, media and referenced posts; x-rate-limit-* headers on every answer.
"""
from __future__ import annotations

import re

from .corpus import DemoPost
from .formats import iso_z, matches, words
from .site import Request, Response, api_robots, image, json_response

USER_BASE = 2_000_000
_CONVERSATION = re.compile(r"conversation_id:(\d+)")
_OPERATOR = re.compile(r"(?:^|\s)-?[a-z_]+:\S+")


def tweet_id(post: DemoPost) -> int:
    return (int(post.at.timestamp() * 1000) << 16) | (post.n & 0xFFFF)


def user_id(author) -> str:
    return str(USER_BASE + author.number)


def _limits(req: Request) -> dict[str, str]:
    return {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "449",
            "x-rate-limit-reset": str(int(req.now.timestamp()) + 900)}


def _tweet(req: Request, post: DemoPost, replies: dict[int, int]) -> dict:
    tweet = {"id": str(tweet_id(post)), "text": post.text + ("" if "#groningen" in post.text.lower() or not post.tags
                                                              else " #groningen"),
             "author_id": user_id(post.author), "created_at": iso_z(post.at),
             "conversation_id": str(tweet_id(post.opener)), "lang": post.lang or "und",
             "public_metrics": {"like_count": post.likes, "retweet_count": post.reposts, "quote_count": 0,
                                "reply_count": replies.get(post.n, 0)}}
    references = []
    if post.parent is not None:
        references.append({"type": "replied_to", "id": str(tweet_id(post.parent))})
    if post.quote is not None:
        references.append({"type": "quoted", "id": str(tweet_id(post.quote))})
    if references:
        tweet["referenced_tweets"] = references
    if post.image:
        tweet["attachments"] = {"media_keys": [f"3_{post.n}"]}
    return tweet


def _answer(req: Request, found: list[DemoPost], released: list[DemoPost]) -> Response:
    """Newest first, since_id, paged with next_token; the expansions of the page."""
    since = req.int_arg("since_id", 0, 0, 2**63)
    found = sorted((p for p in found if tweet_id(p) > since), key=tweet_id, reverse=True)
    size = req.int_arg("max_results", 10, 5, 100)
    start = req.int_arg("next_token", 0, 0, 10**9) or req.int_arg("pagination_token", 0, 0, 10**9)
    page = found[start:start + size]
    replies: dict[int, int] = {}
    for p in released:
        if p.parent is not None:
            replies[p.parent.n] = replies.get(p.parent.n, 0) + 1
    meta: dict = {"result_count": len(page)}
    if page:
        meta.update(newest_id=str(tweet_id(page[0])), oldest_id=str(tweet_id(page[-1])))
    if start + size < len(found):
        meta["next_token"] = str(start + size)
    body: dict = {"meta": meta}
    if page:
        authors = {p.author.key: p.author for p in page}
        body["data"] = [_tweet(req, p, replies) for p in page]
        body["includes"] = {
            "users": [{"id": user_id(a), "name": a.name, "username": a.key,
                       "public_metrics": {"followers_count": a.followers}} for a in authors.values()],
            "media": [{"media_key": f"3_{p.n}", "type": "photo", "url": f"{req.base}/media/{p.image}.png"}
                      for p in page if p.image],
        }
    return json_response(body, headers=_limits(req))


def search(req: Request) -> Response:
    query = req.arg("query") or ""
    released = req.released()
    conversations = set(_CONVERSATION.findall(query))
    if conversations:
        found = [p for p in released if str(tweet_id(p.opener)) in conversations and p is not p.opener]
    else:
        lang = re.search(r"lang:(\w+)", query)
        terms = [t.strip(' ()"') for t in _OPERATOR.sub(" ", query).split(" OR ")]
        wanted = [words(t) for t in terms if t]
        found = [p for p in released if any(matches(w, p.text + " #groningen" * bool(p.tags)) for w in wanted)
                 and (not lang or p.lang == lang.group(1))]
    return _answer(req, found, released)


def users_by(req: Request) -> Response:
    names = [n.strip().lower() for n in (req.arg("usernames") or "").split(",") if n.strip()]
    authors = {a.key: a for a in req.corpus.authors.values()}
    found = [authors[n] for n in names if n in authors]
    body: dict = {"data": [{"id": user_id(a), "name": a.name, "username": a.key,
                            "public_metrics": {"followers_count": a.followers}} for a in found]}
    missing = [n for n in names if n not in authors]
    if missing:
        body["errors"] = [{"value": n, "detail": f"Could not find user with usernames: [{n}].",
                           "title": "Not Found Error"} for n in missing]
    return json_response(body, headers=_limits(req))


def timeline(req: Request, ident: str) -> Response:
    released = req.released()
    return _answer(req, [p for p in released if user_id(p.author) == ident], released)


ROUTES = [
    (r"/robots\.txt", api_robots),
    (r"/media/(?P<name>[a-z0-9-]+)\.png", image),
    (r"/2/tweets/search/recent", search),
    (r"/2/users/by", users_by),
    (r"/2/users/(?P<ident>\d+)/tweets", timeline),
]
