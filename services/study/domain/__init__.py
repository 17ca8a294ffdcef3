"""Pure domain core of the study tracking service (R7–R10): study plans,
sessions, attendance, exemptions, hours, coverage and readiness.

One stream per unit: ``study-<unit_id>``. The unit's roster (members, study
groups, batch, mobilisation meeting) is learned from the units service's events
and passed into commands by the handler. Dispatch: ``decide`` looks the command's
type up in ``HANDLERS``; ``stream_of(command)`` and ``fold_for(command)`` say which
stream it runs on and how that stream is folded."""
from types import ModuleType as _ModuleType

from .basis import EMPTY_BASIS, EMPTY_TALLY, basis_of, counted, evolve_basis
from .catalog import FORMS, PLAN_ITEMS, REQUIRED_CONTENT, SELF_STUDY
from .commands import (
                       GrantExemption,
                       NoteMemberEnrolled,
                       RecordAttendance,
                       RecordStudySession,
                       RevokeExemption,
                       SetStudyPlan,
)
from .config import DEFAULT_CONFIG, BatchCalendar, StudyConfig, batch_one_calendar
from .decide import FLOOR_CAUSES, HANDLERS, decide, missing_plan_items
from .events import (
                       STUDY_EVENT_TYPES,
                       StudyAttendanceRecorded,
                       StudyExemptionGranted,
                       StudyExemptionRevoked,
                       StudyFloorLapsed,
                       StudyFloorReached,
                       StudyPlanSet,
                       StudySessionRecorded,
                       unit_stream,
)
from .figures import (
                       calendar_conflicts,
                       compliance_sheet,
                       county_row,
                       county_row_from,
                       county_table,
                       member_row,
                       member_rows,
                       readiness,
                       readiness_from,
                       session_doc,
                       sheet_from,
)
from .floor import floor_change
from .roster import (
                       UNITS_EVENT_TYPES,
                       RosterMember,
                       RosterStudyGroup,
                       UnitRoster,
                       evolve_roster,
                       evolve_roster_doc,
                       roster_from,
)
from .state import Exemption, Session, StudyState, evolve, evolve_envelope, fold
from .streams import fold_envelopes, fold_for, stream_of

__all__ = [name for name, value in dict(globals()).items()
           if not name.startswith("_") and not isinstance(value, _ModuleType)]
