"""The shipped JSON Schema of `saltline.yml` is its structure: one source of truth for
editors and for the loader, which only words its errors.

>>> SCHEMA["$defs"]["positive"]
{'type': 'integer', 'minimum': 1}
"""

from __future__ import annotations

from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from saltline.data import SCHEMA

_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

Location = tuple[str, ...]


def first_error(document: Any) -> tuple[Location, str] | None:
    """Where the document breaks the schema, and what to say: the most relevant error."""
    error = best_match(_VALIDATOR.iter_errors(document))
    return None if error is None else describe(error)


_WORDS = {"object": "a mapping", "array": "a list", "string": "a non-empty string",
          "boolean": "true or false", "null": "nothing", "number": "a number"}  # fmt: skip


def _kind(schema: dict[str, Any]) -> str:
    """What a node's `type` expects, in words."""
    kinds = schema.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if "integer" in kinds:
        return "a positive whole number" if schema.get("minimum") == 1 else "a whole number"
    said = [_WORDS[kind] for kind in kinds if kind != "number" or len(kinds) == 1]
    return " or ".join(said) or "a value"


def describe(error: ValidationError) -> tuple[Location, str]:
    """An error's location in the document and its wording, per schema keyword."""
    at: Location = tuple(str(part) for part in error.absolute_path)
    keyword = error.validator
    instance: Any = error.instance
    value: Any = error.validator_value
    node: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    if "propertyNames" in error.relative_schema_path:  # a name, not a value, is wrong
        return (*at, str(instance)), f"{instance!r} is not a valid name: use {value}"
    if keyword == "additionalProperties":
        allowed = sorted(node.get("properties", {}))
        extra = next(str(key) for key in instance if key not in allowed)
        return (*at, extra), f"unknown key; allowed: {', '.join(allowed)}"
    if keyword == "required":
        missing = next(key for key in value if key not in instance)
        return at, f"missing required key {missing!r}"
    title = node.get("title")  # a node with a title says what is expected
    if keyword == "pattern":
        said = f"is not {title}" if title else f"does not match {value}"
        return at, f"{instance!r} {said}"
    if keyword in ("minItems", "minProperties"):
        empty = "a non-empty list" if keyword == "minItems" else "a non-empty mapping"
        return at, f"expected {title or empty}"
    if keyword == "minLength":
        return at, "expected a non-empty string"
    if keyword in ("minimum", "maximum", "type"):
        return at, f"expected {title or _kind(node)}, got {instance!r}"
    if keyword == "enum":
        return at, f"expected {title or ' or '.join(map(str, value))}, got {instance!r}"
    if keyword == "oneOf":
        return at, str(node.get("description") or f"expected one of {len(value)} forms")
    return at, error.message
