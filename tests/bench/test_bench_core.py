"""The core's pure parts: stream checks, statistics, chart scales, comparisons."""

from __future__ import annotations

from infer.bench.checks import StreamChecker
from infer.bench.compare import compare_documents
from infer.bench.plan import Slo, parse_slo
from infer.bench.stats import distribution, histogram, quantiles
from infer.bench.svg import Chart, Series, nice_ticks
from infer.client.stats import nearest_rank as percentile


def test_checker_accepts_a_contract_stream() -> None:
    checker = StreamChecker()
    for event_id in ("1", "2", "3"):
        checker.message(event_id)
    checker.terminal("4", "done", {"events": 3})
    checker.finish(ended_cleanly=True)
    assert checker.violations == [] and checker.events == 3


def test_checker_does_not_blame_a_stream_the_client_cut_short() -> None:
    checker = StreamChecker()
    checker.message("1")
    checker.finish(ended_cleanly=False)
    assert checker.violations == []


def test_checker_flags_a_first_id_other_than_1() -> None:
    checker = StreamChecker()
    checker.message("2")
    assert checker.violations == [("non_contiguous_id", "event id 2 after 0")]


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50 and percentile(values, 0.99) == 99
    assert percentile([], 0.5) is None
    assert distribution([3.0, 1.0, 2.0]) == {
        "p50": 2.0, "p90": 3.0, "p99": 3.0, "mean": 2.0, "min": 1.0, "max": 3.0,
    }  # fmt: skip


def test_quantiles_and_histogram_cover_every_value() -> None:
    values = [float(v) for v in range(1000)]
    steps = quantiles(values)
    assert len(steps) == 101 and steps[0] == 0 and steps[-1] == 999 and steps == sorted(steps)
    result = histogram(values)
    assert sum(result["counts"]) == 1000
    assert len(result["edges_ms"]) == len(result["counts"]) + 1
    assert histogram([]) == {"edges_ms": [], "counts": []}


def test_slo_is_met_only_within_every_bound() -> None:
    slo = parse_slo("ttft=500ms,itl=0.05s")
    assert slo == Slo(ttft_ms=500, itl_ms=50)
    assert slo.met(400, 40, 9999)
    assert not slo.met(600, 40, 1)
    assert not slo.met(400, 60, 1)
    assert not slo.met(None, None, 1)


def test_nice_ticks_reach_the_top() -> None:
    assert nice_ticks(97) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(1.0) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]


def test_negative_values_get_an_axis_below_zero() -> None:
    svg = Chart("t", "x", "y", [Series("s", [(1, -30.0), (2, 12.0)])]).render()
    assert ">-30</text>" in svg and ">0</text>" in svg and ">20</text>" in svg


def test_a_chart_without_data_says_so() -> None:
    assert ">no data</text>" in Chart("t", "x", "y", [Series("s", [])]).render()


def test_compare_reports_direction_of_change() -> None:
    def doc(ttft: float, events: float) -> dict[str, object]:
        level = {
            "label": "c=1",
            "level": {"concurrency": 1, "rate": None},
            "ttft_ms": {"p50": ttft},
            "events_per_s": events,
        }
        return {"created_at": "then", "levels": [level]}

    result = compare_documents(doc(80, 120), doc(100, 100))
    metrics = {m["metric"]: m for m in result["levels"][0]["metrics"]}
    assert metrics["TTFT p50 (ms)"]["percent"] == -20.0
    assert metrics["TTFT p50 (ms)"]["better"] == "better"
    assert metrics["events/s"]["better"] == "better" and metrics["events/s"]["delta"] == 20
