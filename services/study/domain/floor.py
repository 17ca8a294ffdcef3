"""The unit's floor as a recorded fact (R7, issue 15): "集中学习时间一般不得少于40学时".

The floor is *met* when every member on the unit's roster has at least the floor of
centralised 学时 or is exempted on record: exactly what the readiness answer says
(figures.readiness, which the phase gate asks before a unit leaves 学习动员), so the event
and the gate cannot disagree. A unit with no members has not met it.

``floor_change`` is run by ``decide`` after the commands that can change the standing, on
the state those commands' own events leave, so what it adds goes out in the same append:

- attendance and a granted exemption can only complete it (``StudyFloorReached``);
- a revoked exemption, and a member enrolled (the units service's ``MemberEnrolled``, which
  study sees through its roster; its reaction runs ``NoteMemberEnrolled``), can only undo it
  (``StudyFloorLapsed``).

Why the enrolment goes through a reaction: the hours and exemptions live on the unit's study
stream, the roster on the units service's log, which study folds into ``study_rosters``. The
inbox applies ``MemberEnrolled`` to that projection and then runs the reaction in the same
transaction, so the lapse is decided on the study stream with the roster that has the new
member, and recorded once, with the enrolment's position (no request and no round trip).

It is a change that is recorded: a reached floor is not recorded again while it holds, and a
lapse only follows a reach. Attendance and exemptions judge the standing whatever it was, so
one recorded on a roster that an enrolment overtook (the command read ``study_rosters`` just
before the reaction committed) is put right by the unit's next one.

The date is the command's (``today`` from the edge's clock, shared.clock; for the reaction,
the date of the enrolment's envelope), never the wall's: the day the record first shows the
floor met. Not the session's date: a session may be recorded dated in the past, and a
register filled in after the phase's deadline is, to 督促检查, a late one."""
from __future__ import annotations

from .config import StudyConfig
from .events import StudyFloorLapsed, StudyFloorReached
from .figures import readiness
from .hours import hours_text
from .roster import UnitRoster
from .state import StudyState, fold

REACHING = ("attendance", "exemption_granted")
LAPSING = ("exemption_revoked", "member_enrolled")


def floor_change(state: StudyState, events: list, roster: UnitRoster | None, today: str,
                 cause: str, config: StudyConfig) -> list:
    """The floor event (none, or one) that ``events``, decided on ``state`` for ``cause``,
    bring about. Without a roster nothing is judged."""
    if roster is None or (cause in LAPSING and state.floor_reached_on is None):
        # what can only undo the floor changes nothing while it is not reached (and an
        # enrolment, before any study is recorded, costs no look at the members)
        return []
    after = fold(events, state)
    answer = readiness(after, roster, config)
    floor = hours_text(config.floor_half_hours)
    if answer["ready"] and after.floor_reached_on is None:
        return [StudyFloorReached(unit_id=roster.unit_id, reached_on=today, floor=floor,
                                  member_count=answer["member_count"],
                                  exempted=answer["exempted"], cause=cause)]
    if not answer["ready"] and after.floor_reached_on is not None:
        return [StudyFloorLapsed(unit_id=roster.unit_id, lapsed_on=today, floor=floor,
                                 members_below=[m["member_id"] for m in answer["members_below"]],
                                 cause=cause)]
    return []
