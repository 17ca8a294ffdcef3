"""The composition root: the one place that knows every service.

``services/`` are the domain services and the gateway; ``shared/`` is the library they
stand on and imports none of them. What puts them together into something that runs lives
here, above both:

- ``catalogue``: every process by name, its nameko service class, and what each domain
  service registers in ``shared.registry`` (its projections and views) at start-up;
- ``serve``: one service process (``dudao serve NAME``: containers, the Procfile, tests);
- ``cli``: the ``dudao`` command, with ``audit.cli`` (``dudao audit``) and ``ops_cli``
  (``dudao ops``);
- ``devstack``: ``make run``, ``make test``, ``make bench`` on the embedded stack;
- ``stack``: real service processes on a throwaway vhost and database prefix, for the tests
  and the benchmark;
- ``demo``: the demo county, loaded through the HTTP API;
- ``audit.sample``: a small campaign log written with the services' own events.
"""
