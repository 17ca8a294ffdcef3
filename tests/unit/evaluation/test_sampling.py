"""The draw is deterministic, documented and re-runnable from the log alone (R12)."""
import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.evaluation.domain.hashing import sha256_hex
from services.evaluation.domain.sampling import ALGORITHM, SampleTooLarge, draw_sample, verify_draw, verify_survey_log

SEED = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"


def independent_draw(frame, k, seed, entropy=""):
    """Re-implementation written from SAMPLING.md alone, as an outside auditor would."""
    key = hashlib.sha256(seed.encode() + b"\n" + entropy.encode()).digest()
    counter = 0
    a = sorted(frame)
    for i in range(k):
        m = len(a) - i
        while True:
            r = int.from_bytes(hmac.new(key, counter.to_bytes(8, "big"), "sha256").digest()[:8], "big")
            counter += 1
            if r < 2 ** 64 - (2 ** 64 % m):
                break
        j = i + r % m
        a[i], a[j] = a[j], a[i]
    return a[:k]


FRAME = ["王五", "张三", "李四", "赵六", "钱七", "孙八", "周九", "吴十"]


def test_known_vector_matches_the_documented_algorithm():
    sample = draw_sample(FRAME, 3, SEED)
    assert sample == independent_draw(FRAME, 3, SEED)
    assert len(set(sample)) == 3 and set(sample) <= set(FRAME)


def test_listing_order_of_the_frame_does_not_matter():
    assert draw_sample(FRAME, 4, SEED) == draw_sample(list(reversed(FRAME)), 4, SEED)


def test_public_entropy_changes_the_draw():
    samples = {tuple(draw_sample(FRAME, 4, SEED, e)) for e in ["", "dice 3-5-1", "lottery 042"]}
    assert len(samples) > 1


def test_whole_frame_is_a_permutation_and_too_large_refused():
    assert sorted(draw_sample(FRAME, len(FRAME), SEED)) == sorted(FRAME)
    with pytest.raises(SampleTooLarge):
        draw_sample(FRAME, len(FRAME) + 1, SEED)


@settings(max_examples=60, deadline=None)
@given(frame=st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=25, unique=True),
       data=st.data(), seed=st.text(alphabet="0123456789abcdef", min_size=32, max_size=64),
       entropy=st.text(max_size=10))
def test_property_deterministic_distinct_inside_frame_and_matches_spec(frame, data, seed, entropy):
    k = data.draw(st.integers(min_value=0, max_value=len(frame)))
    first = draw_sample(frame, k, seed, entropy)
    assert first == draw_sample(list(frame), k, seed, entropy)
    assert len(first) == k == len(set(first))
    assert set(first) <= set(frame)
    assert first == independent_draw(frame, k, seed, entropy)


def test_every_person_can_be_drawn_roughly_evenly():
    counts = {p: 0 for p in FRAME}
    for n in range(800):
        seed = hashlib.sha256(str(n).encode()).hexdigest()
        for p in draw_sample(FRAME, 2, seed):
            counts[p] += 1
    # expected 200 each; a badly biased draw would fall far outside
    assert all(140 < c < 260 for c in counts.values()), counts


def _opened(frame=FRAME, k=3, seed=SEED):
    return {"survey_id": "s-1", "frame": list(frame), "sample_size": k, "seed_hash": sha256_hex(seed)}


def _drawn(sample, seed=SEED, entropy=""):
    return {"survey_id": "s-1", "seed": seed, "public_entropy": entropy, "algorithm": ALGORITHM,
            "sample": sample}


def test_verify_accepts_an_honest_draw():
    result = verify_draw(_opened(), _drawn(draw_sample(FRAME, 3, SEED)))
    assert result["ok"] is True
    assert result["expected_sample"] == result["drawn_sample"]


def test_verify_catches_a_swapped_person():
    honest = draw_sample(FRAME, 3, SEED)
    outsider = next(p for p in FRAME if p not in honest)
    result = verify_draw(_opened(), _drawn([outsider] + honest[1:]))
    assert result["ok"] is False
    assert result["checks"]["sample_matches"] is False
    assert result["checks"]["seed_matches_commitment"] is True


def test_verify_catches_a_seed_other_than_the_committed_one():
    other = "f" * 64
    result = verify_draw(_opened(), _drawn(draw_sample(FRAME, 3, other), seed=other))
    assert result["ok"] is False
    assert result["checks"]["seed_matches_commitment"] is False


def test_verify_from_envelopes_finds_the_survey():
    envs = [{"type": "SurveyOpened", "payload": _opened()},
            {"type": "SurveyOpened", "payload": {**_opened(), "survey_id": "s-2"}},
            {"type": "SampleDrawn", "payload": _drawn(draw_sample(FRAME, 3, SEED))}]
    assert verify_survey_log(envs, "s-1")["ok"] is True
    missing = verify_survey_log(envs, "s-2")
    assert missing["ok"] is False and missing["checks"]["draw_found"] is False


def test_published_test_vector_of_sampling_md():
    frame = ["王五", "张三", "李四", "赵六", "钱七", "孙八", "周九", "吴十"]
    assert sha256_hex(SEED) == "2a8abfa8cb9906290437854193ca6bca41d4d4e26d1d454bd66a35158095e737"
    assert draw_sample(frame, 3, SEED) == ["吴十", "李四", "王五"]
    assert draw_sample(frame, 3, SEED, "dice 3-5-1") == ["赵六", "钱七", "王五"]
