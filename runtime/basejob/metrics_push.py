"""A push of a run's metrics to the Pushgateway that really accumulates across runs.

A Pushgateway keeps the last value pushed for each metric of a group, so pushing a fresh
process's `job_executions_total` would overwrite the previous run's count with 1. Each run
therefore reads its group's current samples from the Pushgateway, adds its own counts
(counters and histogram buckets, sum and count), and pushes the totals (`POST`, which replaces
only the metrics it names). After N runs, k of them failed, Prometheus sees N and k.

Limits (see docs/runtime-metrics.md): two runs of the same ScheduledJob pushing in the same
instant can lose one increment (read-add-write is not atomic; concurrencyPolicy Forbid, the
default, avoids it); a Pushgateway restarted without persistence starts from zero, which
Prometheus' rate() and increase() treat as a counter reset.

Apart from `basejob.metrics` because the exposition parser and push client cost start-up
that only runs with a Pushgateway pay: the runner imports this module only then.
"""

from __future__ import annotations

import math
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Mapping

from prometheus_client import CollectorRegistry, pushadd_to_gateway
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from basejob.metrics import PUSH_JOB

Labels = tuple[tuple[str, str], ...]


def _key(labels: Mapping[str, str], drop: Iterable[str]) -> Labels:
    """Labels as a sorted tuple, without `drop` and without empty values (absent in Prometheus;
    the Pushgateway adds `instance=""` to every group)."""
    dropped = set(drop)
    return tuple(sorted((k, v) for k, v in labels.items() if k not in dropped and v != ""))


def group_samples(
    exposition: str, grouping: Mapping[str, str]
) -> dict[str, dict[tuple[str, Labels], float]]:
    """Samples of one Pushgateway group, by family name: {family: {(sample, labels): value}}."""
    found: dict[str, dict[tuple[str, Labels], float]] = defaultdict(dict)
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if any(sample.labels.get(k) != v for k, v in grouping.items()):
                continue
            found[family.name][(sample.name, _key(sample.labels, grouping))] = sample.value
    return found


class _Accumulated(Collector):
    """This run's metrics with the group's previous totals added in."""

    def __init__(
        self, run: CollectorRegistry, previous: Mapping[str, Mapping[tuple[str, Labels], float]]
    ) -> None:
        self._run = run
        self._previous = previous

    def collect(self) -> Iterable[Metric]:
        for family in self._run.collect():
            before = self._previous.get(family.name, {})
            if family.type == "counter":
                yield self._counter(family, before)
            elif family.type == "histogram":
                yield self._histogram(family, before)
            elif family.type == "gauge":
                yield self._gauge(family, before)
            else:
                yield family

    @staticmethod
    def _gauge(family: Metric, before: Mapping[tuple[str, Labels], float]) -> Metric:
        """This run's values, and the previous ones for series this run did not set (so a
        failed run does not erase the last-success timestamp)."""
        values = {labels: value for (name, labels), value in before.items() if name == family.name}
        values.update({_key(sample.labels, ()): sample.value for sample in family.samples})
        names = sorted({k for labels in values for k, _ in labels})
        merged = GaugeMetricFamily(family.name, family.documentation, labels=names)
        for labels, value in sorted(values.items()):
            merged.add_metric([dict(labels).get(n, "") for n in names], value)
        return merged

    @staticmethod
    def _counter(family: Metric, before: Mapping[tuple[str, Labels], float]) -> Metric:
        totals: dict[Labels, float] = {}
        label_names: list[str] = []
        for (sample_name, labels), value in before.items():
            if sample_name == family.name + "_total":
                totals[labels] = value
        for sample in family.samples:
            if sample.name != family.name + "_total":
                continue
            label_names = list(sample.labels)
            key = _key(sample.labels, ())
            totals[key] = totals.get(key, 0.0) + sample.value
        names = label_names or sorted({k for labels in totals for k, _ in labels})
        merged = CounterMetricFamily(family.name, family.documentation, labels=names)
        for labels, value in sorted(totals.items()):
            values = dict(labels)
            merged.add_metric([values.get(n, "") for n in names], value)
        return merged

    @staticmethod
    def _histogram(family: Metric, before: Mapping[tuple[str, Labels], float]) -> Metric:
        series: dict[Labels, dict[str, float]] = defaultdict(lambda: defaultdict(float))

        def add(sample_name: str, labels: Labels, value: float) -> None:
            plain = tuple((k, v) for k, v in labels if k != "le")
            le = dict(labels).get("le")
            part = {"_bucket": f"le={le}", "_sum": "sum", "_count": "count"}.get(
                sample_name[len(family.name) :]
            )
            if part is not None:
                series[plain][part] += value

        for (sample_name, labels), value in before.items():
            add(sample_name, labels, value)
        for sample in family.samples:
            add(sample.name, _key(sample.labels, ()), sample.value)
        names = sorted({k for labels in series for k, _ in labels})
        merged = HistogramMetricFamily(family.name, family.documentation, labels=names)
        for labels, parts in sorted(series.items()):
            buckets = sorted(
                ((key[3:], value) for key, value in parts.items() if key.startswith("le=")),
                key=lambda item: math.inf if item[0] == "+Inf" else float(item[0]),
            )
            values = dict(labels)
            merged.add_metric(
                [values[n] for n in names],
                buckets=[(le, v) for le, v in buckets],
                sum_value=parts.get("sum", 0.0),
            )
        return merged


def _fetch_exposition(gateway: str, timeout: float) -> str:
    with urllib.request.urlopen(f"{gateway.rstrip('/')}/metrics", timeout=timeout) as response:  # noqa: S310
        body: bytes = response.read()
    return body.decode("utf-8")


def push_accumulated(
    gateway: str,
    grouping: Mapping[str, str],
    run_registry: CollectorRegistry,
    *,
    timeout: float,
) -> None:
    """Add this run's metrics to the group's totals on the Pushgateway (OSError on failure)."""
    labels = {"job": PUSH_JOB, **grouping}
    previous = group_samples(_fetch_exposition(gateway, timeout), labels)
    merged = CollectorRegistry()
    merged.register(_Accumulated(run_registry, previous))
    try:
        pushadd_to_gateway(
            gateway, job=PUSH_JOB, grouping_key=dict(grouping), registry=merged, timeout=timeout
        )
    except urllib.error.URLError as error:
        raise OSError(str(error)) from error
