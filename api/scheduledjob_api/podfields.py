"""The Pod-shaped parts of the ScheduledJob API, validated as Kubernetes validates them.

What the API server admits into a ScheduledJob is copied into the CronJob, Job and Pod built
from it, so it must pass their validation too: otherwise the operator's writes are refused and
retried forever. Each format is checked twice, by CEL at admission and by pydantic in the
operator. (Patterns write `[.]` rather than an escaped dot: they are embedded in CEL strings.)
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    model_validator,
)

from scheduledjob_api.base import (
    MAX_SAFE_INTEGER,
    MAX_SECONDS,
    ApiModel,
    cel,
    int_or_string,
    shown,
)

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


def qualified_map(field: str, mapping: object) -> object:
    """`mapping`, or ValueError naming its first key that is not a label key.

    Checked on the whole map before pydantic validates its items, so that the error's location
    is the field rather than the (unbounded, possibly multi-line) key itself.
    """
    if isinstance(mapping, dict):
        for key in mapping:
            try:
                _qualified_name(str(key))
            except ValueError as error:
                message = f"{field}: {error}"
                raise ValueError(message) from None
    return mapping


def qualified_keys(field: str) -> dict[str, JsonValue]:
    """The CEL rule that every key of the map `field` is a Kubernetes label key."""
    return cel(
        f"self.all(k, k.size() <= {QUALIFIED_NAME_MAX_LENGTH} && k.indexOf('/') <= 253 "
        f"&& k.matches('{QUALIFIED_NAME}'))",
        f"{field} keys are Kubernetes label keys: {QUALIFIED_NAME_RULE}",
    )


def reserved_keys(
    field: str, keys: tuple[str, ...], prefixes: tuple[str, ...], why: str
) -> dict[str, JsonValue]:
    """The CEL rule that no key of the map `field` is one of `keys` or starts with `prefixes`."""
    starts = "".join(f" || k.startsWith('{prefix}')" for prefix in prefixes)
    return cel(f"!self.exists(k, k in {list(keys)}{starts})", f"{field}: {why}")


def refuse_reserved(
    field: str, mapping: dict[str, str], keys: tuple[str, ...], prefixes: tuple[str, ...], why: str
) -> dict[str, str]:
    """`mapping`, or ValueError naming the first key `reserved_keys` refuses at admission."""
    for key in mapping:
        if key in keys or key.startswith(prefixes):
            message = f"{field} key {shown(key)}: {why}"
            raise ValueError(message)
    return mapping


# The Job controller labels a run's Pods with these (and selects them by them): set in the
# template, they make the API server refuse the Job or the controller never see its Pods.
JOB_CONTROLLER_LABELS = (
    "batch.kubernetes.io/controller-uid",
    "batch.kubernetes.io/job-name",
    "controller-uid",
    "job-name",
)
JOB_CONTROLLER_LABELS_WHY = (
    f"{', '.join(JOB_CONTROLLER_LABELS)} are set by the Job controller, which finds the run's "
    "Pods by them; remove them"
)
# Annotations the API server reads as Pod settings: it refuses the Pod (or CronJob) when they
# contradict the fields the operator sets, or the value is not what it expects.
RESERVED_POD_ANNOTATIONS = (
    "kubernetes.io/config.mirror",
    "scheduler.alpha.kubernetes.io/tolerations",
    "controller.kubernetes.io/pod-deletion-cost",
    "seccomp.security.alpha.kubernetes.io/pod",
)
RESERVED_POD_ANNOTATION_PREFIXES = (
    "container.seccomp.security.alpha.kubernetes.io/",
    "container.apparmor.security.beta.kubernetes.io/",
)
RESERVED_POD_ANNOTATIONS_WHY = (
    "mirror-pod, tolerations, pod-deletion-cost, seccomp and AppArmor annotations are read by "
    "Kubernetes as Pod settings; use the tolerations field (the operator sets the seccomp "
    "profile itself)"
)

LabelValue = Annotated[str, StringConstraints(max_length=63, pattern=LABEL_VALUE)]
# Kubernetes limits a Pod's annotations to 256 KiB in total: 64 entries of this size fit.
AnnotationValue = Annotated[str, StringConstraints(max_length=3072)]


QUANTITY = "^[+]?([0-9]+([.][0-9]*)?|[.][0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]{1,2})?$"
"""A non-negative Kubernetes quantity, its exponent at most two digits (Kubernetes reads more,
and truncates them to int32)."""
QUANTITY_MAX_LENGTH = 64
STANDARD_RESOURCES = ("cpu", "memory", "ephemeral-storage")
HUGEPAGES = "hugepages-"
_QUANTITY = re.compile(QUANTITY)
_SCALES = {
    **{suffix: Decimal(1000) ** power for power, suffix in enumerate("kMGTPE", start=1)},
    **{f"{suffix}i": Decimal(1024) ** power for power, suffix in enumerate("KMGTPE", start=1)},
    **{suffix: Decimal(1000) ** -power for power, suffix in enumerate("mun", start=1)},
}
_QUANTITY_RULE = (
    "a non-negative number with an optional suffix, such as 500m, 2, 1.5, 256Mi, 1Gi or 1e3"
)


def quantity_value(value: int | str) -> Decimal:
    """A Kubernetes quantity (500m, 2, 256Mi, 1e3) as a number; ValueError if it is none."""
    if isinstance(value, int):
        if not 0 <= value <= MAX_SAFE_INTEGER:
            message = f"{value} is out of range: a quantity is between 0 and {MAX_SAFE_INTEGER}"
            raise ValueError(message)
        return Decimal(value)
    match = _QUANTITY.fullmatch(value) if len(value) <= QUANTITY_MAX_LENGTH else None
    if match is None:
        message = f"{shown(value)} is not a Kubernetes quantity: write {_QUANTITY_RULE}"
        raise ValueError(message)
    number, suffix = Decimal(match.group(1)), match.group(3) or ""
    if len(suffix) > 1 and suffix[1] != "i":  # an exponent: 1e3, 5E-2
        return number.scaleb(int(suffix[1:]))
    return number * _SCALES.get(suffix, Decimal(1))


def _quantity(value: int | str) -> int | str:
    quantity_value(value)
    return value


_QUANTITY_CEL = cel(
    f"type(self) == int || (self.matches('{QUANTITY}') && isQuantity(self))",
    f"a resource quantity is {_QUANTITY_RULE}",
)
# Bounded in length, so the API server's cost estimate for the rules on these maps stays low.
Quantity = Annotated[
    int | str,
    Field(
        json_schema_extra={
            **int_or_string(max_length=QUANTITY_MAX_LENGTH),
            "x-kubernetes-validations": [_QUANTITY_CEL],
        }
    ),
    AfterValidator(_quantity),
]


def _is_extended(name: str) -> bool:
    """Kubernetes' IsExtendedResourceName for a valid name: qualified, outside kubernetes.io."""
    return "/" in name and "kubernetes.io/" not in name


def _overcommits(name: str) -> bool:
    """Whether a request may be below its limit (Kubernetes' IsOvercommitAllowed)."""
    return not _is_extended(name) and not name.startswith(HUGEPAGES)


def _name_problem(name: str) -> str | None:
    """Why Kubernetes refuses `name` as a container resource (validateContainerResourceName)."""
    prefix_length = name.find("/")
    if (
        len(name) > QUALIFIED_NAME_MAX_LENGTH
        or prefix_length > 253  # noqa: PLR2004
        or not re.fullmatch(QUALIFIED_NAME, name)
    ):
        return "is not a qualified name"
    if prefix_length < 0:
        if name in STANDARD_RESOURCES or name.startswith(HUGEPAGES):
            return None
        return "is not a container resource (an extended resource is qualified: example.com/gpu)"
    # Extended names must also be qualified names behind the quota prefix `requests.`.
    if _is_extended(name) and (name.startswith("requests.") or prefix_length > 244):  # noqa: PLR2004
        return "is not an extended resource name (no requests. prefix; a prefix of at most 244)"
    return None


def _amount_problem(name: str, amount: Decimal) -> str | None:
    """Why Kubernetes refuses `amount` of `name`: whole numbers, hugepages in whole pages."""
    whole = amount == amount.to_integral_value()
    if _is_extended(name) and not whole:
        return "must be a whole number: extended resources are counted in units"
    if name.startswith(HUGEPAGES):
        try:
            page = quantity_value(name.removeprefix(HUGEPAGES))
        except ValueError:
            return "names no page size: write hugepages-2Mi or hugepages-1Gi"
        if page <= 0 or page != page.to_integral_value():
            return "names no page size: write hugepages-2Mi or hugepages-1Gi"
        if not whole or amount % page != 0:
            return "must be a whole number of pages"
    return None


RESOURCE_NAME_RULE = (
    "resource names are cpu, memory, ephemeral-storage, hugepages-<size>, names in the "
    "kubernetes.io namespace, or qualified extended resources such as example.com/gpu "
    "(not gpu, not requests.*)"
)
_EXTENDED = "(k.contains('/') && !k.contains('kubernetes.io/'))"
_NOT_OVERCOMMITTED = f"(k.startsWith('{HUGEPAGES}') || {_EXTENDED})"
_AMOUNT = "quantity(string(self[k])).asApproximateFloat()"
_PAGE = f"quantity(k.substring({len(HUGEPAGES)})).asApproximateFloat()"
# Whole floats; beyond 9e18 every double is whole and int() would overflow.
_WHOLE_AMOUNT = f"({_AMOUNT} >= 9.0e18 || double(int({_AMOUNT})) == {_AMOUNT})"


def _amount_rules(field: str) -> list[JsonValue]:
    """CEL for the map `field` (limits or requests): names, whole units, whole pages."""
    valid = "(type(self[k]) == int || isQuantity(self[k]))"
    return [
        cel(
            f"self.all(k, k.size() <= {QUALIFIED_NAME_MAX_LENGTH} && k.indexOf('/') <= 253 "
            f"&& k.matches('{QUALIFIED_NAME}') && (k.contains('/') ? "
            "(k.contains('kubernetes.io/') || (!k.startsWith('requests.') && "
            f"k.indexOf('/') <= 244)) : (k in {list(STANDARD_RESOURCES)} || "
            f"k.startsWith('{HUGEPAGES}'))))",
            f"{field}: {RESOURCE_NAME_RULE}",
        ),
        cel(
            f"self.all(k, !{_EXTENDED} || !{valid} || {_WHOLE_AMOUNT})",
            f"{field}: extended resources (such as example.com/gpu) take whole numbers, "
            "not 500m or 0.5",
        ),
        cel(
            f"self.all(k, !k.startsWith('{HUGEPAGES}') || !{valid} || "
            f"(isQuantity(k.substring({len(HUGEPAGES)})) && {_PAGE} >= 1.0 && {_PAGE} < 9.0e18 "
            f"&& double(int({_PAGE})) == {_PAGE} && {_AMOUNT} < 9.0e18 && {_WHOLE_AMOUNT} "
            f"&& int({_AMOUNT}) % int({_PAGE}) == 0))",
            f"{field}: hugepages-<size> names a page size such as 2Mi or 1Gi, and takes a whole "
            "number of pages",
        ),
    ]


_REQUEST = "quantity(string(self.requests[k]))"
_LIMIT = "quantity(string(self.limits[k]))"
_BOTH_VALID = "isQuantity(string(self.requests[k])) && isQuantity(string(self.limits[k]))"
_RESOURCES_RULES: list[JsonValue] = [
    cel(
        f"!has(self.requests) || self.requests.all(k, !{_NOT_OVERCOMMITTED} || "
        "(has(self.limits) && k in self.limits))",
        "extended resources and hugepages cannot be overcommitted: a request needs a limit "
        "of the same amount",
        field_path=".limits",
    ),
    cel(
        f"!has(self.requests) || !has(self.limits) || self.requests.all(k, !(k in self.limits) "
        f"|| !({_BOTH_VALID}) || ({_NOT_OVERCOMMITTED} ? {_REQUEST}.compareTo({_LIMIT}) == 0 "
        f": {_REQUEST}.compareTo({_LIMIT}) <= 0))",
        "a request must be at most its limit, and equal to it for extended resources and hugepages",
        field_path=".requests",
    ),
    cel(
        f"!((has(self.limits) && self.limits.exists(k, k.startsWith('{HUGEPAGES}'))) || "
        f"(has(self.requests) && self.requests.exists(k, k.startsWith('{HUGEPAGES}')))) || "
        "(has(self.limits) && ('cpu' in self.limits || 'memory' in self.limits)) || "
        "(has(self.requests) && ('cpu' in self.requests || 'memory' in self.requests))",
        "hugepages need a cpu or memory request or limit as well",
    ),
]
_QUANTITY_MAP_LENGTH = 16


class Resources(ApiModel):
    """Compute resources of the job's container, as in a Pod spec, checked as Kubernetes
    checks them: names are cpu, memory, ephemeral-storage, hugepages-<size> or qualified
    extended resources (example.com/gpu); amounts are non-negative quantities of at most 64
    characters (integers at most 2^53-1); extended resources take whole numbers and, like
    hugepages (whole pages), a request equal to the limit."""

    model_config = ConfigDict(json_schema_extra={"x-kubernetes-validations": _RESOURCES_RULES})

    limits: (
        Annotated[
            dict[str, Quantity],
            Field(
                max_length=_QUANTITY_MAP_LENGTH,
                json_schema_extra={"x-kubernetes-validations": _amount_rules("limits")},
            ),
        ]
        | None
    ) = None
    """Maximum resources, for example `memory: 256Mi` (at most 16)."""
    requests: (
        Annotated[
            dict[str, Quantity],
            Field(
                max_length=_QUANTITY_MAP_LENGTH,
                json_schema_extra={"x-kubernetes-validations": _amount_rules("requests")},
            ),
        ]
        | None
    ) = None
    """Guaranteed resources, for example `cpu: 100m` (at most 16)."""

    def to_api(self) -> dict[str, Any]:
        """The wire form, every quantity a string as Kubernetes writes them (`cpu: 2` as "2"):
        typed clients, and the API's own Quantity, take no integers."""
        return {
            field: {name: str(amount) for name, amount in amounts.items()}
            for field, amounts in super().to_api().items()
        }

    @model_validator(mode="after")
    def _as_kubernetes_checks(self) -> Resources:
        limits, requests = self.limits or {}, self.requests or {}
        for field, amounts in (("limits", limits), ("requests", requests)):
            for name, amount in amounts.items():
                problem = _name_problem(name)
                if problem is not None:
                    message = f"{field}: {shown(name)} {problem}; {RESOURCE_NAME_RULE}"
                    raise ValueError(message)
                problem = _amount_problem(name, quantity_value(amount))
                if problem is not None:
                    message = f"{field}.{name} ({amount}) {problem}"
                    raise ValueError(message)
        for name, requested in requests.items():
            if name not in limits:
                if not _overcommits(name):
                    message = (
                        f"requests.{name} needs limits.{name} of the same amount: extended "
                        "resources and hugepages cannot be overcommitted"
                    )
                    raise ValueError(message)
                continue
            request, limit = quantity_value(requested), quantity_value(limits[name])
            if request > limit or (request != limit and not _overcommits(name)):
                relation = "above" if request > limit else "not equal to"
                message = (
                    f"requests.{name} ({requested}) is {relation} limits.{name} "
                    f"({limits[name]}); a request must be at most its limit, and equal to it "
                    "for extended resources and hugepages"
                )
                raise ValueError(message)
        names = {*limits, *requests}
        if any(name.startswith(HUGEPAGES) for name in names) and not names & {"cpu", "memory"}:
            message = "hugepages need a cpu or memory request or limit as well"
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
    toleration_seconds: Annotated[int, Field(ge=0, le=MAX_SECONDS)] | None = None
    """For NoExecute: how long the Pod stays bound after the taint appears, 0 to 315360000
    (ten years; Kubernetes reads a negative value as 0)."""

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
