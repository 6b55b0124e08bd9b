"""`python -m bench`: every figure of ollama-lsp beside the baseline's, measured in one run.

    python -m bench            # full run (under 3 minutes): writes bench/results.md and .json
    python -m bench --quick    # few samples, writes nothing: CI checks it runs and the
                               # invariants hold

Exits 1 if an invariant breaks (text not the model's byte for byte, a seq gap, a notification
after its response, a cancel not answered -32800, streams mixed); a missed target never fails.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import latency, process, soak, throughput, typing
from bench.harness import FULL, QUICK, Samples, bench
from bench.report import Row, cpu_seconds, load_average, machine, table, write

SECTIONS = (
    latency.first_token,
    latency.inter_token,
    throughput.burst,
    latency.cancel,
    throughput.concurrency,
    process.memory,
    process.startup,
    soak.soak,
    typing.typing,
)

NOTES = """\
Baseline: a plain httpx client reading the same fake model server (Ollama's NDJSON API over
loopback, in a process of its own like Ollama) with the same cadence, in the same run, samples
alternating with ollama-lsp's. Both clients live in the benchmark's process.
Latencies are p50 / p99 in ms; overhead = ollama-lsp minus baseline at each. Token latency: from the
fake server completing a chunk's write to the client parsing the frame that carries it. Cancel:
from the client writing the cancel (the baseline: closing the HTTP response) to the fake server
seeing the connection closed. The server runs with default settings (batching: a leading-edge
throttle of 16 ms) except `limits.maxConnections` 32, so 32 chats can stream at once.
Regenerate: `python -m bench` (`--quick`: a smoke run with few samples)."""


#: A hung server or fake server must fail the run, not hang CI.
RUN_TIMEOUT_S = 600


async def run(samples: Samples, only: list[str]) -> tuple[list[Row], list[str], int]:
    rows: list[Row] = []
    async with asyncio.timeout(RUN_TIMEOUT_S), bench(samples) as context:
        for section in SECTIONS:
            if only and section.__name__ not in only:
                continue
            started = time.perf_counter()
            rows += await section(context)
            print(f"  {section.__name__}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
        return rows, context.invariants.violations, context.invariants.checked


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few samples; writes no files")
    parser.add_argument("--out", type=Path, help="where results.md/.json go (default: bench/)")
    parser.add_argument(
        "--only",
        action="append",
        choices=[section.__name__ for section in SECTIONS],
        help="run only this section (repeatable); writes no files unless --out is given",
    )
    args = parser.parse_args()
    load_before, started = load_average(), time.perf_counter()
    cpu_before = cpu_seconds()
    rows, violations, checked = asyncio.run(run(QUICK if args.quick else FULL, args.only or []))
    seconds, load_after = time.perf_counter() - started, load_average()
    host = machine()
    cpu_after = cpu_seconds()
    others = (cpu_after[0] - cpu_before[0]) - (cpu_after[1] - cpu_before[1])
    others_share = max(others, 0) / (seconds * (host["cores"] or 1))
    header = (
        f"# ollama-lsp benchmarks\n\n{'Quick' if args.quick else 'Full'} run, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {seconds:.0f} s · {host['cores']} cores, "
        f"{host['cpu']}, Python {host['python']} · noise: other work used "
        f"{others_share:.0%} of the CPUs during the run (1-minute load average "
        f"{load_before:.2f} before, {load_after:.2f} after)"
    )
    print(f"{header}\n\n{table(rows)}")
    print(f"\nInvariants: {checked} checked, {len(violations)} broken.")
    for violation in violations:
        print(f"  BROKEN: {violation}")
    out = args.out or (None if args.quick or args.only else Path(__file__).parent)
    if out is not None:
        data = {
            "mode": "quick" if args.quick else "full",
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": round(seconds, 1),
            "machine": host,
            "load_average": {"before": load_before, "after": load_after},
            "other_work_cpu_share": round(others_share, 3),
            "invariants": {"checked": checked, "violations": violations},
        }
        write(out, header, rows, NOTES, data)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
