"""The API's contracts: every JSON answer has a response model in the OpenAPI document, lists answer
`{"items": …}`, and the shapes come from core (the one post shape)."""
from __future__ import annotations

from core.post import Post, PostBrief

NOT_JSON = {"/metrics", "/newsletters/{week}", "/privacy", "/privacy/dpia.md", "/privacy/algoritmeregister.md",
            "/wall", "/api/export.csv", "/api/export.jsonl"}


def _schema(operation: dict) -> dict | None:
    for status in ("200", "201"):
        content = operation.get("responses", {}).get(status, {}).get("content", {})
        if "application/json" in content:
            return content["application/json"].get("schema")
    return None


def test_every_json_route_has_a_response_model(client):
    document = client.get("/openapi.json").json()
    untyped = [f"{method.upper()} {path}" for path, operations in document["paths"].items() if path not in NOT_JSON
               for method, operation in operations.items() if method != "delete" and not _schema(operation)]
    assert not untyped, f"rule 'every JSON route has a response model': {untyped} answer untyped JSON"


def test_lists_answer_items(client):
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    for path in ("/api/posts", "/api/issues", "/api/alerts", "/api/authors", "/api/stories", "/api/themes",
                 "/api/sources", "/api/newsletters", "/api/corrections", "/api/audit", "/api/config/sources",
                 "/api/config/themes"):
        ref = _schema(document["paths"][path]["get"])["$ref"].rsplit("/", 1)[1]
        assert "items" in schemas[ref]["properties"], f"{path} does not answer {{'items': …}}"
    themes = schemas[_schema(document["paths"]["/api/themes"]["get"])["$ref"].rsplit("/", 1)[1]]
    assert themes["properties"]["themes"]["deprecated"] is True


def test_posts_are_core_post_shape(client):
    document = client.get("/openapi.json").json()
    post = document["components"]["schemas"]["Post"]["properties"]
    assert set(post) == set(Post.model_fields)
    brief = document["components"]["schemas"]["PostBrief"]["properties"]
    assert set(brief) == set(PostBrief.model_fields)
