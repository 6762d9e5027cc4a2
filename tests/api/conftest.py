import pytest
from fastapi.testclient import TestClient

from core.settings import Settings
from newsroom.app import create_app


@pytest.fixture
def make_client(engine, config, tmp_path):
    """make_client(**settings) -> a TestClient over the app on the test store."""

    def make(**overrides) -> TestClient:
        settings = Settings(database_url=str(engine.url), config=tmp_path / "watch.toml", **overrides)
        return TestClient(create_app(settings, config, engine), raise_server_exceptions=False)

    return make


@pytest.fixture
def client(make_client):
    return make_client(api_token="geheim")
