"""The Pod-shaped parts of the ScheduledJob API, validated as Kubernetes validates them.

What the API server admits into a ScheduledJob is copied into the CronJob, Job and Pod built
from it, so it must pass their validation too: otherwise the operator's writes are refused and
retried forever. Each format is checked twice, by CEL at admission and by pydantic in the
operator. (Patterns write `[.]` rather than an escaped dot: they are embedded in CEL strings.)
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    model_validator,
)

from scheduledjob_operator.api.base import ApiModel, IntOrString, cel, shown

_DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_NAME_PART = "[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
QUALIFIED_NAME = f"^({_DNS_LABEL}([.]{_DNS_LABEL})*/)?{_NAME_PART}$"
"""A label or annotation key: an optional DNS-subdomain prefix (at most 253) and a name."""
LABEL_VALUE = f"^({_NAME_PART})?$"
"""A label value: empty, or at most 63 characters starting and ending alphanumeric."""
QUALIFIED_NAME_MAX_LENGTH = 253 + 1 + 63
QUALIFIED_NAME_RULE = (
    "letters, digits, '-', '_' and '.' (at most 63, starting and ending with a letter or "
    "digit), optionally after a DNS-subdomain prefix and '/' (example.com/team)"
)


def _qualified_name(key: str) -> str:
    if not re.fullmatch(QUALIFIED_NAME, key) or key.find("/") > 253:  # noqa: PLR2004
        message = f"key {shown(key)} is not a Kubernetes label key: use {QUALIFIED_NAME_RULE}"
        raise ValueError(message)
    return key


QualifiedName = Annotated[str, AfterValidator(_qualified_name)]
"""A label or annotation key (checked at admission by `qualified_keys`)."""


def qualified_keys(field: str) -> dict[str, JsonValue]:
    """The CEL rule that every key of the map `field` is a Kubernetes label key."""
    return cel(
        f"self.all(k, k.size() <= {QUALIFIED_NAME_MAX_LENGTH} && k.indexOf('/') <= 253 "
        f"&& k.matches('{QUALIFIED_NAME}'))",
        f"{field} keys are Kubernetes label keys: {QUALIFIED_NAME_RULE}",
    )


LabelValue = Annotated[str, StringConstraints(max_length=63, pattern=LABEL_VALUE)]
# Kubernetes limits a Pod's annotations to 256 KiB in total: 64 entries of this size fit.
AnnotationValue = Annotated[str, StringConstraints(max_length=3072)]


_QUANTITY = re.compile(
    r"([+-]?(?:[0-9]+(?:[.][0-9]*)?|[.][0-9]+))([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?"
)
_SCALES = {
    **{suffix: Decimal(1000) ** power for power, suffix in enumerate("kMGTPE", start=1)},
    **{f"{suffix}i": Decimal(1024) ** power for power, suffix in enumerate("KMGTPE", start=1)},
    **{suffix: Decimal(1000) ** -power for power, suffix in enumerate("mun", start=1)},
}


def quantity_value(value: int | str) -> Decimal:
    """A Kubernetes quantity (500m, 2, 256Mi, 1e3) as a number; ValueError if it is none."""
    if isinstance(value, int):
        return Decimal(value)
    match = _QUANTITY.fullmatch(value)
    if match is None:
        message = f"{shown(value)} is not a Kubernetes quantity; write e.g. 500m, 2, 256Mi or 1Gi"
        raise ValueError(message)
    number, suffix = Decimal(match.group(1)), match.group(2) or ""
    if len(suffix) > 1 and suffix[1] != "i":  # an exponent: 1e3, 5E-2
        return number.scaleb(int(suffix[1:]))
    return number * _SCALES.get(suffix, Decimal(1))


def _quantity(value: int | str) -> int | str:
    quantity_value(value)
    return value


# Checked in the operator only (Ready=False, InvalidSpec): CEL's quantity functions on
# int-or-string map values cost more than the API server allows a CRD's rules to estimate.
Quantity = Annotated[IntOrString, AfterValidator(_quantity)]


class Resources(ApiModel):
    """Compute resources of the job's container, as in a Pod spec."""

    limits: Annotated[dict[str, Quantity], Field(max_length=16)] | None = None
    """Maximum resources, for example `memory: 256Mi`."""
    requests: Annotated[dict[str, Quantity], Field(max_length=16)] | None = None
    """Guaranteed resources, for example `cpu: 100m`."""

    @model_validator(mode="after")
    def _requests_within_limits(self) -> Resources:
        limits = self.limits or {}
        for resource, requested in (self.requests or {}).items():
            if resource in limits and quantity_value(requested) > quantity_value(limits[resource]):
                message = (
                    f"requests.{resource} ({requested}) is above limits.{resource} "
                    f"({limits[resource]}); a request must be at most its limit"
                )
                raise ValueError(message)
        return self


_TOLERATION_RULES: list[JsonValue] = [
    cel(
        "(has(self.key) && self.key != '') || (has(self.operator) && self.operator == 'Exists')",
        "a toleration without a key must have operator Exists (it then matches every taint)",
        field_path=".operator",
    ),
    cel(
        "!has(self.operator) || self.operator != 'Exists' || !has(self.value) || self.value == ''",
        "a toleration with operator Exists matches any value: leave value empty",
        field_path=".value",
    ),
    cel(
        "!has(self.tolerationSeconds) || (has(self.effect) && self.effect == 'NoExecute')",
        "tolerationSeconds applies to effect NoExecute only",
        field_path=".tolerationSeconds",
    ),
    cel(
        f"!has(self.key) || self.key == '' || (self.key.indexOf('/') <= 253 "
        f"&& self.key.matches('{QUALIFIED_NAME}'))",
        "a toleration key is a Kubernetes label key (example.com/dedicated, gpu)",
        field_path=".key",
    ),
]


class Toleration(ApiModel):
    """A Pod toleration, as in a Pod spec."""

    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": _TOLERATION_RULES})

    key: Annotated[str, StringConstraints(max_length=QUALIFIED_NAME_MAX_LENGTH)] | None = None
    """Taint key the toleration applies to; empty matches all keys (with operator Exists)."""
    operator: Literal["Exists", "Equal"] | None = None
    """Exists or Equal (the default)."""
    value: LabelValue | None = None
    """Taint value to match with operator Equal."""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    """Taint effect to match; empty matches all effects."""
    toleration_seconds: int | None = None
    """For NoExecute: how long the Pod stays bound after the taint appears."""

    @model_validator(mode="after")
    def _as_kubernetes_checks(self) -> Toleration:
        if not self.key and self.operator != "Exists":
            message = "a toleration without a key must have operator Exists"
            raise ValueError(message)
        if self.operator == "Exists" and self.value:
            message = "a toleration with operator Exists matches any value: leave value empty"
            raise ValueError(message)
        if self.toleration_seconds is not None and self.effect != "NoExecute":
            message = "tolerationSeconds applies to effect NoExecute only"
            raise ValueError(message)
        if self.key and (not re.fullmatch(QUALIFIED_NAME, self.key) or self.key.find("/") > 253):  # noqa: PLR2004
            message = f"toleration key {shown(self.key)} is not a Kubernetes label key"
            raise ValueError(message)
        return self
