"""Posts: search with filters, sorting and cursor paging; one post with its scores, story and thread."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request

from core.store.listing import SORTS, BadCursor, list_posts, post_detail

from .audit import filters_detail, log
from .deps import Conn, Reader, read_access
from .models import Page, Post, PostDetail
from .params import ID_MAX, Filters

router = APIRouter(prefix="/api", tags=["posts"], dependencies=[Depends(read_access)])


@router.get("/posts", response_model=Page[Post], response_model_exclude_unset=True)
def posts_list(
    request: Request,
    filters: Filters,
    conn: Conn,
    actor: Reader,
    sort: Literal[SORTS] = Query("newest", description="newest, oldest, relevance (bij q) of engagement"),  # type: ignore[valid-type]
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = Query(None, max_length=500, description="de 'next' van de vorige pagina"),
):
    try:
        page = list_posts(conn, filters, limit=limit, cursor=cursor, sort=sort)
    except BadCursor as exc:
        raise HTTPException(422, str(exc)) from None
    if (filters.q or filters.author) and not cursor:
        # A search, and a list of one person's posts, are logged once, at their first page.
        action = "search" if filters.q else "posts.by_author"
        log(conn, request, actor, action, {**filters_detail(filters), "sort": sort})
    return page


@router.get("/posts/{post_id}", response_model=PostDetail, response_model_exclude_unset=True)
def post_view(request: Request, conn: Conn, actor: Reader, post_id: int = Path(ge=1, le=ID_MAX)):
    """One post with its full score, label corrections, story (the other posts carrying it) and thread."""
    post = post_detail(conn, post_id)
    if post is None:
        raise HTTPException(404, "Bericht niet gevonden.")
    # Reading one post shows its author: logged.
    log(conn, request, actor, "post.view", {"post_id": post_id})
    return post
