"""`--report report.html`: one self-contained page (inline CSS and SVG, no script, no network)
with the per-level table, TTFT and throughput against load, the latency CDF and the gap
histogram; with `--compare`, the old run drawn dashed and a table of deltas."""

from __future__ import annotations

from html import escape
from typing import Any

from infer.bench.svg import PALETTE, Chart, Series

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#111827;
background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#4b5563;margin-bottom:12px}.pass{color:#047857;font-weight:600}
.fail{color:#b91c1c;font-weight:600}
table{border-collapse:collapse;margin:8px 0}th,td{padding:4px 10px;border-bottom:1px solid #e5e7eb;
text-align:right}th:first-child,td:first-child{text-align:left}th{background:#f9fafb}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px}
svg.chart{border:1px solid #e5e7eb;border-radius:6px;background:#fff}
svg text{font:11px system-ui,sans-serif;fill:#374151}svg .title{font-size:14px;font-weight:600}
svg .label{font-size:12px}svg .axis{stroke:#6b7280}svg .grid{stroke:#f3f4f6}
.name{text-align:left!important}.better{color:#047857}.worse{color:#b91c1c}
code{background:#f3f4f6;padding:1px 4px}
"""


def render_report(document: dict[str, Any], old: dict[str, Any] | None = None) -> str:
    """The whole page as a string."""
    levels = document["levels"]
    verdict = (
        '<span class="pass">all streams correct</span>'
        if document["passed"]
        else f'<span class="fail">{document["violations"]} correctness violation(s)</span>'
    )
    target = document["target"]
    sections = [
        f"<h1>infer bench: {escape(str(target.get('model') or ''))}</h1>",
        f'<div class="meta">{escape(str(target.get("url")))} · {escape(document["created_at"])} · '
        f"infer {escape(document['infer_version'])} · {verdict}</div>",
        _levels_table(levels),
        '<h2>Charts</h2><div class="charts">',
        _ttft_chart(levels, old).render(),
        _throughput_chart(levels, old).render(),
        _cdf_chart(levels).render(),
        _gap_chart(levels).render(),
        _goodput_chart(levels).render() if any(level.get("goodput") for level in levels) else "",
        "</div>",
    ]
    if document.get("compare"):
        sections.append('<div class="charts">' + _delta_chart(document["compare"]).render())
        sections.append("</div>" + _compare_table(document["compare"]))
    sections.append(_violations_section(levels))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>infer bench report</title><style>{STYLE}</style></head><body>"
        + "\n".join(sections)
        + "</body></html>\n"
    )


def _x_ticks(levels: list[dict[str, Any]]) -> list[tuple[float, str]]:
    return [(_x(level), _tick_label(level)) for level in levels]


def _x(level: dict[str, Any]) -> float:
    spec = level["level"]
    return float(spec["concurrency"] if spec.get("concurrency") is not None else spec["rate"])


def _tick_label(level: dict[str, Any]) -> str:
    return f"{_x(level):g}"


def _x_label(levels: list[dict[str, Any]]) -> str:
    rate = levels and levels[0]["level"].get("rate") is not None
    return "request rate (req/s)" if rate else "concurrent streams"


def _log_x(levels: list[dict[str, Any]]) -> bool:
    xs = [_x(level) for level in levels]
    return bool(xs) and min(xs) > 0 and max(xs) / min(xs) >= 8


def _line(levels: list[dict[str, Any]], path: tuple[str, ...]) -> list[tuple[float, float]]:
    points = []
    for level in levels:
        value: Any = level
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, (int, float)):
            points.append((_x(level), float(value)))
    return points


def _ttft_chart(levels: list[dict[str, Any]], old: dict[str, Any] | None) -> Chart:
    series = [
        Series("TTFT p50", _line(levels, ("ttft_ms", "p50")), PALETTE[0]),
        Series("TTFT p90", _line(levels, ("ttft_ms", "p90")), PALETTE[3]),
        Series("TTFT p99", _line(levels, ("ttft_ms", "p99")), PALETTE[1]),
    ]
    if old is not None:
        series += [
            Series("old p50", _line(old["levels"], ("ttft_ms", "p50")), PALETTE[0], dashed=True),
            Series("old p99", _line(old["levels"], ("ttft_ms", "p99")), PALETTE[1], dashed=True),
        ]
    return Chart(
        "Time to first token",
        _x_label(levels),
        "TTFT (ms)",
        series,
        log_x=_log_x(levels),
        x_ticks=_x_ticks(levels),
    )


def _throughput_chart(levels: list[dict[str, Any]], old: dict[str, Any] | None) -> Chart:
    tokens = any(level.get("tokens_per_s") is not None for level in levels)
    key, name = ("tokens_per_s", "tokens/s") if tokens else ("events_per_s", "events/s")
    series = [Series(name, _line(levels, (key,)), PALETTE[2])]
    if old is not None:
        series.append(Series(f"old {name}", _line(old["levels"], (key,)), PALETTE[2], dashed=True))
    return Chart(
        "Throughput", _x_label(levels), name, series, log_x=_log_x(levels), x_ticks=_x_ticks(levels)
    )


def _goodput_chart(levels: list[dict[str, Any]]) -> Chart:
    series = [
        Series("requests/s", _line(levels, ("requests_per_s",)), PALETTE[2]),
        Series("goodput (met the SLO)", _line(levels, ("goodput", "requests_per_s")), PALETTE[4]),
    ]
    return Chart(
        "Goodput",
        _x_label(levels),
        "requests/s",
        series,
        log_x=_log_x(levels),
        x_ticks=_x_ticks(levels),
    )


def _cdf_chart(levels: list[dict[str, Any]]) -> Chart:
    series = []
    for index, level in enumerate(levels):
        quantiles = level.get("e2e_quantiles_ms") or []
        points = [(value, step / 100) for step, value in enumerate(quantiles)]
        series.append(Series(level["label"], points, PALETTE[index % len(PALETTE)], markers=False))
    return Chart(
        "End-to-end latency CDF", "latency (ms)", "fraction of requests", series, y_max=1.0
    )


def _gap_chart(levels: list[dict[str, Any]]) -> Chart:
    series = []
    for index, level in enumerate(levels):
        histogram = level.get("gap_histogram") or {}
        edges, counts = histogram.get("edges_ms") or [], histogram.get("counts") or []
        total = sum(counts) or 1
        points: list[tuple[float, float]] = []
        for left, right, count in zip(edges, edges[1:], counts, strict=False):
            points += [(left, count / total), (right, count / total)]
        series.append(
            Series(level["label"], points, PALETTE[index % len(PALETTE)], fill=True, markers=False)
        )
    return Chart("Inter-event gap histogram", "gap (ms)", "fraction of gaps", series)


DELTA_METRICS = ("TTFT p50 (ms)", "gap p50 (ms)", "e2e p50 (ms)", "events/s", "tokens/s")


def _delta_chart(compare: dict[str, Any]) -> Chart:
    """Percent change against the old run, per level, for the headline numbers."""
    series = []
    for index, name in enumerate(DELTA_METRICS):
        points = [
            (_x(level), float(metric["percent"]))
            for level in compare["levels"]
            for metric in level["metrics"]
            if metric["metric"] == name and metric["percent"] is not None
        ]
        if points:
            series.append(Series(name, points, PALETTE[index % len(PALETTE)]))
    levels = compare["levels"]
    return Chart(
        "Change against the old run",
        _x_label(levels),
        "change (%)",
        series,
        log_x=_log_x(levels),
        x_ticks=_x_ticks(levels),
    )


def _ms(value: Any) -> str:
    return "–" if value is None else f"{value:,.1f}"


def _levels_table(levels: list[dict[str, Any]]) -> str:
    head = (
        "<tr><th>level</th><th>ok</th><th>errors</th><th>timed out</th><th>TTFT p50</th>"
        "<th>TTFT p90</th><th>TTFT p99</th><th>gap p50</th><th>gap p90</th><th>gap p99</th>"
        "<th>e2e p50</th><th>e2e p99</th><th>events/s</th><th>tokens/s</th><th>goodput/s</th>"
        "<th>violations</th></tr>"
    )
    rows = []
    for level in levels:
        goodput = level.get("goodput") or {}
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{cell}</td>"
                for cell in (
                    escape(level["label"]),
                    f"{level['ok']}/{level['requests']}",
                    escape(_codes(level["errors"])),
                    escape(_codes(level["timed_out"])),
                    _ms(level["ttft_ms"]["p50"]),
                    _ms(level["ttft_ms"]["p90"]),
                    _ms(level["ttft_ms"]["p99"]),
                    _ms(level["gap_ms"]["p50"]),
                    _ms(level["gap_ms"]["p90"]),
                    _ms(level["gap_ms"]["p99"]),
                    _ms(level["e2e_ms"]["p50"]),
                    _ms(level["e2e_ms"]["p99"]),
                    _ms(level["events_per_s"]),
                    _ms(level["tokens_per_s"]),
                    _ms(goodput.get("requests_per_s")),
                    str(level["violations"]["total"]),
                )
            )
            + "</tr>"
        )
    return f"<h2>Levels (latencies in ms)</h2><table>{head}{''.join(rows)}</table>"


def _codes(counts: dict[str, int]) -> str:
    return ", ".join(f"{code} {count}" for code, count in counts.items()) or "0"


def _compare_table(compare: dict[str, Any]) -> str:
    rows = []
    for level in compare["levels"]:
        for metric in level["metrics"]:
            percent = "–" if metric["percent"] is None else f"{metric['percent']:+.1f} %"
            rows.append(
                f"<tr><td>{escape(level['label'])}</td>"
                f'<td class="name">{escape(metric["metric"])}</td>'
                f"<td>{metric['old']:,.2f}</td><td>{metric['new']:,.2f}</td>"
                f'<td class="{metric["better"]}">{percent}</td></tr>'
            )
    head = (
        '<tr><th>level</th><th class="name">metric</th><th>old</th><th>new</th><th>change</th></tr>'
    )
    when = escape(str(compare.get("old_created_at")))
    return f"<h2>Compared with the run of {when}</h2><table>{head}{''.join(rows)}</table>"


def _violations_section(levels: list[dict[str, Any]]) -> str:
    items = [
        f"<li>{escape(level['label'])} request {example['request']}: "
        f"<code>{escape(example['kind'])}</code> {escape(example['detail'])}</li>"
        for level in levels
        for example in level["violations"]["examples"]
    ]
    if not items:
        return ""
    return f"<h2>Correctness violations</h2><ul>{''.join(items)}</ul>"
