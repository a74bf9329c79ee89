"""The OpenAPI description of ``newsdex serve``'s JSON API, served at ``/api/openapi.json``.

Its parameters come from :mod:`search.parameters`, the tables the server reads
requests with, so the description cannot drift from what is accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from indexer.version import __version__
from search.parameters import (
    COUNT_PARAMETERS,
    HEADLINES_PARAMETERS,
    MAX_LIMIT,
    SEARCH_PARAMETERS,
    Parameter,
)

_NULLABLE_STRING = {"type": ["string", "null"]}
_HIT = {
    "type": "object",
    "description": "One hit, as `newsdex search --json` prints it, with `snippet_html`.",
    "properties": {
        "id": {"type": "string"},
        "kind": {"type": "string", "enum": ["article", "headline", "footer"]},
        "score": {"type": ["number", "null"], "description": "BM25F; null when sorted by date"},
        "title": {"type": "string"},
        "published": {**_NULLABLE_STRING, "description": "ISO 8601 UTC"},
        "site": {
            "type": ["string", "array", "null"],
            "items": {"type": "string"},
            "description": "The site of its pages; a list where there are several",
        },
        "sources": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
        "pages": {"type": "integer", "description": "How many pages carry the record"},
        "snippet": {"type": "string"},
        "marks": {
            "type": "array",
            "description": "[start, end] offsets of the matched words in snippet",
            "items": {"type": "array", "items": {"type": "integer"}},
        },
        "snippet_html": {
            "type": "string",
            "description": "The snippet as HTML: matches in <mark>, everything else escaped",
        },
    },
}
_RESULTS = {
    "type": "object",
    "properties": {
        "query": _NULLABLE_STRING,
        "total": {"type": "integer", "description": "Every match, counted"},
        "offset": {"type": "integer"},
        "limit": {"type": "integer", "maximum": MAX_LIMIT},
        "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
        "suggestion": {**_NULLABLE_STRING, "description": "A spelling that finds something"},
        "any_total": {
            "type": "integer",
            "description": "When no record has all the words: how many have any of them",
        },
        "took_ms": {"type": "number"},
    },
}
_SOURCE = {
    "type": "object",
    "properties": {
        "path": {"type": "string"},
        "line": {"type": "integer"},
        "site": _NULLABLE_STRING,
    },
}
_COUNTS = {
    "type": "object",
    "properties": {
        "query": _NULLABLE_STRING,
        "by": {"type": "string"},
        "total": {"type": "integer", "description": "Every record that matched, once"},
        "buckets": {
            "type": "array",
            "description": "As `newsdex count --json` prints them: periods from the first to "
            "the last with a record (empty ones 0), or sites or kinds, most first; the "
            "undated (or those of no known site) last, with the key null",
            "items": {
                "type": "object",
                "properties": {"key": _NULLABLE_STRING, "count": {"type": "integer"}},
            },
        },
        "took_ms": {"type": "number"},
    },
}
_RECORD = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "kind": {"type": "string", "enum": ["article", "headline", "footer"]},
        "title": {"type": "string"},
        "text": {"type": "string"},
        "published": _NULLABLE_STRING,
        "site": {"type": ["string", "array", "null"], "items": {"type": "string"}},
        "paragraphs": {"type": "array", "items": {"type": "string"}},
        "lines": {"type": "array", "items": {"type": "string"}},
        "sources": {"type": "array", "items": _SOURCE},
    },
}
_ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "hint": _NULLABLE_STRING},
    "required": ["error", "hint"],
}


def _parameter(parameter: Parameter) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": parameter.type}
    if parameter.choices:
        schema["enum"] = list(parameter.choices)
    if parameter.default is not None:
        schema["default"] = parameter.default
    if parameter.type == "integer":
        schema["minimum"] = 1 if parameter.name == "limit" else 0
    described: dict[str, Any] = {
        "name": parameter.name,
        "in": "query",
        "description": parameter.about,
        "schema": {"type": "array", "items": schema} if parameter.repeatable else schema,
    }
    if parameter.repeatable:
        described["explode"] = True
    return described


def _answers(schema: str, *errors: int) -> dict[str, Any]:
    described: dict[str, Any] = {
        "200": {
            "description": "OK",
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        }
    }
    reasons = {400: "A query, date or parameter it cannot read", 404: "No record with that id"}
    for status in errors:
        described[str(status)] = {
            "description": reasons[status],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return described


def _get(summary: str, parameters: Sequence[Parameter], answers: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": [_parameter(parameter) for parameter in parameters],
            "responses": answers,
        }
    }


def description() -> dict[str, Any]:
    """The OpenAPI 3.1 document."""
    record_id = {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "A record's id, as hits give it",
    }
    record = _get("One whole record, with every page it was seen on", (), _answers("Record", 404))
    record["get"]["parameters"] = [record_id]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "newsdex",
            "version": __version__,
            "description": (
                "Search an index of scraped news pages: ranked hits with highlighted "
                "snippets, dated headlines, whole records. Read-only. Errors are "
                "{error, hint} with status 400 (a query, date or parameter it cannot "
                "read) or 404 (an unknown id or path)."
            ),
        },
        "paths": {
            "/api/search": _get(
                "Ranked search (BM25F) with snippets",
                SEARCH_PARAMETERS,
                _answers("Results", 400),
            ),
            "/api/headlines": _get(
                "Dated headlines, newest first; all of them without q",
                HEADLINES_PARAMETERS,
                _answers("Results", 400),
            ),
            "/api/count": _get(
                "How many records match, by period, site or kind",
                COUNT_PARAMETERS,
                _answers("Counts", 400),
            ),
            "/api/records/{id}": record,
            "/api/stats": _get("What the index holds", (), _answers("Stats")),
            "/api/openapi.json": _get("This description", (), _answers("OpenAPI")),
            "/healthz": _get("Whether the index can be searched", (), _answers("Health")),
        },
        "components": {
            "schemas": {
                "Hit": _HIT,
                "Results": _RESULTS,
                "Counts": _COUNTS,
                "Record": _RECORD,
                "Stats": {"type": "object", "description": "As `newsdex stats --json` prints"},
                "OpenAPI": {"type": "object"},
                "Health": {
                    "type": "object",
                    "properties": {"status": {"type": "string", "enum": ["ok"]}},
                },
                "Error": _ERROR,
            }
        },
    }
