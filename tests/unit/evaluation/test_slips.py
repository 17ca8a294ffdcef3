"""Ballot slips (issue 19 item 4): the public recount from the log alone."""
from services.evaluation.domain import verify_slips


def env(type_, **payload):
    return {"type": type_, "payload": {"survey_id": "s-1", **payload}}


ISSUED = env("SlipsIssued", token_hashes=["a", "b", "c"])


def test_a_clean_log_verifies_and_counts_issued_used_unused():
    out = verify_slips([ISSUED, env("BallotCast", token_hash="b"), env("BallotCast", token_hash="a")], "s-1")
    assert out["ok"] is True and (out["issued"], out["used"], out["unused"]) == (3, 2, 1)
    assert out["spent_hashes"] == ["a", "b"] and out["issued_hashes"] == ["a", "b", "c"]


def test_a_slip_counted_twice_fails():
    out = verify_slips([ISSUED, env("BallotCast", token_hash="a"), env("BallotCast", token_hash="a")], "s-1")
    assert out["ok"] is False and out["checks"]["no_slip_counted_twice"] is False
    assert out["spent_twice"] == ["a"]


def test_a_spent_slip_never_issued_fails():
    out = verify_slips([ISSUED, env("BallotCast", token_hash="zz")], "s-1")
    assert out["ok"] is False and out["checks"]["every_spent_slip_issued"] is False


def test_more_ballots_than_slips_fails():
    out = verify_slips([env("SlipsIssued", token_hashes=["a"]), env("BallotCast", token_hash="a"),
                        env("BallotCast", token_hash="b")], "s-1")
    assert out["checks"]["used_within_issued"] is False and out["ok"] is False


def test_old_logs_carried_the_hashes_in_sample_drawn_and_other_surveys_do_not_count():
    other = {"type": "BallotCast", "payload": {"survey_id": "s-2", "token_hash": "a"}}
    out = verify_slips([env("SampleDrawn", token_hashes=["a"]), other], "s-1")
    assert out["ok"] is True and (out["issued"], out["used"]) == (1, 0)
