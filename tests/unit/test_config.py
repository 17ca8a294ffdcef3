"""Settings from the environment: the database timeouts every client gets."""
import pytest

from shared.config import settings


def test_database_calls_are_bounded_by_dudao_db_timeout(monkeypatch):
    monkeypatch.setenv("DUDAO_MONGO_URI", "mongodb://db:27017/?retryWrites=false")
    monkeypatch.setenv("DUDAO_DB_TIMEOUT", "2.5")
    assert settings().mongo_options() == {"serverSelectionTimeoutMS": 2500, "connectTimeoutMS": 2500,
                                          "serverMonitoringMode": "poll"}


def test_a_timeout_the_uri_sets_itself_is_left_to_the_uri(monkeypatch):
    monkeypatch.setenv("DUDAO_MONGO_URI", "mongodb://db:27017/?serverSelectionTimeoutMS=900")
    monkeypatch.delenv("DUDAO_DB_TIMEOUT", raising=False)
    assert settings().mongo_options() == {"connectTimeoutMS": 5000, "serverMonitoringMode": "poll"}


def test_a_monitoring_mode_the_uri_sets_itself_is_left_to_the_uri(monkeypatch):
    monkeypatch.setenv("DUDAO_MONGO_URI", "mongodb://db:27017/?serverMonitoringMode=stream")
    monkeypatch.delenv("DUDAO_DB_TIMEOUT", raising=False)
    assert "serverMonitoringMode" not in settings().mongo_options()


def test_the_retention_is_a_whole_number_of_days(monkeypatch):
    monkeypatch.delenv("DUDAO_RETENTION_DAYS", raising=False)
    assert settings().retention_days == 365
    monkeypatch.setenv("DUDAO_RETENTION_DAYS", "0")
    assert settings().retention_days == 0
    for bad in ("-1", "1.5", "a year"):
        monkeypatch.setenv("DUDAO_RETENTION_DAYS", bad)
        with pytest.raises(ValueError, match="DUDAO_RETENTION_DAYS"):
            settings()
