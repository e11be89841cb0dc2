"""The texts' part of the published API (see chalicelib/core/openapi.py for how an operation is written)."""

from __future__ import annotations

from chalicelib.core.openapi import STRING, array, obj, operation

OPERATIONS = [
    operation("GET", "/v1/i18n/{namespace}", "One surface's texts in the language asked for",
              query={"locale": STRING},
              ok=obj(locale=STRING, locales=array(STRING),
                     texts={"type": "object", "additionalProperties": {"type": "string"}})),
]
