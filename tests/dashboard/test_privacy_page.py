from core.config.settings import PROJECT_ROOT
from core.config.watch import load_config


def test_privacy_page_is_generated_from_the_config(client, config):
    page = client.get("/privacy")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Wat de gemeente Groningen online volgt" in html
    assert "gemeente.groningen.nl/afval" in html
    for period in config.privacy.retention.values():
        assert f"{int(period[:-1])} dagen" in html


def test_dpia_and_algoritmeregister_blocks(client):
    dpia = client.get("/privacy/dpia.md").text
    assert dpia.startswith("# DPIA-bouwstenen: online monitoring Groningen")
    assert "art. 6 lid 1 sub e AVG" in dpia and "Pseudonimisering" in dpia
    register = client.get("/privacy/algoritmeregister.md").text
    assert "Menselijke tussenkomst" in register and "Groningen" in register


def test_privacy_page_escapes_config_text(make_client, engine, tmp_path, write_config):
    from fastapi.testclient import TestClient

    from core.config.settings import Settings
    from newsroom.app import create_app

    path = write_config('[privacy]\ncontact = "<script>alert(1)</script>@x.nl"\n', name="evil.toml")
    app = create_app(Settings(database_url=str(engine.url)), load_config(path), engine)
    html = TestClient(app).get("/privacy").text
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_shipped_config_renders(make_client, engine):
    from fastapi.testclient import TestClient

    from core.config.settings import Settings
    from newsroom.app import create_app

    config = load_config(PROJECT_ROOT / "config" / "groningen.toml")
    html = TestClient(create_app(Settings(database_url=str(engine.url)), config, engine)).get("/privacy").text
    assert "rtvnoord" in html and "alleen berichten over Groningen" in html


def test_privacy_texts_say_what_the_code_does(client, config):
    """Newsletters, stories, audit period, erasure and the wall's @… are described as implemented."""
    html = client.get("/privacy").text
    longest = max(int(p[:-1]) for p in config.privacy.retention.values())
    assert "niet langer dan het eerste bericht dat hij aanhaalt" in html and f"tot {longest} dagen na" in html
    assert "verdwijnen daar ook uit" not in html  # the old promise the code did not keep
    assert "Een verhaal verdwijnt met zijn laatste bericht" in html
    assert f"bewaren\nwe {int(config.privacy.audit_retention[:-1])} dagen" in html
    assert "<code>@…</code>" in html and "Bluesky-DID" in html
    dpia = client.get("/privacy/dpia.md").text
    assert "cache_images" not in dpia and "lokaal bewaren" not in dpia
    assert "newsroom privacy erase" in dpia and "Auditlog: 365 dagen" in dpia
