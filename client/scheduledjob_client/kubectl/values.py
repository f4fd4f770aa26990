"""Turns command-line text into typed values: `--data k=v`, `--env K=V`, `--at`, `--in`.

Each parser raises `PluginError` naming the flag and showing the form it expects.
"""

from __future__ import annotations

import datetime
import math

from basejob import environment
from basejob.errors import EnvironmentContractError
from scheduledjob_client.kubectl.errors import PluginError
from scheduledjob_client.scheduling import manifest
from scheduledjob_client.scheduling.errors import SchedulingArgumentError

JsonScalar = str | int | float | bool


def parse_data(item: str) -> tuple[str, JsonScalar]:
    """`--data key=value`: JSON scalars (numbers, true/false, "quoted") as such, else the text."""
    try:
        key, value = environment.parse_data_flag(item)
    except EnvironmentContractError as error:
        raise PluginError(str(error)) from error
    if isinstance(value, float) and not math.isfinite(value):
        return key, item.partition("=")[2]  # NaN and Infinity are no JSON numbers: keep the text
    return key, value


def parse_env(item: str) -> tuple[str, str]:
    """`--env NAME=VALUE`: a literal environment variable of the run's container."""
    name, separator, value = item.partition("=")
    if not separator or not name:
        message = f"--env {item!r}: write NAME=VALUE"
        raise PluginError(message)
    return name, value


def parse_at(text: str) -> datetime.datetime:
    """`--at`: an RFC 3339 time with a zone (`2026-12-24T18:00:00Z`, `...T19:00:00+01:00`)."""
    try:
        moment = datetime.datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError as error:
        message = f"--at {text!r} is not a time: write RFC 3339, e.g. 2026-12-24T18:00:00Z"
        raise PluginError(message) from error
    if moment.tzinfo is None:
        message = f"--at {text!r} has no time zone: add Z (UTC) or an offset like +01:00"
        raise PluginError(message)
    return moment


def parse_in(text: str) -> str:
    """`--in`: a duration like 90s, 10m or 1h30m."""
    try:
        manifest.duration_seconds(text)
    except SchedulingArgumentError as error:
        message = f"--in {error}"
        raise PluginError(message) from error
    return text.strip()
