"""An HTML forum without an API: a thread list and thread pages, each paged with a rel="next" link.

The markup is plain and stable so a `forum` source can read it with CSS selectors from the TOML file
(see demo.toml): a.thread-link, article.post, .post-author, time.post-date[datetime], .post-body,
a[rel=next].
"""
from __future__ import annotations

from .corpus import DemoPost
from .formats import dutch, iso_local, slugify
from .site import (
    Request,
    Response,
    html_response,
    not_found,
    png_response,
    text_response,
)

TITLE = "Stadsforum 050 (demo)"
THREADS_PER_PAGE = 10
POSTS_PER_PAGE = 6
ROBOTS = "User-agent: *\nDisallow: /forum/zoeken\nDisallow: /forum/profiel/\n"


def thread_path(opener: DemoPost) -> str:
    return f"/forum/onderwerp/{opener.n}-{slugify(opener.title or '')}/"


def _threads(req: Request) -> dict[int, list[DemoPost]]:
    threads: dict[int, list[DemoPost]] = {}
    for post in req.released():
        threads.setdefault(post.opener.n, []).append(post)
    return {n: posts for n, posts in threads.items() if posts[0].is_opener}


def _page_arg(req: Request) -> int | None:
    value = req.arg("pagina", "1")
    return int(value) if value.isdigit() and int(value) >= 1 else None


def index(req: Request) -> Response:
    page = _page_arg(req)
    if page is None:
        return not_found("Deze pagina bestaat niet.")
    threads = sorted(_threads(req).values(), key=lambda posts: posts[-1].at, reverse=True)
    shown = threads[(page - 1) * THREADS_PER_PAGE:page * THREADS_PER_PAGE]
    if page > 1 and not shown:
        return not_found("Deze pagina bestaat niet.")
    rows = [{"url": thread_path(posts[0]), "title": posts[0].title, "author": posts[0].author.name,
             "replies": len(posts) - 1, "last_author": posts[-1].author.name,
             "last_at": iso_local(posts[-1].at), "last_text": dutch(posts[-1].at)} for posts in shown]
    pages = max(1, -(-len(threads) // THREADS_PER_PAGE))
    return html_response("forum_index.html", title=TITLE, threads=rows, page=page, pages=pages,
                         next_url=f"/forum/?pagina={page + 1}" if page < pages else None,
                         previous_url=f"/forum/?pagina={page - 1}" if page > 1 else None)


def thread(req: Request, n: str, slug: str) -> Response:
    page = _page_arg(req)
    posts = _threads(req).get(int(n))
    if posts is None or page is None:
        return not_found("Dit onderwerp bestaat niet (meer).")
    path = thread_path(posts[0])
    if path != req.path:
        return Response(b"", 301, None, {"Location": req.base + path})
    pages = max(1, -(-len(posts) // POSTS_PER_PAGE))
    if page > pages:
        return not_found("Deze pagina bestaat niet.")
    numbers = {p.n: i + 1 for i, p in enumerate(posts)}
    shown = []
    for post in posts[(page - 1) * POSTS_PER_PAGE:page * POSTS_PER_PAGE]:
        reply_to = post.parent if post.parent is not None and post.parent is not posts[0] else None
        shown.append({
            "id": post.n, "number": numbers[post.n], "author": post.author.name,
            "author_role": "Gemeente" if post.author.public else "Lid",
            "published": iso_local(post.at), "published_text": dutch(post.at),
            "paragraphs": post.text.split("\n\n"),
            "image": f"/forum/bijlagen/{post.image}.png" if post.image else None,
            "reply_to": {"id": reply_to.n, "author": reply_to.author.name} if reply_to is not None else None,
        })
    return html_response("forum_thread.html", title=TITLE, thread_title=posts[0].title, posts=shown, page=page,
                         pages=pages, index_url="/forum/",
                         next_url=f"{path}?pagina={page + 1}" if page < pages else None,
                         previous_url=(f"{path}?pagina={page - 1}" if page > 2 else path) if page > 1 else None)


def attachment(req: Request, name: str) -> Response:
    return png_response(name)


def home(req: Request) -> Response:
    return Response(b"", 302, None, {"Location": req.base + "/forum/"})


def robots(req: Request) -> Response:
    return text_response(ROBOTS)


ROUTES = [
    (r"/robots\.txt", robots),
    (r"/", home),
    (r"/forum/", index),
    (r"/forum/onderwerp/(?P<n>\d+)-(?P<slug>[a-z0-9-]*)/", thread),
    (r"/forum/bijlagen/(?P<name>[a-z0-9-]+)\.png", attachment),
]
