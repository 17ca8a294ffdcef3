"""A frame of pseudonymous ids (issue 19 item 3): the evaluation service draws and verifies on
the ids; the names they stand for live only in its unit facts, and go when the units log
records the retention's erasure. The draw's verification does not change."""
import json

from services.evaluation.domain import fold, unit_facts_from_docs
from services.evaluation.domain import survey as sv
from services.evaluation.domain.sampling import verify_draw
from services.evaluation.projections import SURVEY_RESULTS, UNIT_FACTS, UNIT_GROUPS
from shared.projection import envelope_for
from tests.unit.evaluation.helpers import UNIT, decide, draw_cmd, open_cmd, tokens_for
from tests.unit.evaluation.test_projections import feed_units, foreign, runner

IDS = [f"r-{i:012d}" for i in range(4)]
NAMES = ["群众甲", "群众乙", "群众丙", "群众丁"]


def notified(r):
    feed_units(r)
    r.apply(foreign("PublicNotified", unit_id=UNIT, notification_id="n2", scope=IDS, date="2005-06-02",
                    phase="survey", rectification_status="整改措施已完成",
                    people=[{"person_id": i, "name": n} for i, n in zip(IDS, NAMES)]), source="units")


def test_the_frame_is_the_ids_and_the_names_stay_beside_it_until_erased():
    r = runner()
    notified(r)
    doc = r.collections[UNIT_FACTS][UNIT]
    assert doc["latest_notification"]["scope"] == IDS
    assert {x["person_id"]: x["name"] for x in doc["respondents"]} == dict(zip(IDS, NAMES))

    unit = unit_facts_from_docs(doc, r.collections[UNIT_GROUPS][UNIT])
    state, log = sv.INITIAL, []
    for command in (open_cmd("s-1", 4, unit=unit), draw_cmd("s-1", tokens=tokens_for("s-1", 4))):
        events = decide(state, command)
        state = fold(events, state)
        log += events
    opened, drawn = log[0], log[1]
    assert opened.frame == IDS and set(drawn.sample) == set(IDS)
    assert not [n for n in NAMES if n in json.dumps([e.payload() for e in log], ensure_ascii=False)]
    for e in log:
        r.apply(envelope_for(e, stream_id=f"surveys-{UNIT}"), source="evaluation")
    before = json.dumps(r.collections[SURVEY_RESULTS], ensure_ascii=False, sort_keys=True)
    check = verify_draw(opened.payload(), drawn.payload())

    r.apply(foreign("RespondentNamesErased", unit_id=UNIT, subject_ids=IDS, accepted_on="2005-07-01",
                    retention_days=0, due="2005-07-01", erased_on="2005-07-01"), source="units")
    doc = r.collections[UNIT_FACTS][UNIT]
    assert [x["name"] for x in doc["respondents"]] == ["已删除"] * 4
    assert [x["person_id"] for x in doc["respondents"]] == IDS
    assert not [n for n in NAMES if n in json.dumps(r.collections, ensure_ascii=False, default=str)]
    # the survey's read (its frame, sample and verification) is as it was
    assert json.dumps(r.collections[SURVEY_RESULTS], ensure_ascii=False, sort_keys=True) == before
    assert verify_draw(opened.payload(), drawn.payload()) == check and check["ok"]
