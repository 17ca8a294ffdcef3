"""The gateway's token database (services.gateway.tokens) on the test run's Mongo: the
one-ballot claim through every outcome, and what it keeps about the ballot."""
import eventlet
import pytest

from services.gateway.tokens import TokenError, TokenStore

SURVEY = "s-0123456789ab"


@pytest.fixture
def store(mongo_client, db_prefix):
    return TokenStore(mongo_client[f"{db_prefix}_gateway"])


@pytest.fixture
def respondent(store):
    return store.issue("群众", "respondent", SURVEY)["token"]


def ballot_of(store, token):
    from services.gateway.tokens import token_hash
    return store.tokens.find_one({"_id": token_hash(token)}).get("ballot")


def test_a_cast_ballot_keeps_the_claim_and_nothing_about_the_ballot(store, respondent):
    assert store.claim_ballot(respondent, "ballot-a") == "first"
    assert store.claim_ballot(respondent, "ballot-b") is None  # while it is being cast
    store.settle_ballot(respondent, "ballot-a", "first", "cast")
    assert set(ballot_of(store, respondent)) == {"state", "at"}
    assert store.claim_ballot(respondent, "ballot-a") is None
    assert store.claim_ballot(respondent, "ballot-b") is None


def test_a_refused_ballot_releases_the_claim(store, respondent):
    assert store.claim_ballot(respondent, "ballot-a") == "first"
    store.settle_ballot(respondent, "ballot-a", "first", "refused")
    assert ballot_of(store, respondent) is None
    assert store.claim_ballot(respondent, "ballot-b") == "first"


def test_after_no_answer_only_the_same_ballot_token_may_try_again(store, respondent):
    assert store.claim_ballot(respondent, "ballot-a") == "first"
    store.settle_ballot(respondent, "ballot-a", "first", "unknown")
    kept = ballot_of(store, respondent)
    assert kept["state"] == "unknown" and "ballot-a" not in str(kept)  # a salted hash only
    assert store.claim_ballot(respondent, "ballot-b") is None
    assert store.claim_ballot(respondent, "ballot-a") == "retry"
    store.settle_ballot(respondent, "ballot-a", "retry", "refused")  # e.g. the survey is closed
    assert ballot_of(store, respondent)["state"] == "unknown"
    assert store.claim_ballot(respondent, "ballot-a") == "retry"
    store.settle_ballot(respondent, "ballot-a", "retry", "cast")
    assert set(ballot_of(store, respondent)) == {"state", "at"}
    assert store.claim_ballot(respondent, "ballot-a") is None


def test_concurrent_claims_with_one_token_one_wins(store, respondent):
    pool = eventlet.GreenPool(20)
    claims = list(pool.imap(lambda i: store.claim_ballot(respondent, f"ballot-{i}"), range(20)))
    assert claims.count("first") == 1 and claims.count(None) == 19


def test_only_a_live_respondent_token_claims(store, respondent):
    office = store.issue("科员", "office")["token"]
    assert store.claim_ballot(office, "ballot-a") is None
    person = store.authenticate(respondent).id
    store.revoke(person)
    assert store.claim_ballot(respondent, "ballot-a") is None


def test_the_store_refuses_a_scope_that_is_not_a_string(store):
    with pytest.raises(TokenError):
        store.issue("x", "unit", {"$ne": None})
    assert store.tokens.count_documents({}) == 0


# ---------------------------------------------------------------- dashboard sessions

def test_a_session_is_a_random_id_kept_as_its_hash(store):
    issued = store.issue("王主任", "office")
    session_id, person = store.open_session(issued["token"])
    assert person.id == issued["person_id"] and session_id != issued["token"]
    [kept] = store.sessions.find()
    assert session_id not in str(kept) and issued["token"] not in str(kept)
    assert store.session_person(session_id) == person
    store.close_session(session_id)
    assert store.session_person(session_id) is None and store.sessions.count_documents({}) == 0


def test_no_session_for_a_bad_or_revoked_token(store):
    assert store.open_session("dd_nothing") is None and store.open_session(None) is None
    issued = store.issue("王主任", "office")
    store.revoke(issued["person_id"])
    assert store.open_session(issued["token"]) is None
    assert store.sessions.count_documents({}) == 0


def test_an_expired_session_opens_nothing_and_is_swept(store):
    token = store.issue("王主任", "office")["token"]
    old, _ = store.open_session(token, seconds=-1)
    assert store.session_person(old) is None
    fresh, _ = store.open_session(token)  # opening one sweeps the expired
    assert store.sessions.count_documents({}) == 1 and store.session_person(fresh) is not None


def test_revoking_ends_every_session_of_the_person(store):
    issued, other = store.issue("王主任", "office"), store.issue("李组长", "office")
    mine = [store.open_session(issued["token"])[0] for _ in range(2)]
    theirs, _ = store.open_session(other["token"])
    store.revoke(issued["person_id"])
    assert [store.session_person(s) for s in mine] == [None, None]
    assert store.sessions.count_documents({"person_id": issued["person_id"]}) == 0
    assert store.session_person(theirs) is not None


# the dashboard's token page (issue 17): a form's nonce acts once; the one-time notice
def test_a_token_forms_nonce_is_used_once(store):
    assert store.use_form_nonce("nonce-0123456789ab") is True
    assert store.use_form_nonce("nonce-0123456789ab") is False
    assert store.use_form_nonce("nonce-another-0123") is True


def test_used_nonces_are_kept_while_their_form_could_come_and_swept_after(store):
    from services.gateway.tokens import NONCE_KEPT_SECONDS, SESSION_SECONDS, token_hash
    assert NONCE_KEPT_SECONDS > SESSION_SECONDS
    assert store.use_form_nonce("nonce-old-0123456789") is True
    assert store.use_form_nonce("nonce-recent-0123456") is True
    long_ago = store.form_nonces.find_one({"_id": token_hash("nonce-recent-0123456")})["used_at"]
    store.form_nonces.update_one({"_id": token_hash("nonce-old-0123456789")},
                                 {"$set": {"used_at": "2000-01-01T00:00:00.000Z"}})
    assert store.use_form_nonce("nonce-new-0123456789") is True
    kept = {d["_id"] for d in store.form_nonces.find()}
    assert token_hash("nonce-old-0123456789") not in kept  # older than any session: swept
    assert token_hash("nonce-recent-0123456") in kept and long_ago
    assert store.use_form_nonce("nonce-recent-0123456") is False  # still refused


def test_the_notice_is_sealed_with_the_session_taken_once_and_only_by_it(store):
    import json
    payload = {"name": "周正平", "token": "dd_the-new-token"}
    store.put_flash("ds_session-a", payload)
    [held] = list(store.flashes.find())
    assert "dd_the-new-token" not in json.dumps(held, ensure_ascii=False)  # nothing stored names it
    assert store.take_flash("ds_session-b") is None                          # another session's: none
    assert store.take_flash("ds_session-a") == payload
    assert store.take_flash("ds_session-a") is None                          # once
    store.put_flash("ds_session-a", payload, seconds=-1)                     # expired: not shown
    assert store.take_flash("ds_session-a") is None
