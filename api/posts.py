"""Posts: filtered lists with cursor paging, and one post."""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import Connection

from core.filters import PostFilter
from core.posts import BadCursor, get_post, list_posts

from .deps import get_conn, read_access
from .params import post_filter

router = APIRouter(prefix="/api", tags=["posts"], dependencies=[Depends(read_access)])


@router.get("/posts")
def posts_list(
    filters: PostFilter = Depends(post_filter),
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = Query(None, max_length=200),
    conn: Connection = Depends(get_conn),
):
    try:
        return list_posts(conn, filters, limit=limit, cursor=cursor)
    except BadCursor as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("/posts/{post_id}")
def post_detail(post_id: int, conn: Connection = Depends(get_conn)):
    post = get_post(conn, post_id)
    if post is None:
        raise HTTPException(404, "Bericht niet gevonden.")
    return post
