"""shared.registry: the composition root declares each service's projections and views;
the library (as-of, rebuild, backup) asks for them and never imports a service."""
import pytest

from shared import registry
from shared.audit import asof
from shared.projection import Projection


@pytest.fixture
def empty(monkeypatch):
    """A registry of this test's own (the session's registrations come back after it)."""
    monkeypatch.setattr(registry, "_entries", {})


def counter(collection="counts", source="alpha"):
    def apply(doc, env, key):
        return {"n": (doc or {"n": 0})["n"] + 1}
    return Projection(collection=collection, source=source, keys=lambda env: ["k"], apply=apply)


def env(position, recorded_at="2024-03-01T00:00:00.000Z"):
    return {"type": "Happened", "position": position, "recorded_at": recorded_at,
            "payload": {}, "event_id": f"e{position}"}


def test_projections_and_views_given_as_they_are(empty):
    p = counter()
    registry.register("alpha", projections=[p], views={"counts": lambda doc, cols: {"shown": doc["n"]}})
    assert registry.projections_of("alpha") == [p]
    assert set(registry.views_of("alpha")) == {"counts"}
    assert registry.registered() == ("alpha",)


def test_a_loader_is_called_once_on_the_first_question_only(empty):
    calls = []

    def load():
        calls.append(1)
        return (counter(),)

    registry.register("alpha", projections=load)
    assert calls == []  # registering imports nothing
    assert len(registry.projections_of("alpha")) == 1
    registry.projections_of("alpha")
    assert calls == [1]
    assert registry.views_of("alpha") == {}


def test_a_second_registration_replaces_the_first(empty):
    registry.register("alpha", projections=[counter("a")])
    registry.register("alpha", projections=[counter("b")])
    assert [p.collection for p in registry.projections_of("alpha")] == ["b"]


def test_an_unregistered_service_is_named_with_who_should_have_registered_it(empty):
    registry.register("alpha", projections=[])
    with pytest.raises(registry.NotRegistered) as err:
        registry.projections_of("beta")
    assert "'beta'" in str(err.value) and "alpha" in str(err.value)
    assert "assembly.catalogue.register_services" in str(err.value)


def test_as_of_folds_into_the_registered_projections_and_shows_their_views(empty):
    registry.register("alpha", projections=[counter()],
                      views={"counts": lambda doc, cols: {"shown": doc["n"] * 10}})
    pairs = [("alpha", env(1)), ("alpha", env(2)), ("alpha", env(3, "2024-03-02T00:00:00.000Z"))]
    answer = asof.as_of(iter(pairs), "2024-03-01T23:59:59.999Z", services=["alpha"])
    assert answer["events_applied"] == 2
    assert answer["services"] == {"alpha": {"counts": [{"_id": "k", "shown": 20}]}}


def test_the_session_registered_every_domain_service():
    """tests/conftest.py is a composition root like `dudao` and `dudao serve`."""
    from shared.config import DOMAIN_SERVICES
    assert set(DOMAIN_SERVICES) <= set(registry.registered())
