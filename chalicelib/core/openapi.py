"""A small builder for the published API's OpenAPI 3.1 document (clause 6.2: the v1 contract is written down).

Each area declares its operations beside its routes, in `<area>/contract.py`, as a list of `operation(...)`
calls; `chalicelib/contract.py` puts them together. Adding a route means adding one `operation(...)` there:

    operation("GET", "/v1/agent/tickets/{ticket_id}", "One ticket with its messages", AGENT,
              ok=obj(id=STRING, subject=STRING, messages=array(MESSAGE)), errors=(404,))

`ok` is the schema of the successful answer (`status` says which, 200 unless told; `media` its type, or the
types it may be), `body` the request body (JSON unless `body_media` names another type), `query` the query
parameters (name -> schema; all optional unless named in `required_query`), and `errors` the statuses the route
answers besides those every route of its kind answers (400 and 404 always, 413 with a body, 401 and 403 with a
key); e.g. 409 or 429. Every error answer has the one error shape, `ERROR`.
A test fails when a Chalice route has no operation here, or an operation no route.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
INSTANT: Schema = {"type": "string", "format": "date-time"}
DAY: Schema = {"type": "string", "format": "date"}
AMOUNT: Schema = {"type": "string", "pattern": r"^-?\d+\.\d{2}$"}  # money as a decimal string, to the fen
ANY_OBJECT: Schema = {"type": "object"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def text(max_length: int, min_length: int = 1) -> Schema:
    return {"type": "string", "minLength": min_length, "maxLength": max_length}


def enum(*values: str) -> Schema:
    return {"type": "string", "enum": list(values)}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def obj(**properties: Schema) -> Schema:
    """An answer's object: every key listed is always present. More keys may come (adding one is compatible)."""
    return {"type": "object", "properties": properties, "required": sorted(properties)}


def request(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """A request body: the fields named, nothing else (unknown fields are refused with UNKNOWN_FIELD)."""
    schema: Schema = {"type": "object", "properties": {**required, **(optional or {})},
                      "additionalProperties": False}
    if required:
        schema["required"] = sorted(required)
    return schema


ERROR: Schema = {
    "type": "object", "required": ["error"], "additionalProperties": False,
    "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"}, "message": STRING,
                       "details": ANY_OBJECT}}},
}

# Who may call. Each operation names one or more of these (any one of them suffices).
WIDGET = "widgetKey"      # a storefront's public widget key, honoured only from the key's own origins
VISITOR = "visitorToken"  # with the widget key: the shopper's token from the first message or /identify
AGENT = "agentKey"        # an agent's secret key
ADMIN = "adminKey"        # a merchant administrator's key
LINK = "signedLink"       # a link the API signed and handed out (its query carries the signature)
STAFF = "staffKey"        # a licensor staff key: the licensor's workspace, every licensee's support requests
SECURITY_SCHEMES: dict[str, Schema] = {
    WIDGET: {"type": "apiKey", "in": "header", "name": "X-Widget-Key",
             "description": "The storefront's public widget key; the request's Origin must be one of the key's."},
    VISITOR: {"type": "http", "scheme": "bearer",
              "description": "The visitor token the widget received (Authorization: Bearer <token>)."},
    AGENT: {"type": "http", "scheme": "bearer", "description": "An agent key (Authorization: Bearer <key>)."},
    ADMIN: {"type": "http", "scheme": "bearer",
            "description": "A merchant administrator's key (Authorization: Bearer <key>)."},
    STAFF: {"type": "http", "scheme": "bearer",
            "description": "A licensor staff key from `./kefu keys issue-staff` (Authorization: Bearer <key>)."},
    LINK: {"type": "apiKey", "in": "query", "name": "sig",
           "description": "The signature of a link handed out by the API, with its `exp` and `m`."},
}
_REASONS = {200: "OK", 201: "Created", 204: "No content", 400: "Bad input", 401: "No valid key or token",
            403: "Refused for this key, license or origin", 404: "Not found", 409: "Conflicts with the current state",
            413: "Request body too large", 415: "Unsupported media type", 429: "Too many requests",
            503: "A dependency is unavailable"}


def operation(method: str, path: str, summary: str, *security: str | tuple[str, ...], ok: Schema | None = None,
              status: int = 200, media: str | tuple[str, ...] = "application/json", body: Schema | None = None,
              body_media: str = "application/json",
              query: dict[str, Schema] | None = None, required_query: tuple[str, ...] = (),
              errors: tuple[int, ...] = (), headers: dict[str, Schema] | None = None) -> tuple[str, str, Schema]:
    """One route's entry: (METHOD, path, OpenAPI operation object). `security` items are schemes; a tuple
    of schemes means all of them together (the widget key with the visitor token)."""
    # Every route: 400 for a path id or query value that is not clean text, 404 for an id that names nothing
    # (or nothing of the caller's).
    statuses = set(errors) | {400, 404}
    if body is not None:
        statuses |= {413}
    if security:
        statuses |= {401, 403}
    responses: dict[str, Schema] = {}
    if status == 204:
        responses["204"] = {"description": _REASONS[204]}
    else:
        content: Schema = {"schema": ok or ANY_OBJECT}
        medias = media if isinstance(media, tuple) else (media,)
        responses[str(status)] = {"description": _REASONS.get(status, "OK"), "content": dict.fromkeys(medias, content)}
        if headers:
            responses[str(status)]["headers"] = {name: {"schema": schema} for name, schema in headers.items()}
    for code in sorted(statuses):
        responses[str(code)] = {"description": _REASONS.get(code, "Error"),
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
                  for name in _path_names(path)]
    parameters += [{"name": name, "in": "query", "required": name in required_query, "schema": schema}
                   for name, schema in (query or {}).items()]
    entry: Schema = {"summary": summary, "operationId": _operation_id(method, path), "responses": responses}
    if parameters:
        entry["parameters"] = parameters
    if body is not None:
        entry["requestBody"] = {"required": True, "content": {body_media: {"schema": body}}}
    entry["security"] = [{name: [] for name in (item if isinstance(item, tuple) else (item,))}
                         for item in security] if security else []
    return method, path, entry


def document(operations: list[tuple[str, str, Schema]], version: str) -> Schema:
    """The whole OpenAPI 3.1 document."""
    paths: dict[str, dict[str, Schema]] = {}
    for method, path, entry in operations:
        if method.lower() in paths.get(path, {}):
            raise ValueError(f"{method} {path} is declared twice")
        paths.setdefault(path, {})[method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "kefu API", "version": version,
                 "description": "Customer service for merchants: chat, email, phone. Errors always come as "
                                "{\"error\": {\"code\", \"message\"}}; codes are stable, messages are for people."},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": {"Error": ERROR}, "securitySchemes": SECURITY_SCHEMES},
    }


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def _operation_id(method: str, path: str) -> str:
    words = [p.strip("{}").replace(".", "_").replace("-", "_") for p in path.split("/") if p and p != "v1"]
    return "_".join([method.lower(), *words])
