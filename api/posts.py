"""Posts: search with filters, sorting and cursor paging; one post with its scores, story and thread."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from sqlalchemy import Connection, Engine

from core.store.filters import PostFilter
from core.store.listing import SORTS, BadCursor, list_posts, post_detail

from .audit import filters_detail, log
from .deps import get_conn, get_engine, read_access
from .params import ID_MAX, post_filter

router = APIRouter(prefix="/api", tags=["posts"], dependencies=[Depends(read_access)])


@router.get("/posts")
def posts_list(
    request: Request,
    filters: PostFilter = Depends(post_filter),
    sort: Literal[SORTS] = Query("newest", description="newest, oldest, relevance (bij q) of engagement"),  # type: ignore[valid-type]
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = Query(None, max_length=500, description="de 'next' van de vorige pagina"),
    conn: Connection = Depends(get_conn),
    engine: Engine = Depends(get_engine),
    actor: str = Depends(read_access),
):
    try:
        page = list_posts(conn, filters, limit=limit, cursor=cursor, sort=sort)
    except BadCursor as exc:
        raise HTTPException(422, str(exc)) from None
    if filters.q and not cursor:
        # A search is logged once, at its first page.
        log(engine, request, actor, "search", {**filters_detail(filters), "sort": sort})
    return page


@router.get("/posts/{post_id}")
def post_view(post_id: int = Path(ge=1, le=ID_MAX), conn: Connection = Depends(get_conn)):
    """One post with its full score, label corrections, story (the other posts carrying it) and thread."""
    post = post_detail(conn, post_id)
    if post is None:
        raise HTTPException(404, "Bericht niet gevonden.")
    return post
