"""Marshmallow pieces the services' request schemas share (edge code only)."""
from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields


class IsoDate(fields.Date):
    """A date field that loads to its ISO string rather than a ``datetime.date``."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).isoformat()


def unique(values):
    if len(set(values)) != len(values):
        raise ValidationError("values must not repeat")


class StrictSchema(Schema):
    """Unknown fields are refused, never silently dropped."""

    class Meta:
        unknown = RAISE


class StrictFloat(fields.Float):
    """A JSON number only: "2" (a string) and true (a boolean) are refused, not coerced."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, (str, bool)):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)
