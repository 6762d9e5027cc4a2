
import pytest

from core.config.settings import PROJECT_ROOT
from core.config.watch import ConfigError, load_config, parse_duration


def test_shipped_groningen_config_is_valid():
    config = load_config(PROJECT_ROOT / "config" / "groningen.toml")
    assert config.watch.city == "Groningen"
    assert {s.kind for s in config.sources} == {"feed"}
    assert all(t.page.startswith("https://") for t in config.themes)
    assert config.source("rtvnoord").channel == "news"


def test_source_options_pass_through(write_config):
    path = write_config("""
        [[sources]]
        name = "forum-stad"
        kind = "forum"
        url = "https://forum.example.nl/"
        every = "1h"
        thread_list = "a.thread"
    """)
    source = load_config(path).source("forum-stad")
    assert source.options == {"thread_list": "a.thread"}
    assert source.interval.total_seconds() == 3600


@pytest.mark.parametrize(
    "extra, expected",
    [
        ('[[sources]]\nname = "x"\nkind = "telex"\nurl = "https://a.nl"\n', 'sources[0].kind (name="x")'),
        ('[[sources]]\nname = "x"\nkind = "feed"\nurl = "ftp://a.nl"\n', "sources[0].url"),
        ('[[sources]]\nname = "x"\nkind = "feed"\nurl = "https://a.nl"\nevery = "5s"\n', "at least 30s"),
        ('[[sources]]\nname = "x"\nkind = "feed"\nurl = "https://a.nl"\nevery = "soms"\n', "duration"),
        ('[[sources]]\nname = "Bad Name"\nkind = "feed"\nurl = "https://a.nl"\n', "sources[0].name"),
        ('[[sources]]\nname = "x"\nkind = "feed"\nurl = "https://a.nl"\n[[sources]]\nname = "x"\nkind = "feed"\nurl = "https://b.nl"\n', "used twice"),
        ('[alerts]\ncooldown = 5\n', "alerts.cooldown"),
        ('[surprise]\nkey = 1\n', "surprise"),
    ],
)
def test_broken_config_names_file_field_and_problem(write_config, extra, expected):
    path = write_config(extra)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    assert expected in message


def test_missing_watch_section(tmp_path):
    path = tmp_path / "empty.toml"
    path.write_text("[[themes]]\nname = 'afval'\nterms = ['afval']\n")
    with pytest.raises(ConfigError, match=r"watch: Field required"):
        load_config(path)


def test_not_toml_and_not_utf8_and_missing(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[watch\ncity = 'Groningen'")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"[watch]\ncity = '\xff\xfe'\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(binary)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")


def test_parse_duration():
    assert parse_duration("10m").total_seconds() == 600
    assert parse_duration("14d").days == 14
    with pytest.raises(ValueError):
        parse_duration("10 minutes")
    with pytest.raises(ValueError, match="too long"):
        parse_duration("84695044920149d")
