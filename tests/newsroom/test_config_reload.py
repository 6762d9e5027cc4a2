"""The scheduler follows the config file: a source added through the API is crawled without a restart."""
from core.config.file import ConfigFile, delete_entry, put_entry
from core.config.settings import Settings
from core.config.watch import load_config
from newsroom.jobs import CRAWL_PREFIX, build_scheduler, reload_config_job

SOURCES = """
[[sources]]
name = "oogtv"
kind = "feed"
url = "http://127.0.0.1:9/feed"
every = "10m"
"""


def test_reload_reschedules_and_hands_jobs_the_new_config(write_config, engine):
    path = write_config(SOURCES)
    settings = Settings(database_url=str(engine.url), config=path)
    scheduler = build_scheduler(settings, load_config(path), engine)
    config_file = scheduler.get_job("config").args[3]
    assert isinstance(config_file, ConfigFile)
    assert reload_config_job(scheduler, settings, engine, config_file) is False  # nothing changed

    api_side = ConfigFile(path)  # the API process's own view of the same file
    api_side.change(put_entry("sources", "stadforum", {"kind": "discourse", "url": "http://127.0.0.1:9", "every": "2m"}))
    api_side.change(delete_entry("sources", "oogtv"))
    api_side.change(put_entry("themes", "gladheid", {"terms": ["gladheid"]}))

    assert reload_config_job(scheduler, settings, engine, config_file) is True
    crawls = {job.id: job for job in scheduler.get_jobs() if job.id.startswith(CRAWL_PREFIX)}
    assert set(crawls) == {CRAWL_PREFIX + "stadforum"}
    assert crawls[CRAWL_PREFIX + "stadforum"].trigger.interval.total_seconds() == 120
    for job_id in ("analytics", "alerts"):
        config = next(arg for arg in scheduler.get_job(job_id).args if hasattr(arg, "themes"))
        assert [t.name for t in config.themes] == ["afval", "parkeren", "gladheid"]


def test_one_watcher_shared_by_web_app_and_scheduler(write_config, engine):
    from newsroom.app import create_app

    path = write_config(SOURCES)
    settings = Settings(database_url=str(engine.url), config=path)
    config = load_config(path)
    shared = ConfigFile(path, config)
    scheduler = build_scheduler(settings, config, engine, shared)
    app = create_app(settings, config, engine, shared)
    job = scheduler.get_job("config")
    assert app.state.config_file is shared and job.args[3] is shared
    assert reload_config_job(*job.args) is False

    # The API changes the file through the web app's watcher: the scheduler, sharing it, follows.
    app.state.config_file.change(put_entry("sources", "stadforum", {"kind": "discourse", "url": "http://127.0.0.1:9"}))
    assert reload_config_job(*job.args) is True
    assert scheduler.get_job(CRAWL_PREFIX + "stadforum") is not None
    assert reload_config_job(*scheduler.get_job("config").args) is False  # handed the new config
