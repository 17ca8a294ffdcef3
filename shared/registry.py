"""The services a process knows, and the read models each one keeps.

``shared/`` never imports a service. What the library needs to know about one -- the
audit's as-of fold and rebuild, and the operator's backup, replay every service's log into
that service's projections -- it reads here, and the composition root
(``assembly.catalogue.register_services``) fills this registry when a process starts: every
``dudao`` command and every ``dudao serve NAME`` (the gateway answers ``/audit/as-of``
from it), and the test session (tests/conftest.py).

    register("study", projections=load_study_projections, views=load_study_views)
    projections_of("study")   # the projections the running service maintains
    views_of("study")         # {collection: view(doc, collections)}, see below

``projections`` and ``views`` are given either as they are or as a function of no
arguments that returns them, called on the first question and remembered: a process
registers every service but imports only those it asks about.

A view renders what a service's API answers from a document that keeps only a basis (the
study sheets store hours and render the figures with the service's configuration):
``view(doc, collections) -> dict``, where ``collections`` is {collection: {key: doc}} of
the same fold. Services without such documents register none."""
from __future__ import annotations

import dataclasses
from typing import Callable, Iterable, Mapping, Union

View = Callable[[Mapping, Mapping[str, Mapping]], dict]
Projections = Union[Iterable, Callable[[], Iterable]]
Views = Union[Mapping[str, View], Callable[[], Mapping[str, View]]]


class NotRegistered(LookupError):
    pass


@dataclasses.dataclass
class _Entry:
    projections: Projections
    views: Views
    resolved: dict = dataclasses.field(default_factory=dict)

    def get(self, what: str):
        if what not in self.resolved:
            given = getattr(self, what)
            value = given() if callable(given) else given
            self.resolved[what] = tuple(value) if what == "projections" else dict(value)
        return self.resolved[what]


_entries: dict[str, _Entry] = {}


def register(service: str, *, projections: Projections, views: Views | None = None) -> None:
    """Declare a service's projections and views; a second registration replaces the first."""
    _entries[service] = _Entry(projections, {} if views is None else views)


def registered() -> tuple[str, ...]:
    return tuple(_entries)


def projections_of(service: str) -> list:
    """The projections the running service maintains (its Wiring's), in its order."""
    return list(_entry(service).get("projections"))


def views_of(service: str) -> dict[str, View]:
    return dict(_entry(service).get("views"))


def _entry(service: str) -> _Entry:
    try:
        return _entries[service]
    except KeyError:
        known = ", ".join(_entries) or "none"
        raise NotRegistered(
            f"no service {service!r} is registered (registered: {known}); the composition "
            f"root registers every service when a process starts "
            f"(assembly.catalogue.register_services)") from None
