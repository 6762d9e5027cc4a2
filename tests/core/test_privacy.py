from core.ingest.privacy import Pseudonymiser

P = Pseudonymiser("test-salt", ["gemeentegroningen", "@RTVNoord", "Wethouder De Vries"])


def test_private_author_is_pseudonymised_stably():
    item = {"author": "Jan Jansen", "author_id": "janjansen@mastodon.nl", "text": "Waarom is de kliko niet geleegd?"}
    first = P.apply(item, "social")
    again = P.apply({**item, "author": "J. Jansen"}, "social")
    assert first["author"].startswith("inwoner-") and first["author"] == first["author_id"]
    assert "Jan" not in str(first) and "janjansen" not in str(first)
    assert again["author"] == first["author"]  # keyed on the handle, not the display name
    assert first["author_public"] is False
    assert item["author"] == "Jan Jansen"  # the input is not changed in place


def test_other_salt_gives_other_pseudonym():
    assert Pseudonymiser("a").pseudonym("janjansen") != Pseudonymiser("b").pseudonym("janjansen")


def test_public_roles_keep_their_name():
    item = P.apply({"author": "Gemeente Groningen", "author_id": "gemeentegroningen"}, "social")
    assert item["author"] == "Gemeente Groningen" and item["author_public"] is True
    assert P.apply({"author": "wethouder de vries"}, "forum")["author"] == "wethouder de vries"


def test_news_authors_are_journalists():
    item = P.apply({"author": "Petra Visser", "text": "Zegt @someone"}, "news")
    assert item["author"] == "Petra Visser" and item["text"] == "Zegt @someone"


def test_mentions_are_pseudonymised_except_public_roles():
    text = "Vraag aan @RTVNoord en @piet_p@mastodon.social, ook u/grunnegerjong en mail@example.nl"
    out = P.apply({"author": "x", "text": text}, "social")["text"]
    assert "@RTVNoord" in out
    assert "piet_p" not in out and "grunnegerjong" not in out
    assert out.count("@inwoner-") == 2
    assert "mail@example.nl" in out  # an e-mail address is not a mention
    assert P.mentions("@piet_p@mastodon.social") == "@" + P.pseudonym("piet_p@mastodon.social")


def test_reddit_mentions_with_leading_slash():
    out = P.mentions("Zie /u/grunnegerjong en u/grunnegerjong")
    assert "grunnegerjong" not in out
    assert out.count("@" + P.pseudonym("grunnegerjong")) == 2


DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
PARENT_DID = "did:plc:4qqizocrnriintskkh6trnzv"
BLUESKY = {
    "external_id": f"at://{DID}/app.bsky.feed.post/3kabc",
    "url": f"https://bsky.app/profile/{DID}/post/3kabc",
    "image_url": f"https://cdn.bsky.app/img/feed_fullsize/plain/{DID}/bafkrei@jpeg",
    "parent_external_id": f"at://{PARENT_DID}/app.bsky.feed.post/3kroot",
    "thread_url": f"https://bsky.app/profile/{PARENT_DID}/post/3kroot",
    "author": "Jan", "author_id": "jan.bsky.social", "text": "Kliko vol in Groningen",
    "extra": {"quote_of": f"at://{PARENT_DID}/app.bsky.feed.post/3kroot", "link": "https://oogtv.nl/x"},
    "author_aliases": [DID], "people": [PARENT_DID],
}


def test_private_authors_dids_are_hashed_in_ids_and_dropped_from_links():
    out = P.apply(BLUESKY, "social")
    assert "did:" not in str(out) and "jan" not in str(out).lower()
    assert out["external_id"] == P.hashed_id(BLUESKY["external_id"]) and out["external_id"].startswith("h:")
    assert out["url"] is None and out["image_url"] is None and out["thread_url"] is None
    assert out["extra"] == {"quote_of": P.hashed_id(BLUESKY["extra"]["quote_of"]), "link": "https://oogtv.nl/x"}
    assert "author_aliases" not in out and "people" not in out  # the marks are never stored


def test_threading_survives_hashing():
    """A reply's parent id hashes exactly like the parent's own id, so the reply still finds its parent."""
    parent = P.apply({**BLUESKY, "external_id": BLUESKY["parent_external_id"], "parent_external_id": None,
                      "author_aliases": [PARENT_DID], "people": []}, "social")
    reply = P.apply(BLUESKY, "social")
    assert reply["parent_external_id"] == parent["external_id"]
    assert P.stored_id(BLUESKY["external_id"]) == reply["external_id"]
    assert P.stored_id("110123456") == "110123456"  # an id that names no one stays as it is


def test_public_authors_keep_their_own_links_but_not_other_peoples():
    public = Pseudonymiser("test-salt", ["jan.bsky.social"]).apply(BLUESKY, "social")
    assert public["url"] == BLUESKY["url"] and public["image_url"] == BLUESKY["image_url"]
    assert public["thread_url"] is None  # the thread's root is by someone not on the list
    assert public["external_id"].startswith("h:")  # ids hash for everyone, so threads stay whole


def test_account_urls_of_every_kind_are_caught_without_marks():
    cases = {
        "mastodon": ("https://mastodon.nl/@piet/1134", "piet@mastodon.nl"),
        "reddit": ("https://www.reddit.com/user/grunnegerjong/comments/abc/kliko/", "grunnegerjong"),
        "reddit profile": ("https://www.reddit.com/r/u_grunnegerjong/comments/abc/", "grunnegerjong"),
        "x": ("https://x.com/pietjansen/status/1790000000000", "pietjansen"),
        "facebook": ("https://www.facebook.com/profile.php?id=100012345", "100012345"),
        "youtube": ("https://www.youtube.com/@pietvlogt", "UC123"),
        "instagram": ("https://www.instagram.com/piet.stad/p/C1abc/", "piet.stad"),
    }
    for kind, (url, handle) in cases.items():
        out = P.apply({"external_id": url, "url": url, "author": "Piet", "author_id": handle}, "social")
        assert out["url"] is None, kind
        assert out["external_id"] == P.hashed_id(url), kind
    profile = P.apply({"author_id": "grunnegerjong", "extra": {"subreddit": "u_grunnegerjong", "depth": 1}}, "forum")
    assert profile["extra"] == {"depth": 1}
    fine = {"external_id": "110123", "url": "https://mastodon.nl/statuses/110123", "author_id": "piet",
            "thread_url": "https://www.reddit.com/r/groningen/comments/abc/kliko_vol/",
            "image_url": "https://i.redd.it/xyz.jpg"}
    out = P.apply(fine, "social")
    assert {k: out[k] for k in ("external_id", "url", "thread_url", "image_url")} == \
           {k: fine[k] for k in ("external_id", "url", "thread_url", "image_url")}


def test_other_kinds_marks_work_the_same():
    """A new spider only has to mark its identifiers: here a numeric user id inside a URL."""
    item = {"external_id": "c_991", "url": "https://platform.example/comments/991?by=555123",
            "author": "Piet", "author_id": "pietp", "author_aliases": ["555123"],
            "extra": {"reply_to": "https://platform.example/people/777"}, "people": ["777"]}
    out = P.apply(item, "social")
    assert out["url"] is None and out["external_id"] == "c_991" and out["extra"] == {}
