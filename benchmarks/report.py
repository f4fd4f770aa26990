"""Writes the results: a markdown file (a table per measure) and a PNG chart against N.

Targets are the issue's; each row says pass or miss, and a miss says by how much. Nothing in
here is a result: every number comes from the measurement objects passed in.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import precision
from benchmarks.latency import LatencyResult
from benchmarks.precision import PrecisionResult
from benchmarks.runtime import RuntimeResult
from benchmarks.scale import (
    DESIGN_MINIMUM_WRITES,
    OPERATOR_PROCESS,
    OPERATOR_RESOURCES,
    ScaleResult,
)
from scheduledjob_dev.binaries import find_binaries

RATIO_TARGET, RATIO_AIM = 2.0, 1.5
RSS_TARGET_MB, RSS_TARGET_SIZE = 200.0, 5000
P95_TARGET_SECONDS = 2.0
STARTUP_TARGET_SECONDS = 0.3


@dataclass
class Results:
    """What a benchmark run produced; a measure that failed leaves its error instead."""

    command: str
    started: datetime.datetime
    scale: list[ScaleResult] = field(default_factory=list)
    latency: LatencyResult | None = None
    runtime: RuntimeResult | None = None
    precision: PrecisionResult | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _verdict(value: float, target: float, *, unit: str = "", scale: float = 1.0) -> str:
    if value <= target:
        return "pass"
    return f"**miss** by {(value - target) * scale:.2f}{unit} ({value / target:.2f}x the target)"


def machine() -> dict[str, str]:
    """CPU, cores, memory, OS, Python and the versions of what is measured."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor() or "unknown",
    )
    meminfo = Path("/proc/meminfo").read_text().split()
    memory_gb = int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024 / 1024
    try:
        apiserver = str(find_binaries().path("kube-apiserver"))
        kubernetes = subprocess.run(
            [apiserver, "--version"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as error:
        kubernetes = f"unknown ({error})"
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return {
        "CPU": model,
        "Cores": str(os.cpu_count()),
        "Memory": f"{memory_gb:.1f} GiB",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": sys.version.split()[0],
        "Kubernetes": kubernetes,
        "kopf": importlib.metadata.version("kopf"),
        "kubernetes (client)": importlib.metadata.version("kubernetes"),
        "Load average when the run started": load,
    }


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def _per(counts: Mapping[str, float], size: int) -> str:
    shown = {label: value / size for label, value in counts.items() if value / size >= 0.005}  # noqa: PLR2004
    return ", ".join(f"{label} {value:.2f}" for label, value in shown.items()) or "none"


def _split(counts: Mapping[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """Rows on the operator's resources, and the rest."""
    own = {k: v for k, v in counts.items() if k.split()[1].split("/")[0] in OPERATOR_RESOURCES}
    return own, {k: v for k, v in counts.items() if k not in own}


def _listed(counts: Mapping[str, float]) -> str:
    return ", ".join(f"{label} {value:.0f}" for label, value in counts.items()) or "none"


def _scale_sections(results: Sequence[ScaleResult]) -> list[str]:
    lines = ["## 1. Reconcile throughput", ""]
    lines += [
        "Time from the first create to every ScheduledJob `Ready=True` (for its generation, "
        "with a `cronJobName`), seen by a watch (millisecond resolution, no polling load), "
        "against creating the same N CronJobs directly with the same client and "
        f"{results[0].concurrency} threads. Target at N = 1000: within {RATIO_TARGET}x "
        f"(aim {RATIO_AIM}x). Each size is timed in {len(results[0].rounds) or 1} round(s), "
        "each on a fresh control plane; the ratio is the median round's (its times are "
        "shown), 'rounds' gives every round's ratio. 'Operator quiet' is when its reconcile "
        "count and writes last moved; 'mean reconcile' is the operator's own histogram "
        "(time in `Reconciler.reconcile` and its API calls, including waits for a free "
        "worker thread); operator CPU is its utime + stime from the first create until quiet. "
        "'ScheduledJob creates alone' and the CPU columns are the first round's.",
        "",
    ]
    rows: list[Sequence[object]] = []
    for r in results:
        verdict = _verdict(r.ratio, RATIO_TARGET, unit="x") if r.size == 1000 else "(info)"  # noqa: PLR2004
        median = r.median_round
        rows.append(
            (
                r.size,
                f"{median.direct_seconds:.2f}",
                f"{r.submit_seconds:.2f}",
                f"{median.operator_seconds:.2f}",
                f"**{r.ratio:.2f}x**",
                ", ".join(f"{round_.ratio:.2f}" for round_ in r.rounds) or "-",
                verdict,
                f"{r.settle_seconds:.2f}",
                f"{r.reconciles / r.size:.2f}",
                f"{1000 * r.reconcile_seconds / max(r.reconciles, 1):.1f}",
                f"{r.create_cpu_seconds:.1f}",
                f"{1000 * r.create_cpu_seconds / r.size:.0f}",
            )
        )
    lines += _table(
        (
            "N",
            "direct CronJob creates (s)",
            "ScheduledJob creates alone (s)",
            "all Ready (s)",
            "ratio",
            "rounds",
            "target",
            "operator quiet (s)",
            "reconciles per SJ",
            "mean reconcile (ms)",
            "operator CPU (s)",
            "CPU per SJ (ms)",
        ),
        rows,
    )
    lines += _cpu_section(results)
    lines += ["## 2. API writes per ScheduledJob", ""]
    lines += [
        "Deltas of the API server's `apiserver_request_total` (verbs POST, PUT, PATCH, DELETE, "
        "APPLY) on the operator's resources "
        f"({', '.join(OPERATOR_RESOURCES)}) from before the creates until the operator is "
        "quiet, less the benchmark's own N ScheduledJob creates. The design minimum is "
        f"{DESIGN_MINIMUM_WRITES}: create the CronJob, post the CreatedCronJob Event, patch the "
        "status once. Reads count every client: besides the operator, the controller "
        "manager's garbage collector GETs the owner of new CronJobs.",
        "",
    ]
    rows = [
        (
            r.size,
            f"**{r.writes_per_scheduledjob:.2f}**",
            DESIGN_MINIMUM_WRITES,
            _verdict(r.writes_per_scheduledjob, DESIGN_MINIMUM_WRITES),
            _per(r.create_writes, r.size),
            _per(r.create_reads, r.size),
        )
        for r in results
    ]
    lines += _table(
        (
            "N",
            "writes per SJ",
            "minimum",
            "target",
            "writes per SJ by kind",
            "reads per SJ (all clients)",
        ),
        rows,
    )
    lines += [
        "Idle: nothing changed for the window after the operator went quiet. Writes to the "
        "operator's resources should be zero; writes to other resources are listed with "
        "their usual writer (leases: the API server's identity lease, renewed every 10 s).",
        "",
    ]
    rows = []
    for r in results:
        own, other = _split(r.idle_writes)
        rows.append(
            (
                r.size,
                f"{r.idle_seconds:.0f}",
                f"**{sum(own.values()):.0f}**",
                _verdict(sum(own.values()), 0),
                _listed(own),
                _listed(other),
                f"{r.idle_reconciles:.0f}",
                _listed(r.idle_reads),
            )
        )
    lines += _table(
        (
            "N",
            "idle (s)",
            "operator writes",
            "target 0",
            "by kind",
            "other writers",
            "reconciles",
            "reads of those resources (all clients)",
        ),
        rows,
    )
    lines += [
        "One resync pass (`Controller.resync_once` with the operator's settings, run from "
        "the benchmark so that it has a clear start and end): it should write nothing.",
        "",
    ]
    rows = []
    for r in results:
        own, other = _split(r.resync_writes)
        rows.append(
            (
                r.size,
                f"{r.resync_seconds:.1f}",
                f"**{sum(own.values()):.0f}**",
                _verdict(sum(own.values()), 0),
                _listed(own),
                _listed(other),
                _per(r.resync_reads, r.size),
            )
        )
    lines += _table(
        (
            "N",
            "pass (s)",
            "operator writes",
            "target 0",
            "by kind",
            "other writers",
            "reads per SJ",
        ),
        rows,
    )
    lines += [
        "For reference, writes by others in the 5 s after the direct CronJob creates "
        "(the controller manager reacting to new CronJobs): "
        + "; ".join(f"N={r.size}: {_listed(r.direct_side_writes)}" for r in results),
        "",
    ]
    lines += ["## 3. Operator memory and CPU", ""]
    lines += [
        "The operator process's VmRSS right after the creates settle, its VmHWM (peak) and "
        "VmRSS (steady) at the end of the idle window, and its CPU seconds (utime + stime) "
        f"during the idle window. Target: under {RSS_TARGET_MB:.0f} MB at N = {RSS_TARGET_SIZE}.",
        "",
    ]
    rows = [
        (
            r.size,
            f"{r.rss_after_create_mb:.0f}",
            f"**{r.peak_rss_mb:.0f}**",
            f"{r.steady_rss_mb:.0f}",
            _verdict(r.peak_rss_mb, RSS_TARGET_MB, unit=" MB")
            if r.size >= RSS_TARGET_SIZE
            else "(info)",
            f"{r.idle_cpu_seconds:.2f} in {r.idle_seconds:.0f} s",
        )
        for r in results
    ]
    lines += _table(
        ("N", "RSS after creates (MB)", "peak RSS (MB)", "steady RSS (MB)", "target", "idle CPU"),
        rows,
    )
    warned = [(r.size, _listed(r.warnings)) for r in results if r.warnings]
    if warned:
        lines += ["Operator warnings and errors logged: "]
        lines += [f"- N={size}: {text}" for size, text in warned]
        lines += [""]
    return lines


def _cpu_section(results: Sequence[ScaleResult]) -> list[str]:
    """Where the two cores went in the first round: per process, per object created."""
    lines = [
        "CPU seconds of every process while the limit's CronJobs were created, and from the "
        "first ScheduledJob create until all were Ready (first round, read from /proc), per "
        "object created. When the sum over a phase approaches the phase's length times the "
        "cores, the phase is CPU-bound and every process's CPU lengthens it.",
        "",
    ]
    names = sorted({name for r in results for name in (*r.direct_cpu, *r.operator_cpu)})
    rows: list[Sequence[object]] = []
    for r in results:
        for phase, cpu, seconds in (
            ("direct CronJobs", r.direct_cpu, r.direct_seconds),
            ("ScheduledJobs", r.operator_cpu, r.operator_seconds),
        ):
            total = sum(cpu.values())
            rows.append(
                (
                    r.size,
                    phase,
                    f"{seconds:.2f}",
                    *(f"{1000 * cpu.get(name, 0.0) / r.size:.1f}" for name in names),
                    f"{1000 * total / r.size:.1f}",
                    f"{total / seconds:.2f}" if seconds else "-",
                )
            )
    lines += _table(
        (
            "N",
            "phase",
            "phase (s)",
            *(f"{name} (ms/object)" for name in names),
            "all (ms/object)",
            "cores busy",
        ),
        rows,
    )
    for r in results:
        direct, operator_phase = sum(r.direct_cpu.values()), sum(r.operator_cpu.values())
        if not direct:
            continue
        without = operator_phase - r.operator_cpu.get(OPERATOR_PROCESS, 0.0)
        lines.append(
            f"- N={r.size}: CPU per ScheduledJob over CPU per direct CronJob "
            f"**{operator_phase / direct:.2f}x** (this round's time ratio "
            f"{r.operator_seconds / r.direct_seconds:.2f}x); without the operator's own CPU "
            f"**{without / direct:.2f}x**: the ratio an operator that used no CPU at all "
            "would come to while both phases are CPU-bound."
        )
    return [*lines, ""]


def _latency_section(result: LatencyResult) -> list[str]:
    p95 = result.percentile(0.95)
    lines = ["## 4. Status latency", ""]
    lines += [
        "From a Job's Complete/Failed condition to its ScheduledJob's `status.lastRun` naming "
        "it, both first seen by watches in the benchmark (one monotonic clock). Pods run by "
        f"the node agent (real `basejob run` processes), {result.concurrency} runs at a time. "
        f"Target: p95 under {P95_TARGET_SECONDS} s.",
        "",
    ]
    run_median = sorted(result.run_seconds)[len(result.run_seconds) // 2]
    lines += _table(
        ("runs", "p50 (s)", "p95 (s)", "max (s)", "target", "failed runs", "median run (s)"),
        [
            (
                len(result.latencies),
                f"{result.p50:.3f}",
                f"**{p95:.3f}**",
                f"{max(result.latencies):.3f}",
                _verdict(p95, P95_TARGET_SECONDS, unit=" s"),
                result.failed_runs,
                f"{run_median:.2f}",
            )
        ],
    )
    return lines


def _runtime_section(result: RuntimeResult) -> list[str]:
    lines = ["## 5. Runtime", ""]
    lines += [
        f"Medians over {result.runs} interleaved rounds (after a warm-up round) with "
        f"`{result.interpreter}`; "
        "peak RSS is the child's own VmHWM. The job (`support.noop_job:NoOpJob`) does nothing, "
        "so everything is the runtime's cost.",
        "",
    ]
    floor = result.series["floor"].median_seconds
    rows: list[Sequence[object]] = [
        (
            series.name,
            f"{series.median_seconds * 1000:.0f}",
            f"{(series.median_seconds - floor) * 1000:+.0f}",
            f"{series.peak_mb:.0f}",
        )
        for series in result.series.values()
    ]
    lines += _table(("command", "median (ms)", "vs python -c pass (ms)", "peak RSS (MB)"), rows)
    added = result.added("local", "floor")
    telemetry = result.added("both", "pod")
    lines += _table(
        ("measure", "value", "target"),
        [
            (
                "added start-up (basejob run local - python -c pass)",
                f"**{added * 1000:.0f} ms**",
                _verdict(added, STARTUP_TARGET_SECONDS, unit=" s"),
            ),
            (
                "telemetry overhead (push + span export - telemetry off)",
                f"**{telemetry * 1000:.0f} ms**",
                "(info)",
            ),
            ("push alone", f"{result.added('push', 'pod') * 1000:.0f} ms", "(info)"),
            ("span export alone", f"{result.added('trace', 'pod') * 1000:.0f} ms", "(info)"),
        ],
    )
    return lines


def write_markdown(results: Results, path: Path, chart: Path | None) -> None:
    """The whole report."""
    lines = [
        "# Scale and cost benchmark",
        "",
        "Produced by (the one command; see `benchmarks/run.py`):",
        "",
        "```",
        results.command,
        "```",
        "",
        f"Date: {results.started:%Y-%m-%d %H:%M} UTC. Absolute times on a shared machine are "
        "noise; read the ratios, each measured against its limit in the same run.",
        "",
    ]
    lines += _table(("machine", ""), list(machine().items()))
    if chart is not None and results.scale:
        relative = os.path.relpath(chart, path.parent)
        lines += [f"![Reconcile time and operator memory against N]({relative})", ""]
    if results.scale:
        lines += _scale_sections(results.scale)
    if results.latency is not None:
        lines += _latency_section(results.latency)
    if results.runtime is not None:
        lines += _runtime_section(results.runtime)
    if results.precision is not None:
        lines += precision.section(results.precision)
    if results.errors:
        lines += ["## Failed measures", ""]
        lines += [f"- {name}: `{error}`" for name, error in results.errors.items()]
        lines += [""]
    path.write_text("\n".join(lines))


def write_chart(results: Sequence[ScaleResult], path: Path) -> None:
    """Reconcile time (operator vs the direct limit) and operator memory, against N."""
    import matplotlib as mpl  # noqa: PLC0415 - optional dependency (the `bench` extra)

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    sizes = [r.size for r in results]
    figure, (times, memory) = plt.subplots(1, 2, figsize=(11, 4.2))
    medians = [r.median_round for r in results]
    times.plot(sizes, [m.operator_seconds for m in medians], "o-", label="ScheduledJobs all Ready")
    times.plot(sizes, [m.direct_seconds for m in medians], "s--", label="direct CronJob creates")
    times.plot(
        sizes,
        [RATIO_TARGET * m.direct_seconds for m in medians],
        ":",
        color="grey",
        label=f"target ({RATIO_TARGET}x direct)",
    )
    for r in results:
        times.annotate(
            f"{r.ratio:.1f}x",
            (r.size, r.median_round.operator_seconds),
            textcoords="offset points",
            xytext=(6, 6),
        )
    times.set(xlabel="N (ScheduledJobs)", ylabel="seconds", title="Reconcile time (ratio)")
    memory.plot(
        sizes, [r.peak_rss_mb for r in results], "o-", markersize=9, label="peak RSS (VmHWM)"
    )
    memory.plot(sizes, [r.steady_rss_mb for r in results], "s--", label="steady RSS (idle)")
    memory.axhline(
        RSS_TARGET_MB, linestyle=":", color="grey", label=f"target (at N = {RSS_TARGET_SIZE})"
    )
    memory.set(xlabel="N (ScheduledJobs)", ylabel="MB", title="Operator memory")
    for axes in (times, memory):
        if len(sizes) > 1:
            axes.set_xscale("log")
        axes.set_xticks(sizes, [str(size) for size in sizes])
        axes.grid(visible=True, alpha=0.3)
        axes.margins(x=0.08, y=0.12)
        axes.set_ylim(bottom=0)
        axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
