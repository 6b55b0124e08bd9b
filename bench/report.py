"""Figures → table rows with their targets; the machine they were measured on; the outputs."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
from pathlib import Path
from typing import Any

import attrs


def percentiles(values: list[float]) -> tuple[float, float]:
    """Median and 99th percentile (the maximum for fewer than 100 samples)."""
    if len(values) < 2:
        return values[0], values[0]
    return statistics.median(values), statistics.quantiles(values, n=100, method="inclusive")[98]


@attrs.frozen
class Limit:
    """A target: the row's figure `figure` must be at most `at_most`."""

    figure: str
    at_most: float


@attrs.frozen
class Row:
    metric: str
    baseline: str
    lsp: str
    delta: str
    figures: dict[str, float]
    target: str = ""
    limits: tuple[Limit, ...] = ()

    @property
    def passed(self) -> bool | None:
        if not self.limits:
            return None
        return all(self.figures[limit.figure] <= limit.at_most for limit in self.limits)


def latency_row(
    metric: str,
    baseline: list[float],
    lsp: list[float],
    target: str = "",
    limits: tuple[Limit, ...] = (),
) -> Row:
    """Distributions in ms: p50 / p99 of each, and ollama-lsp's overhead at each."""
    b50, b99 = percentiles(baseline)
    l50, l99 = percentiles(lsp)
    figures = {
        "baseline_p50": b50,
        "baseline_p99": b99,
        "lsp_p50": l50,
        "lsp_p99": l99,
        "overhead_p50": l50 - b50,
        "overhead_p99": l99 - b99,
        "samples": len(lsp),
    }
    return Row(
        metric,
        f"{b50:.2f} / {b99:.2f}",
        f"{l50:.2f} / {l99:.2f}",
        f"{l50 - b50:+.2f} / {l99 - b99:+.2f}",
        figures,
        target,
        limits,
    )


def ratio_row(
    metric: str,
    baseline: list[float],
    lsp: list[float],
    target: str = "",
    limits: tuple[Limit, ...] = (),
) -> Row:
    """Medians of each side and their ratio (ollama-lsp / baseline)."""
    b, lsp_median = statistics.median(baseline), statistics.median(lsp)
    figures = {"baseline": b, "lsp": lsp_median, "ratio": lsp_median / b, "samples": len(lsp)}
    return Row(
        metric, f"{b:.0f}", f"{lsp_median:.0f}", f"{lsp_median / b:.2f}x", figures, target, limits
    )


def value_row(
    metric: str,
    baseline: float | None,
    lsp: float,
    target: str = "",
    limits: tuple[Limit, ...] = (),
) -> Row:
    """One figure (MB): ollama-lsp's beside the baseline's, if there is one."""
    figures = {"lsp": lsp}
    if baseline is None:
        return Row(metric, "—", f"{lsp:.1f}", "", figures, target, limits)
    figures["baseline"] = baseline
    return Row(
        metric, f"{baseline:.1f}", f"{lsp:.1f}", f"{lsp - baseline:+.1f}", figures, target, limits
    )


def change_row(
    metric: str, start: float, end: float, target: str = "", limits: tuple[Limit, ...] = ()
) -> Row:
    """A figure of ollama-lsp at the start and the end of a long run (no baseline)."""
    figures = {"start": start, "end": end, "growth": end - start}
    return Row(metric, "—", f"{start:g} → {end:g}", f"{end - start:+g}", figures, target, limits)


def rss_mb(pid: int) -> float:
    """Resident memory of a process (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no VmRSS for process {pid}")


def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    return {"cores": os.cpu_count(), "cpu": model, "python": platform.python_version()}


def load_average() -> float:
    """The 1-minute load average: how busy the machine is (other work makes figures noisy)."""
    return os.getloadavg()[0]


def cpu_seconds() -> tuple[float, float]:
    """CPU time used so far by every process on the machine, and by this one and its
    (finished) children: their difference over a run is the other work's share."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    machine = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    ours = sum(
        usage.ru_utime + usage.ru_stime
        for usage in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )
    return machine, ours


def table(rows: list[Row]) -> str:
    lines = [
        "| metric | baseline | ollama-lsp | overhead / ratio | target | pass |",
        "|---|---|---|---|---|---|",
    ]
    verdicts = {True: "pass", False: "**FAIL**", None: ""}
    for row in rows:
        cells = [row.metric, row.baseline, row.lsp, row.delta, row.target, verdicts[row.passed]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write(directory: Path, header: str, rows: list[Row], notes: str, data: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "results.md").write_text(f"{header}\n\n{table(rows)}\n\n{notes}\n")
    document = {
        **data,
        "rows": [
            {**attrs.asdict(row, filter=lambda a, _: a.name != "limits"), "passed": row.passed}
            for row in rows
        ],
    }
    (directory / "results.json").write_text(json.dumps(document, indent=2) + "\n")
