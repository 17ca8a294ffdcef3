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
