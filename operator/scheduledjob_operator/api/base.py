"""Conventions every API model shares: camelCase on the wire, attribute docstrings as descriptions.

The CRD's OpenAPI schema is generated from these models, so a field's docstring is what
`kubectl explain` shows; CEL rules and Kubernetes schema extensions ride along in
`json_schema_extra`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from pydantic.alias_generators import to_camel

# Kubernetes' int-or-string: IDs and quantities users write either way (`tenantId: 123`).
IntOrString = Annotated[
    int | str,
    Field(json_schema_extra={"x-kubernetes-int-or-string": True}),
]


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
