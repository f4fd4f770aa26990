"""The API server's own count of requests: `apiserver_request_total`, scraped from /metrics.

Counting at the server, rather than in a client, sees every writer (the operator, the
controller manager, the API server's own loopback client) without instrumenting any of them.
The scrape uses the admin kubeconfig's client certificate through the same kubernetes client
the benchmark uses for everything else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

WRITE_VERBS = frozenset({"POST", "PUT", "PATCH", "DELETE", "DELETECOLLECTION", "APPLY"})
_METRIC = "apiserver_request"  # the family name; samples are apiserver_request_total


@dataclass(frozen=True, order=True)
class RequestKind:
    """One row of `apiserver_request_total`, less the labels a benchmark does not split on."""

    verb: str
    resource: str
    subresource: str = ""

    @property
    def label(self) -> str:
        """`PATCH scheduledjobs/status`, `POST events`."""
        path = f"{self.resource}/{self.subresource}" if self.subresource else self.resource
        return f"{self.verb} {path}"


Counts = Counter[RequestKind]


def scrape(api_client: Any) -> Counts:
    """Requests served so far, by verb, resource and subresource (summed over codes)."""
    response = api_client.call_api("GET", f"{api_client.configuration.host}/metrics")
    return parse(response.read().decode())


def parse(text: str) -> Counts:
    """Sum `apiserver_request_total` samples by (verb, resource, subresource)."""
    counts: Counts = Counter()
    for family in text_string_to_metric_families(text):
        if family.name != _METRIC:
            continue
        for sample in family.samples:
            if sample.name != f"{_METRIC}_total":
                continue
            labels = sample.labels
            kind = RequestKind(
                verb=labels.get("verb", ""),
                resource=labels.get("resource", ""),
                subresource=labels.get("subresource", ""),
            )
            counts[kind] += int(sample.value)  # request counts are whole numbers
    return counts


def delta(before: Counts, after: Counts) -> Counts:
    """What was served between two scrapes (zero rows dropped)."""
    return Counter(
        {kind: after[kind] - before[kind] for kind in after if after[kind] > before[kind]}
    )


def writes(counts: Counts) -> Counts:
    """Only the writes (create, update, patch, delete, apply)."""
    return Counter({kind: value for kind, value in counts.items() if kind.verb in WRITE_VERBS})


def total(counts: Counts, resources: Iterable[str] | None = None) -> float:
    """The sum over all rows, or over rows of the given resources."""
    wanted = None if resources is None else set(resources)
    return sum(v for k, v in counts.items() if wanted is None or k.resource in wanted)


def by_label(counts: Mapping[RequestKind, float]) -> dict[str, float]:
    """Rows as {"PATCH scheduledjobs/status": 1000.0}, largest first."""
    rows = sorted(
        ((kind, value) for kind, value in counts.items() if value),
        key=lambda item: (-item[1], item[0]),
    )
    return {kind.label: value for kind, value in rows}
