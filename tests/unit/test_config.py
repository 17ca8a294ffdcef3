"""Settings from the environment: the database timeouts every client gets."""
from shared.config import settings


def test_database_calls_are_bounded_by_dudao_db_timeout(monkeypatch):
    monkeypatch.setenv("DUDAO_MONGO_URI", "mongodb://db:27017/?retryWrites=false")
    monkeypatch.setenv("DUDAO_DB_TIMEOUT", "2.5")
    assert settings().mongo_options() == {"serverSelectionTimeoutMS": 2500, "connectTimeoutMS": 2500}


def test_a_timeout_the_uri_sets_itself_is_left_to_the_uri(monkeypatch):
    monkeypatch.setenv("DUDAO_MONGO_URI", "mongodb://db:27017/?serverSelectionTimeoutMS=900")
    monkeypatch.delenv("DUDAO_DB_TIMEOUT", raising=False)
    assert settings().mongo_options() == {"connectTimeoutMS": 5000}
