"""The workspace through its forms, as a browser without JavaScript uses it (TestClient over the real
app and store): roles, sessions, CSRF, corrections reaching every output, signals, sources, escaping."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from workspace_data import API_TOKEN, PASSWORD, add_post, csrf_of, login

from core.store import accounts, audit
from core.store.schema import alerts, scores
from core.store.scores import delete_scores, record_scorer, save_scores
from core.vocabulary import label_name

PAGES = {
    "webcare": ["/", "/berichten", "/berichten/1", "/signalen", "/signalen/1", "/themas/afval"],
    "adviseur": ["/nieuwsbrief", "/berichten/export.csv"],
    "beheer": ["/bronnen", "/beheer/accounts", "/beheer/audit"],
}


def test_pages_need_a_sign_in(ws_app):
    client = TestClient(ws_app)
    for path in [p for paths in PAGES.values() for p in paths]:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/inloggen?volgende=")


@pytest.mark.parametrize("role", ["webcare", "adviseur", "beheer"])
def test_each_role_sees_what_it_may(as_role, role):
    client = as_role(role)
    rank = ["webcare", "adviseur", "beheer"].index(role)
    for level, paths in enumerate(PAGES.values()):
        for path in paths:
            response = client.get(path)
            assert response.status_code == (200 if level <= rank else 403), (role, path)
    home = client.get("/")
    assert "script-src 'none'" in home.headers["content-security-policy"]
    assert home.headers["x-frame-options"] == "DENY"
    menu = home.text
    assert ('href="/bronnen"' in menu) == (role == "beheer")
    assert ('href="/nieuwsbrief"' in menu) == (role != "webcare")


def test_login_sets_a_safe_cookie_and_refuses_bad_passwords(ws_app, engine):
    client = TestClient(ws_app)
    response = login(client, "webcare", "fout wachtwoord")
    assert response.status_code == 401
    assert "Onbekende naam of onjuist wachtwoord" in response.text
    page = client.get("/inloggen")
    response = client.post("/inloggen", data={"naam": "webcare", "wachtwoord": PASSWORD, "csrf_token": csrf_of(page.text),
                                              "volgende": "https://elders.example/"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/", "an open redirect after login"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    with engine.connect() as conn:
        actions = [e["action"] for e in audit.entries(conn, actor="webcare")["items"]]
    assert actions[:2] == ["login", "login.failed"]


def test_login_is_rate_limited(ws_app):
    client = TestClient(ws_app)
    for _ in range(5):
        assert login(client, "adviseur", "fout").status_code == 401
    response = login(client, "adviseur")  # the right password, too late
    assert response.status_code == 429
    assert "Te veel mislukte pogingen" in response.text
    assert login(client, "webcare").status_code == 200  # other accounts are not locked


def test_login_form_needs_its_token(ws_app):
    client = TestClient(ws_app)
    response = client.post("/inloggen", data={"naam": "webcare", "wachtwoord": PASSWORD})
    assert response.status_code == 403


def test_a_form_post_without_the_csrf_token_is_refused(as_role, engine):
    client = as_role("webcare")
    with engine.connect() as conn:
        before = conn.execute(select(scores.c.label).where(scores.c.post_id == 1)).scalar_one()
    target = "positive" if before != "positive" else "negative"
    for data in ({"label": target}, {"label": target, "csrf_token": "vervalst"}):
        response = client.post("/berichten/1/label", data=data)
        assert response.status_code == 403
        assert "CSRF" in response.text
    with engine.connect() as conn:
        assert conn.execute(select(scores.c.label).where(scores.c.post_id == 1)).scalar_one() == before


def test_a_correction_is_what_every_output_shows(as_role, ws_app, engine):
    client = as_role("webcare")
    # The last 24 hours: the window of the summary and of the wall's mood.
    results = client.get("/berichten", params={"q": "afval", "periode": "24u"}).text
    ids = [int(i) for i in re.findall(r'href="/berichten/(\d+)"', results)]
    assert ids, results[-2500:]
    with engine.connect() as conn:
        rows = dict(conn.execute(select(scores.c.post_id, scores.c.label).where(scores.c.post_id.in_(ids))).all())
    post_id = next(i for i in ids if rows.get(i))
    was = rows[post_id]
    now = "positive" if was != "positive" else "negative"
    api = TestClient(ws_app)
    summary_before = api.get("/api/summary").json()
    wall_before = api.get("/api/wall").json()["mood"]
    page = client.get(f"/berichten/{post_id}")
    response = client.post(f"/berichten/{post_id}/label",
                           data={"label": now, "toelichting": "sarcasme gemist", "csrf_token": csrf_of(page.text)})
    assert response.status_code == 200 and "Het label is aangepast" in response.text
    assert f"het model zei {label_name(was)}" in response.text
    summary_after = api.get("/api/summary").json()
    assert (summary_after[was], summary_after[now]) == (summary_before[was] - 1, summary_before[now] + 1)
    assert api.get(f"/api/posts/{post_id}").json()["label"] == now
    wall = api.get("/api/wall").json()
    assert (wall["mood"][was], wall["mood"][now]) == (wall_before[was] - 1, wall_before[now] + 1)
    assert [p["label"] for p in wall["posts"] if p["id"] == post_id] in ([], [now])
    with engine.begin() as conn:
        assert conn.execute(select(scores.c.model_label).where(scores.c.post_id == post_id)).scalar_one() == was
        entry = audit.entries(conn, action="label_correction")["items"][0]
        assert entry["actor"] == "webcare" and entry["detail"]["post_id"] == post_id
        # Rescoring keeps the person's label: the model's new opinion lands in model_label only.
        delete_scores(conn)
        save_scores(conn, [{"post_id": post_id, "label": was, "negative": 0.9, "neutral": 0.05,
                            "positive": 0.05, "model": "test-model", "model_version": "2"}])
        row = conn.execute(select(scores.c.label, scores.c.model_label).where(scores.c.post_id == post_id)).one()
    assert tuple(row) == (now, was)


def test_a_bad_label_gets_a_message_and_changes_nothing(as_role, engine):
    client = as_role("webcare")
    page = client.get("/berichten/1")
    with engine.connect() as conn:
        before = conn.execute(select(scores.c.label).where(scores.c.post_id == 1)).scalar_one()
    response = client.post("/berichten/1/label", data={"label": "boos", "csrf_token": csrf_of(page.text)})
    assert response.status_code == 422
    assert "Kies negatief, neutraal of positief" in response.text
    with engine.connect() as conn:
        assert conn.execute(select(scores.c.label).where(scores.c.post_id == 1)).scalar_one() == before


def test_acknowledging_a_signal_lowers_the_walls_count(as_role, ws_app, engine):
    client = as_role("webcare")
    with engine.connect() as conn:
        alert_id = conn.execute(select(alerts.c.id).where(alerts.c.status == "open")).scalars().first()
    assert alert_id, "the fixture posts raise an alert"
    api = TestClient(ws_app)
    open_before = len(api.get("/api/alerts", params={"status": "open"}).json()["items"])
    wall_before = len(api.get("/api/wall").json()["alerts"])
    page = client.get(f"/signalen/{alert_id}")
    assert page.status_code == 200 and "In behandeling nemen" in page.text
    response = client.post(f"/signalen/{alert_id}/status", data={"status": "acknowledged", "toelichting": "pagina aangepast",
                                                                 "csrf_token": csrf_of(page.text)})
    assert response.status_code == 200 and "in behandeling" in response.text
    assert "pagina aangepast" in response.text
    assert len(api.get("/api/alerts", params={"status": "open"}).json()["items"]) == open_before - 1
    assert len(api.get("/api/wall").json()["alerts"]) == wall_before - 1
    with engine.connect() as conn:
        assert audit.entries(conn, action="alert.acknowledged")["items"][0]["actor"] == "webcare"


def test_a_post_is_marked_handled_and_filtered(as_role):
    client = as_role("webcare")
    page = client.get("/berichten/2")
    response = client.post("/berichten/2/afgehandeld", data={"toelichting": "gereageerd via DM",
                                                             "csrf_token": csrf_of(page.text)})
    assert "Afgehandeld door webcare" in response.text and "gereageerd via DM" in response.text
    handled = client.get("/berichten", params={"afgehandeld": "ja"}).text
    assert re.findall(r'href="/berichten/(\d+)"', handled) == ["2"]
    assert 'href="/berichten/2"' not in client.get("/berichten", params={"afgehandeld": "nee"}).text


def test_bad_filters_get_dutch_messages(as_role):
    response = as_role("webcare").get("/berichten", params={"since": "gisteren", "kanaal": "tv", "na": "rommel"})
    assert response.status_code == 200
    assert "is geen datum" in response.text and "Kanaal: onbekende waarde" in response.text
    assert "paginering" in response.text


def test_paging_and_export_follow_the_filter(as_role, engine):
    client = as_role("adviseur")
    first = client.get("/berichten", params={"sortering": "nieuwste"}).text
    assert "Volgende pagina" not in first  # fewer posts than a page
    export = client.get("/berichten/export.csv", params={"thema": "afval"})
    assert export.headers["content-type"].startswith("text/csv")
    lines = export.text.strip().splitlines()
    assert lines[0].startswith("id,published_at,source") and len(lines) > 1
    assert all("afval" in line for line in lines[1:] if line[:1].isdigit())
    with engine.connect() as conn:
        entry = audit.entries(conn, action="export")["items"][0]
    assert entry["actor"] == "adviseur" and entry["detail"]["params"] == {"thema": "afval"}


def test_saved_searches(as_role):
    client = as_role("adviseur")
    page = client.get("/berichten", params={"q": "kliko"})
    response = client.post("/berichten/zoekopdrachten", data={"naam": "Kliko's", "zoekopdracht": "q=kliko",
                                                              "csrf_token": csrf_of(page.text)})
    assert 'href="/berichten?q=kliko">Kliko&#39;s</a>' in response.text


def test_webcare_cannot_reach_the_source_forms(as_role, ws_config):
    client = as_role("webcare")
    token = csrf_of(client.get("/").text)
    assert client.get("/bronnen").status_code == 403
    response = client.post("/bronnen/bron", data={"naam": "nieuw", "soort": "feed", "url": "http://127.0.0.1/feed",
                                                  "interval": "10m", "ingeschakeld": "ja", "csrf_token": token})
    assert response.status_code == 403


def test_source_health_counts_the_scores_an_older_model_made(as_role, engine):
    client = as_role("beheer")
    assert 'id="model"' not in client.get("/bronnen").text, "no scorer has run yet"
    with engine.begin() as conn:
        stored = conn.execute(select(scores.c.post_id, scores.c.model, scores.c.model_version)).all()
        record_scorer(conn, "nieuw-model", "2")
    page = client.get("/bronnen").text
    assert "Sentimentmodel: nieuw-model (versie 2)." in page
    assert f"{len(stored)} berichten hebben nog een score van een ouder model" in page


def test_a_source_is_added_through_the_form_and_a_bad_value_changes_nothing(as_role, ws_app, engine, tmp_path):
    client = as_role("beheer")
    page = client.get("/bronnen")
    config_file = tmp_path / "watch.toml"
    before = config_file.read_text(encoding="utf-8")
    response = client.post("/bronnen/bron", data={"naam": "Fout Naam", "soort": "feed", "url": "ftp://x",
                                                  "interval": "vaak", "csrf_token": csrf_of(page.text)})
    assert response.status_code == 422
    for message in ("Gebruik kleine letters", "volledig webadres", "Geef een interval"):
        assert message in response.text
    assert config_file.read_text(encoding="utf-8") == before
    response = client.post("/bronnen/bron", data={"naam": "dvhn", "soort": "feed", "url": "http://127.0.0.1:9/dvhn.xml",
                                                  "interval": "10m", "lokaal": "ja", "ingeschakeld": "ja",
                                                  "csrf_token": csrf_of(page.text)})
    assert response.status_code == 200 and "Bron dvhn opgeslagen" in response.text
    assert 'name = "dvhn"' in config_file.read_text(encoding="utf-8")
    assert any(s.name == "dvhn" for s in ws_app.state.config.sources)
    with engine.connect() as conn:
        assert audit.entries(conn, action="config.source.put")["items"][0]["actor"] == "beheer"
    # The same rules as the config file: a theme without terms is refused, the file unchanged.
    written = config_file.read_text(encoding="utf-8")
    response = client.post("/bronnen/thema", data={"naam": "groen", "termen": " , ", "csrf_token": csrf_of(page.text)})
    assert response.status_code == 422 and "minstens één zoekterm" in response.text
    assert config_file.read_text(encoding="utf-8") == written


def test_accounts_are_managed_by_beheer(as_role, ws_app, engine):
    client = as_role("beheer")
    page = client.get("/beheer/accounts")
    token = csrf_of(page.text)
    response = client.post("/beheer/accounts", data={"naam": "k.jansen", "rol": "webcare", "wachtwoord": "kort",
                                                     "csrf_token": token})
    assert response.status_code == 422 and "minstens 8 tekens" in response.text
    response = client.post("/beheer/accounts", data={"naam": "k.jansen", "rol": "webcare", "wachtwoord": "lang genoeg 1",
                                                     "csrf_token": token})
    assert "Account k.jansen aangemaakt" in response.text
    other = TestClient(ws_app)
    assert login(other, "k.jansen", "lang genoeg 1").status_code == 200
    assert other.get("/").status_code == 200
    client.post("/beheer/accounts/k.jansen", data={"actie": "uitschakelen", "csrf_token": token})
    assert other.get("/", follow_redirects=False).status_code == 303, "a disabled account's session ends"
    assert login(other, "k.jansen", "lang genoeg 1").status_code == 401
    with engine.connect() as conn:
        assert accounts.get_account(conn, "k.jansen")["enabled"] is False
        assert audit.entries(conn, action="account.uitschakelen")["items"][0]["actor"] == "beheer"


def test_logout_ends_the_session(as_role):
    client = as_role("webcare")
    token = csrf_of(client.get("/").text)
    assert client.post("/uitloggen", data={"csrf_token": token}).url.path == "/inloggen"
    assert client.get("/", follow_redirects=False).status_code == 303


def test_api_tokens_keep_working(ws_app):
    api = TestClient(ws_app)
    response = api.post("/api/posts/1/label", json={"label": "neutral"}, headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert response.status_code == 201


HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def test_post_text_is_escaped_everywhere(as_role, engine, ws_config):
    post_id = add_post(engine, ws_config, "mastodon-groningen", f"Afval in Groningen {HOSTILE}",
                       title=f"Kliko {HOSTILE}", author="<b>wie</b>", url="javascript:alert(3)", label="negative")
    client = as_role("webcare")
    for path in ("/", "/berichten?q=afval", f"/berichten/{post_id}", "/themas/afval"):
        html = client.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "javascript:alert" not in html, path
    assert "&lt;script&gt;" in client.get(f"/berichten/{post_id}").text


def test_cli_creates_an_account(engine, monkeypatch):
    from typer.testing import CliRunner

    from newsroom.cli import app

    monkeypatch.setenv("NEWSROOM_DATABASE_URL", str(engine.url.render_as_string(hide_password=False)))
    from core.config.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["account", "add", "eerste", "--role", "beheer"], input="geheim123\ngeheim123\n")
        assert result.exit_code == 0, result.output
        bad = CliRunner().invoke(app, ["account", "add", "tweede", "--role", "baas"], input="geheim123\ngeheim123\n")
        assert bad.exit_code == 2 and "Onbekende rol" in bad.output
    finally:
        get_settings.cache_clear()
    with engine.connect() as conn:
        assert accounts.get_account(conn, "eerste")["role"] == "beheer"
        assert accounts.get_account(conn, "tweede") is None


def test_alert_messages_link_to_the_workspace(engine, ws_app, ws_config):
    from zoneinfo import ZoneInfo

    from alerting.messages import alert_view, email, slack_payload, teams_payload
    from core.store.alerts import get_alert

    with engine.connect() as conn:
        alert_id = conn.execute(select(alerts.c.id)).scalars().first()
        alert = get_alert(conn, alert_id)
    view = alert_view(alert, alert["posts"], ws_config, ZoneInfo("Europe/Amsterdam"))
    link = f"{ws_config.newsletter.base_url.rstrip('/')}/signalen/{alert_id}"
    message = email(view, "newsroom@gemeente.example", ["kcc@gemeente.example"])
    text = message.get_body(("plain",)).get_content()
    assert link in text and "POST" not in text
    assert link in message.get_body(("html",)).get_content()
    assert link in str(slack_payload(view)) and link in str(teams_payload(view))


def test_the_coming_newsletter_has_the_advisers_intro_and_leaves_out_an_excluded_quote(as_role, engine, ws_config):
    from newsletter.archive import make
    from newsletter.build import build_week
    from workspace.admin import coming_week

    week = coming_week("Europe/Amsterdam")
    with engine.connect() as conn:
        data = build_week(conn, ws_config, week, "Europe/Amsterdam")
    shown = [p for label in data["quotes"].values() for p in label] or data["posts"]
    assert shown, "the fixture week quotes posts"
    victim = shown[0]
    client = as_role("adviseur")
    page = client.get("/nieuwsbrief")
    assert page.status_code == 200 and "<iframe" in page.text
    response = client.post("/nieuwsbrief", data={"intro": "Deze week vooral afval.", "uitgesloten": str(victim["id"]),
                                                  "vastgezet": "", "csrf_token": csrf_of(page.text)})
    assert response.status_code == 200 and "Opgeslagen" in response.text
    assert "Deze week vooral afval." in response.text.split("<iframe")[1], "the preview shows the intro"
    with engine.connect() as conn:
        again = build_week(conn, ws_config, week, "Europe/Amsterdam")
        html = make(conn, ws_config, week, "Europe/Amsterdam").html
    assert victim["id"] not in [p["id"] for label in again["quotes"].values() for p in label] + [p["id"] for p in again["posts"]]
    assert "Deze week vooral afval." in html
    bad = client.post("/nieuwsbrief", data={"intro": "anders", "uitgesloten": "tien", "csrf_token": csrf_of(page.text)})
    assert bad.status_code == 422 and "hele getallen" in bad.text
    with engine.connect() as conn:
        assert build_week(conn, ws_config, week, "Europe/Amsterdam")["intro"] == "Deze week vooral afval."


def test_only_the_demo_names_its_accounts(ws_app, tmp_path):
    from core.store.db import make_engine
    from demo.launch import DEMO_PASSWORD, LOGIN_NOTICE, create_demo_accounts

    assert "wachtwoord" not in TestClient(ws_app).get("/inloggen").text.split("<form")[0]
    ws_app.state.settings = ws_app.state.settings.model_copy(update={"login_notice": LOGIN_NOTICE})
    assert LOGIN_NOTICE.replace("'", "&#39;") in TestClient(ws_app).get("/inloggen").text
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    create_demo_accounts(url)  # on a fresh store: migrates it first
    demo_engine = make_engine(url)
    with demo_engine.begin() as conn:
        for role in ("webcare", "adviseur", "beheer"):
            assert accounts.authenticate(conn, role, DEMO_PASSWORD)["role"] == role
    demo_engine.dispose()


def test_the_app_starts_with_a_plain_style_without_the_npm_assets(engine, ws_config, tmp_path, monkeypatch):
    import workspace.web
    from core.config.settings import Settings
    from newsroom.app import create_app

    monkeypatch.setattr(workspace.web, "NLDS", tmp_path / "nergens")
    app = create_app(Settings(database_url=str(engine.url), config=tmp_path / "watch.toml"), ws_config, engine)
    page = TestClient(app).get("/inloggen")
    assert page.status_code == 200
    assert "/werkruimte/static/workspace.css" in page.text and "nlds" not in page.text
    assert TestClient(app).get("/werkruimte/static/workspace.css").status_code == 200
