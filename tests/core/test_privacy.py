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
