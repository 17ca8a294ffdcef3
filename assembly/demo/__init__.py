"""The demo county: about thirty units in three batches, three supervision groups, a few
hundred members, and a campaign advanced through the real HTTP API to a mix of states
(assembly/demo/county.py lists them). `make run` loads it once the stack is up
(assembly/devstack.py); `dudao demo` loads it into a running stack.

    from assembly import demo
    demo.load("http://127.0.0.1:8080", office_token, seed=2024)

Loading is skipped when units exist already, so running it twice changes nothing.
`make run` loads it as it stood ``HISTORY_DAYS`` ago (``load(..., days_ago=HISTORY_DAYS)``
with the services' clock set back as far) and then runs the stack on the wall's time, so
the 督办 page has what fell due meanwhile.
"""
from .county import HISTORY_DAYS
from .loader import DemoError, load

__all__ = ["load", "DemoError", "HISTORY_DAYS"]
