"""News sites: an RSS 2.0 feed of teasers (articles on their own pages), an Atom feed with full text,
and the municipality's RSS news. Feeds answer 304 to a client that has the current version."""
from __future__ import annotations

import hashlib

from . import images
from .corpus import DemoPost
from .formats import dutch, iso_local, iso_z, rfc822, slugify
from .site import (
    TEMPLATES,
    Request,
    Response,
    conditional,
    html_response,
    image,
    not_found,
    text_response,
)

FEED_SIZE = 20
OUTLETS = {
    "stadsblad": {"title": "Stadsblad Groningen", "description": "Nieuws uit Stad, elke dag.", "format": "rss",
                  "full_text": False},
    "noorderbode": {"title": "Noorderbode", "description": "Nieuws uit het Noorden.", "format": "atom",
                    "full_text": True},
    "gemeente": {"title": "Gemeente Groningen", "description": "Nieuws van de gemeente Groningen.", "format": "rss",
                 "full_text": True},
}
ROBOTS = "User-agent: *\nDisallow: /zoeken\nDisallow: /account/\n"


def feed_path(name: str) -> str:
    return f"/{name}/{'atom' if OUTLETS[name]['format'] == 'atom' else 'rss'}.xml"


def article_path(post: DemoPost) -> str:
    return f"/{post.place}/nieuws/{post.at:%Y/%m}/{post.n}-{slugify(post.title or '')}.html"


def image_path(name: str) -> str:
    return f"/beeld/{name}.png"


def article_url(req: Request, post: DemoPost) -> str:
    """The article's address on the news site, for the other platforms that link to it."""
    return req.urls["feed"] + article_path(post)


def _outlet(req: Request, name: str) -> dict:
    return {**OUTLETS[name], "home": f"{req.base}/{name}/", "url": req.base + feed_path(name),
            "id": f"{req.base}/{name}/"}


def _item(req: Request, post: DemoPost) -> dict:
    body = TEMPLATES.get_template("article_body.html").render(paragraphs=(post.teaser, *post.paragraphs))
    atom = OUTLETS[post.place]["format"] == "atom"
    return {
        "title": post.title,
        "url": req.base + article_path(post),
        "guid": f"{req.base}/{post.place}/{post.n}" if atom else f"{post.place}-{post.n}",
        "published": iso_local(post.at) if atom else rfc822(post.at),
        "published_iso": iso_local(post.at),
        "published_text": dutch(post.at),
        "author": post.author.name,
        "category": post.theme or "regio",
        "summary": post.teaser,
        "teaser": post.teaser,
        "content": body,
        "paragraphs": post.paragraphs,
        "image": req.base + image_path(post.image) if post.image else None,
        "image_length": len(images.png(post.image)) if post.image else 0,
    }


def _articles(req: Request, name: str) -> list[DemoPost]:
    return [p for p in req.released() if p.place == name]


def feed(req: Request, name: str, format: str) -> Response:
    if name not in OUTLETS or feed_path(name) != req.path:
        return not_found()
    articles = _articles(req, name)[::-1][:FEED_SIZE]
    items = [_item(req, p) for p in articles]
    if OUTLETS[name]["full_text"] and OUTLETS[name]["format"] == "rss":
        for item in items:
            item["summary"] = item["content"]
    modified = articles[0].at if articles else req.corpus.start
    template = "atom.xml" if format == "atom" else "rss.xml"
    body = TEMPLATES.get_template(template).render(
        feed=_outlet(req, name), items=items, built=rfc822(modified), updated=iso_z(modified)
    ).encode("utf-8")
    content_type = "application/atom+xml; charset=utf-8" if format == "atom" else "application/rss+xml; charset=utf-8"
    etag = '"' + hashlib.sha1(",".join(str(p.n) for p in articles).encode()).hexdigest()[:20] + '"'
    return conditional(req, Response(body, 200, content_type), etag=etag, modified=modified)


def article(req: Request, name: str, year: str, month: str, n: str, slug: str) -> Response:
    found = next((p for p in _articles(req, name) if p.n == int(n)), None) if name in OUTLETS else None
    if found is None or article_path(found) != req.path:
        return not_found("Dit artikel bestaat niet (meer).")
    more = [_item(req, p) for p in _articles(req, name)[::-1] if p is not found][:3]
    return html_response("article.html", article=_item(req, found), outlet=_outlet(req, name), more=more)


def home(req: Request, name: str) -> Response:
    if name not in OUTLETS:
        return not_found()
    posts = [
        {"anchor": f"artikel-{p.n}", "author": p.title, "published": iso_local(p.at), "published_text": dutch(p.at),
         "paragraphs": (p.teaser,), "link": req.base + article_path(p)}
        for p in _articles(req, name)[::-1][:FEED_SIZE]
    ]
    return html_response("post.html", site=OUTLETS[name]["title"], title="Laatste nieuws", posts=posts)


def robots(req: Request) -> Response:
    return text_response(ROBOTS)


ROUTES = [
    (r"/robots\.txt", robots),
    (r"/(?P<name>[a-z]+)/(?P<format>rss|atom)\.xml", feed),
    (r"/(?P<name>[a-z]+)/nieuws/(?P<year>\d{4})/(?P<month>\d{2})/(?P<n>\d+)-(?P<slug>[a-z0-9-]+)\.html", article),
    (r"/(?P<name>[a-z]+)/", home),
    (r"/beeld/(?P<name>[a-z0-9-]+)\.png", image),
]
