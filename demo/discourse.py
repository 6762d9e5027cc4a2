"""A Discourse forum: /latest.json (topics by bumped_at), topics with their post_stream, and
/t/{id}/posts.json for the posts a client does not have yet (post_ids[] or post_number)."""
from __future__ import annotations

from collections import Counter

from .corpus import DemoPost
from .feeds import article_url
from .formats import dutch, iso_local, iso_z, slugify
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

TITLE = "Wijkforum Groningen (demo)"
PER_PAGE = 30
CHUNK = 20
CATEGORIES = {
    "afval": (5, "Afval en schoon"), "parkeren": (6, "Verkeer en parkeren"), "verkeer": (6, "Verkeer en parkeren"),
    "openbaar-vervoer": (6, "Verkeer en parkeren"), "wonen": (7, "Wonen"), "veiligheid": (8, "Veiligheid"),
    "aardbeving": (9, "Aardbeving"), "evenementen": (10, "Uitgaan en evenementen"),
    "zorg-en-inkomen": (11, "Zorg en welzijn"), "openbare-ruimte": (12, "Buitenruimte"),
}
OTHER_CATEGORY = (4, "Algemeen")
ROBOTS = "User-agent: *\nDisallow: /admin/\nDisallow: /auth/\nDisallow: /email/\nDisallow: /session\nDisallow: /u/\n"


class Forum:
    """The forum as it is at this request."""

    def __init__(self, req: Request):
        self.req = req
        self.posts = req.released()
        self.topics: dict[int, list[DemoPost]] = {}
        for post in self.posts:
            self.topics.setdefault(post.opener.n, []).append(post)
        self.topics = {tid: posts for tid, posts in self.topics.items() if posts[0].is_opener}
        self.replies = Counter(p.parent.n for p in self.posts if p.parent is not None and not p.parent.is_opener)

    def number(self, post: DemoPost) -> int:
        return self.topics[post.opener.n].index(post) + 1

    def user(self, author) -> dict:
        return {"id": author.number, "username": author.key, "name": author.name,
                "avatar_template": f"/user_avatar/{author.key}/{{size}}/{author.number}_2.png",
                "trust_level": 3 if author.public else 1, "admin": False, "moderator": author.public}

    def post(self, post: DemoPost) -> dict:
        topic = self.topics[post.opener.n]
        opener = topic[0]
        slug = slugify(opener.title or "")
        number = self.number(post)
        image = f"{self.req.base}/uploads/default/original/2X/{post.image}.png" if post.image else None
        link = article_url(self.req, post.link) if post.link is not None else None
        cooked = TEMPLATES.get_template("fragments.html").module.discourse_cooked(
            post.text.split("\n\n"), image=image, link=link)
        reply_to = post.parent if post.parent is not None and not post.parent.is_opener else None
        data = {
            "id": post.n, "name": post.author.name, "username": post.author.key,
            "avatar_template": self.user(post.author)["avatar_template"],
            "created_at": iso_z(post.at), "cooked": str(cooked), "post_number": number, "post_type": 1,
            "posts_count": len(topic), "updated_at": iso_z(post.at), "reply_count": self.replies[post.n],
            "reply_to_post_number": self.number(reply_to) if reply_to is not None else None,
            "quote_count": 0, "incoming_link_count": 0, "reads": 10 + post.likes * 3,
            "readers_count": 9 + post.likes * 3,
            "score": round(post.likes * 1.5 + 0.2, 1), "yours": False, "topic_id": opener.n, "topic_slug": slug,
            "display_username": post.author.name, "primary_group_name": None, "flair_name": None, "version": 1,
            "can_edit": False, "can_delete": False, "can_recover": False, "can_wiki": False, "read": True,
            "user_title": "Webcare" if post.author.public else None, "bookmarked": False,
            "actions_summary": [{"id": 2, "count": post.likes}] if post.likes else [],
            "moderator": post.author.public, "admin": False, "staff": post.author.public,
            "user_id": post.author.number, "hidden": False, "trust_level": 3 if post.author.public else 1,
            "deleted_at": None, "user_deleted": False, "edit_reason": None, "can_view_edit_history": True,
            "wiki": False, "post_url": f"/t/{slug}/{opener.n}/{number}",
        }
        if reply_to is not None:
            data["reply_to_user"] = {"username": reply_to.author.key, "name": reply_to.author.name,
                                     "avatar_template": self.user(reply_to.author)["avatar_template"]}
        return data

    def topic_summary(self, tid: int) -> dict:
        topic = self.topics[tid]
        opener, last = topic[0], topic[-1]
        category_id, _name = CATEGORIES.get(opener.theme, OTHER_CATEGORY)
        posters = []
        for index, author in enumerate(dict.fromkeys(p.author for p in topic)):
            role = "Original Poster" if index == 0 else "Frequent Poster"
            if author is last.author:
                role += ", Most Recent Poster"
            posters.append({"extras": "latest" if author is last.author else None, "description": role,
                            "user_id": author.number, "primary_group_id": None})
        return {
            "id": tid, "title": opener.title, "fancy_title": opener.title, "slug": slugify(opener.title or ""),
            "posts_count": len(topic), "reply_count": len(topic) - 1, "highest_post_number": len(topic),
            "image_url": f"{self.req.base}/uploads/default/original/2X/{opener.image}.png" if opener.image else None,
            "created_at": iso_z(opener.at), "last_posted_at": iso_z(last.at), "bumped": True,
            "bumped_at": iso_z(last.at), "archetype": "regular", "unseen": False, "pinned": False, "unpinned": None,
            "visible": True, "closed": False, "archived": False, "bookmarked": None, "liked": None,
            "views": 25 + 7 * len(topic) + opener.likes * 4, "like_count": sum(p.likes for p in topic),
            "has_summary": False, "last_poster_username": last.author.key, "category_id": category_id,
            "pinned_globally": False, "featured_link": None, "posters": posters,
        }

    def users_of(self, tids) -> list[dict]:
        authors = {}
        for tid in tids:
            for post in self.topics[tid]:
                authors.setdefault(post.author.key, post.author)
        return [self.user(a) for a in authors.values()]


def latest(req: Request) -> Response:
    forum = Forum(req)
    order = sorted(forum.topics, key=lambda tid: forum.topics[tid][-1].at, reverse=True)
    page = req.int_arg("page", 0, 0, 10_000)
    shown = order[page * PER_PAGE:(page + 1) * PER_PAGE]
    topic_list = {"can_create_topic": False, "per_page": PER_PAGE, "draft": None, "draft_key": "new_topic",
                  "draft_sequence": None, "topics": [forum.topic_summary(tid) for tid in shown]}
    if len(order) > (page + 1) * PER_PAGE:
        topic_list = {"more_topics_url": f"/latest?no_definitions=true&page={page + 1}", **topic_list}
    return json_response({"users": forum.users_of(shown), "primary_groups": [], "flair_groups": [],
                          "topic_list": topic_list})


def topic(req: Request, tid: str, slug: str | None = None) -> Response:
    forum = Forum(req)
    posts = forum.topics.get(int(tid))
    if posts is None:
        return json_response({"errors": ["The requested URL or resource could not be found."],
                              "error_type": "not_found"}, status=404)
    page = req.int_arg("page", 1, 1, 10_000)
    chunk = posts[(page - 1) * CHUNK:page * CHUNK]
    summary = forum.topic_summary(int(tid))
    opener = posts[0]
    created_by = forum.user(opener.author)
    data = {
        "post_stream": {"posts": [forum.post(p) for p in chunk], "stream": [p.n for p in posts]},
        "timeline_lookup": [[1, 0]], "tags": [], "id": int(tid), "title": summary["title"],
        "fancy_title": summary["fancy_title"], "posts_count": len(posts), "created_at": summary["created_at"],
        "views": summary["views"], "reply_count": summary["reply_count"], "like_count": summary["like_count"],
        "last_posted_at": summary["last_posted_at"], "visible": True, "closed": False, "archived": False,
        "has_summary": False, "archetype": "regular", "slug": summary["slug"], "category_id": summary["category_id"],
        "word_count": sum(len(p.text.split()) for p in posts), "deleted_at": None, "user_id": opener.author.number,
        "featured_link": None, "pinned_globally": False, "pinned_at": None, "pinned_until": None,
        "image_url": summary["image_url"], "slow_mode_seconds": 0, "draft": None, "draft_key": f"topic_{tid}",
        "draft_sequence": None, "unpinned": None, "pinned": False, "highest_post_number": len(posts),
        "deleted_by": None, "has_deleted": False, "actions_summary": [], "chunk_size": CHUNK, "bookmarked": False,
        "topic_timer": None, "message_bus_last_id": len(posts), "participant_count": len({p.author.key for p in posts}),
        "show_read_indicator": False, "thumbnails": None,
        "details": {"can_edit": False, "notification_level": 1, "participants": forum.users_of([int(tid)]),
                    "created_by": created_by, "last_poster": forum.user(posts[-1].author), "links": []},
    }
    return json_response(data)


def topic_posts(req: Request, tid: str) -> Response:
    """Posts of a topic: the ones named by post_ids[], or the 20 before post_number (newest first)."""
    forum = Forum(req)
    posts = forum.topics.get(int(tid))
    if posts is None:
        return json_response({"errors": ["The requested URL or resource could not be found."],
                              "error_type": "not_found"}, status=404)
    ids = [int(i) for i in req.args("post_ids") if i.isdigit()]
    if ids:
        wanted = set(ids)
        chosen = [p for p in posts if p.n in wanted]
    elif req.arg("post_number", "").isdigit():
        before = int(req.arg("post_number"))
        chosen = [p for p in posts if forum.number(p) < before][-CHUNK:][::-1]
    else:
        chosen = posts[:CHUNK]
    return json_response({"post_stream": {"posts": [forum.post(p) for p in chosen]}, "id": int(tid)})


def latest_posts(req: Request) -> Response:
    """/posts.json: the newest posts of the whole forum, 50 at a time, `before` an id for older ones."""
    forum = Forum(req)
    posts = [p for p in forum.posts if p.opener.n in forum.topics]
    before = req.arg("before", "")
    if before.isdigit():
        posts = [p for p in posts if p.n < int(before)]
    chosen = sorted(posts, key=lambda p: p.n, reverse=True)[:50]
    items = []
    for post in chosen:
        opener = forum.topics[post.opener.n][0]
        items.append({**forum.post(post), "topic_title": opener.title, "topic_html_title": opener.title,
                      "category_id": CATEGORIES.get(opener.theme, OTHER_CATEGORY)[0]})
    return json_response({"latest_posts": items})


def categories(req: Request) -> Response:
    seen = {}
    for category_id, name in [OTHER_CATEGORY, *CATEGORIES.values()]:
        seen[category_id] = {"id": category_id, "name": name, "slug": slugify(name), "color": "0088CC",
                             "text_color": "FFFFFF", "description": None, "topic_count": 0, "post_count": 0}
    return json_response({"category_list": {"can_create_category": False, "categories": list(seen.values())}})


def topic_page(req: Request, slug: str, tid: str) -> Response:
    forum = Forum(req)
    posts = forum.topics.get(int(tid))
    if posts is None:
        return not_found()
    shown = [{"anchor": f"post_{forum.number(p)}", "author": p.author.name, "published": iso_local(p.at),
              "published_text": dutch(p.at), "reach": None, "paragraphs": p.text.split("\n\n"),
              "image": f"{req.base}/uploads/default/original/2X/{p.image}.png" if p.image else None,
              "link": article_url(req, p.link) if p.link is not None else None} for p in posts]
    return html_response("post.html", site=TITLE, title=posts[0].title, posts=shown)


def upload(req: Request, name: str) -> Response:
    return png_response(name)


def robots(req: Request) -> Response:
    return text_response(ROBOTS)


ROUTES = [
    (r"/robots\.txt", robots),
    (r"/latest\.json", latest),
    (r"/posts\.json", latest_posts),
    (r"/categories\.json", categories),
    (r"/t/(?P<tid>\d+)/posts\.json", topic_posts),
    (r"/t/(?P<slug>[a-z0-9-]+)/(?P<tid>\d+)\.json", topic),
    (r"/t/(?P<tid>\d+)\.json", topic),
    (r"/t/(?P<slug>[a-z0-9-]+)/(?P<tid>\d+)(?:/\d+)?", topic_page),
    (r"/uploads/default/original/2X/(?P<name>[a-z0-9-]+)\.png", upload),
]
