"""R19: the review period of 党性分析材料 and the 分析评议 summary."""
import pytest

from shared.domain import Conflict
from shared.review_period import SIXTEENTH_CONGRESS, review_period


def test_work_since_the_16th_congress_by_default_and_thinking_from_the_same_day():
    assert review_period() == {"work_since": SIXTEENTH_CONGRESS, "thinking_since": SIXTEENTH_CONGRESS}


def test_thinking_may_reach_further_back():
    assert review_period(thinking_since="1997-09-12") == {"work_since": "2002-11-08",
                                                          "thinking_since": "1997-09-12"}


@pytest.mark.parametrize("work, thinking, field", [("2002-11-09", None, "work_since"),
                                                   ("2004-01-01", "1998-01-01", "work_since"),
                                                   (None, "2003-05-01", "thinking_since"),
                                                   ("2000-01-01", "2001-01-01", "thinking_since"),
                                                   ("not-a-date", None, "work_since")])
def test_a_period_starting_too_late_is_refused_naming_the_field(work, thinking, field):
    with pytest.raises(Conflict) as info:
        review_period(work, thinking)
    assert info.value.details["field"] == field and info.value.message
