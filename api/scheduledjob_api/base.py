"""Conventions every API model shares: camelCase on the wire, attribute docstrings as descriptions.

The CRD's OpenAPI schema is generated from these models, so a field's docstring is what
`kubectl explain` shows; CEL rules and Kubernetes schema extensions ride along in
`json_schema_extra`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, JsonValue
from pydantic.alias_generators import to_camel

# Bounds every numeric and time field shares. The operator does datetime arithmetic with these
# values (creation + delay, finish + ttlSecondsAfterRun, now - catchUpWindowSeconds, fire time +
# startingDeadlineSeconds) from moments between 1970 and 2099; moved by one or two such
# durations (a delay, then ttlSecondsAfterRun) of ten years at most, a moment stays within
# 1950-2120, far inside what Python's datetime holds (years 1-9999), and ten years of seconds
# fits the int32 fields of a Job (ttlSecondsAfterFinished) and CEL's int64 durations.
MAX_SECONDS = 315_360_000
"""Ten years of 365 days, in seconds: the most any *Seconds field of the API may say."""
MAX_DELAY_HOURS = 87_600
"""Ten years of 365 days, in hours: the longest `delay`."""
FIRST_YEAR = 1970
LAST_YEAR = 2099
"""Years `runAt` and `excludeDates` may name: the schedule engine's own range (Quartz's)."""
YEAR_PATTERN = "(19[7-9][0-9]|20[0-9][0-9])"
"""FIRST_YEAR to LAST_YEAR as four digits (year 0000 included among the refused)."""
MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer an int-or-string field takes: exact in JSON's doubles, and in int64."""


def int_or_string(
    *, max_length: int, minimum: int = 0, maximum: int = MAX_SAFE_INTEGER
) -> dict[str, JsonValue]:
    """The schema of a Kubernetes int-or-string, bounded in both of its forms.

    `max_length` bounds the string form (and so the cost the API server estimates for CEL
    rules reading it); `minimum` and `maximum` the integer form.
    """
    return {
        "x-kubernetes-int-or-string": True,
        "maxLength": max_length,
        "minimum": minimum,
        "maximum": maximum,
    }


class ApiModel(BaseModel):
    """Base of every ScheduledJob API model."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        use_attribute_docstrings=True,
        extra="forbid",
        frozen=True,
    )

    def to_api(self) -> dict[str, Any]:
        """The wire form: camelCase keys, unset optional fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def cel(
    rule: str,
    message: str,
    *,
    field_path: str | None = None,
    message_expression: str | None = None,
) -> dict[str, JsonValue]:
    """One `x-kubernetes-validations` entry, checked by the API server at admission.

    `message_expression` (CEL, a string) names the offending value; `message` stays as the
    fallback Kubernetes shows when the expression fails.
    """
    validation: dict[str, JsonValue] = {"rule": rule, "message": message}
    if message_expression is not None:
        validation["messageExpression"] = message_expression
    if field_path is not None:
        validation["fieldPath"] = field_path
    return validation


def shown(value: object, limit: int = 40) -> str:
    """`value` quoted for a message, cut to `limit` characters, newlines escaped."""
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "...")
