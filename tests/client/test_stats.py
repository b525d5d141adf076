"""`infer stream`'s statistics: nearest-rank percentiles checked against their definition."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infer.client.protocol import Event
from infer.client.session import Outcome
from infer.client.stats import StreamStats, nearest_rank, percentile


def by_definition(values: list[float], per_mille: int) -> float:
    """The nearest-rank percentile as defined: the smallest value with at least p of the values
    at or below it (exact integer arithmetic, so no rounding can hide an off-by-one)."""
    return min(v for v in values if sum(x <= v for x in values) * 1000 >= per_mille * len(values))


# Textbook nearest-rank examples (five, ten and eleven values), as (values, fraction, expected).
KNOWN = [
    ([15.0, 20.0, 35.0, 40.0, 50.0], 0.05, 15.0),
    ([15.0, 20.0, 35.0, 40.0, 50.0], 0.30, 20.0),
    ([15.0, 20.0, 35.0, 40.0, 50.0], 0.40, 20.0),
    ([15.0, 20.0, 35.0, 40.0, 50.0], 0.50, 35.0),
    ([15.0, 20.0, 35.0, 40.0, 50.0], 1.00, 50.0),
    ([3.0, 6.0, 7.0, 8.0, 8.0, 10.0, 13.0, 15.0, 16.0, 20.0], 0.25, 7.0),
    ([3.0, 6.0, 7.0, 8.0, 8.0, 10.0, 13.0, 15.0, 16.0, 20.0], 0.50, 8.0),
    ([3.0, 6.0, 7.0, 8.0, 8.0, 10.0, 13.0, 15.0, 16.0, 20.0], 0.75, 15.0),
    ([3.0, 6.0, 7.0, 8.0, 8.0, 9.0, 10.0, 13.0, 15.0, 16.0, 20.0], 0.25, 7.0),
    ([3.0, 6.0, 7.0, 8.0, 8.0, 9.0, 10.0, 13.0, 15.0, 16.0, 20.0], 0.50, 9.0),
    ([3.0, 6.0, 7.0, 8.0, 8.0, 9.0, 10.0, 13.0, 15.0, 16.0, 20.0], 0.75, 15.0),
    ([3.0, 6.0, 7.0, 8.0, 8.0, 9.0, 10.0, 13.0, 15.0, 16.0, 20.0], 1.00, 20.0),
]


@pytest.mark.parametrize(("values", "fraction", "expected"), KNOWN)
def test_nearest_rank_matches_the_textbook_examples(
    values: list[float], fraction: float, expected: float
) -> None:
    assert nearest_rank(values, fraction) == expected, f"p{fraction * 100:g} of {values}"


def test_p0_is_the_smallest_p100_the_largest_and_p50_splits_even_and_odd_counts() -> None:
    odd = [1.0, 2.0, 3.0, 4.0, 5.0]
    even = [1.0, 2.0, 3.0, 4.0]
    assert (nearest_rank(odd, 0.0), nearest_rank(odd, 0.5), nearest_rank(odd, 1.0)) == (1, 3, 5)
    # Nearest rank never interpolates: the median of an even count is the lower middle value.
    assert (nearest_rank(even, 0.0), nearest_rank(even, 0.5), nearest_rank(even, 1.0)) == (1, 2, 4)
    assert [nearest_rank([7.0], q) for q in (0.0, 0.5, 0.95, 1.0)] == [7.0] * 4
    assert nearest_rank([], 0.5) is None and percentile([], 0.5) is None


def test_floating_point_products_do_not_push_the_rank_up() -> None:
    # 0.95 * 20 is 19.000000000000004 in floating point; the 19th value is still the answer.
    assert nearest_rank([float(v) for v in range(1, 21)], 0.95) == 19.0
    assert nearest_rank([float(v) for v in range(1, 101)], 0.29) == 29.0


def test_percentile_sorts_its_values_first() -> None:
    assert percentile([50.0, 15.0, 40.0, 20.0, 35.0], 0.3) == 20.0
    assert percentile([9.0, 1.0, 5.0], 0.0) == 1.0
    assert percentile([9.0, 1.0, 5.0], 1.0) == 9.0


@given(
    values=st.lists(st.integers(-1000, 1000).map(float), min_size=1, max_size=40),
    per_mille=st.integers(0, 1000),
)
def test_percentile_is_the_nearest_rank_by_definition(values: list[float], per_mille: int) -> None:
    expected = by_definition(values, per_mille)
    got = percentile(values, per_mille / 1000)
    assert got == expected, f"p{per_mille / 10:g} of {sorted(values)}: got {got}, want {expected}"


def _event(at: float) -> Event:
    return Event(id="", name="message", data={}, raw="{}", at=at)


def test_the_summary_reports_the_gap_median_and_p95_of_the_stream() -> None:
    stats = StreamStats(started=100.0)
    # Gaps of 40, 10, 30, 20 ms (unsorted on purpose): p50 is 20 ms, p95 is 40 ms.
    for at in (100.5, 100.54, 100.55, 100.58, 100.6):
        stats.record(_event(at))
    summary = stats.summary(Outcome(ending="done"), ended_at=101.0)
    assert summary["gap_p50_ms"] == 20.0
    assert summary["gap_p95_ms"] == 40.0
    assert summary["events"] == 5 and summary["ttft_ms"] == 500.0 and summary["total_ms"] == 1000.0
