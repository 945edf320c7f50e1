"""OpenAPI 3.1: titles, one tag per bounded context, Swagger UI, ReDoc and Scalar under /docs."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

import msgspec
from litestar import Request, Response, get
from litestar._openapi.schema_generation import SchemaCreator
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import RedocRenderPlugin, ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIType,
    Operation,
    Schema,
    SecurityRequirement,
    SecurityScheme,
    Tag,
)
from litestar.plugins import OpenAPISchemaPlugin, ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute
from litestar.typing import FieldDefinition

from elearn import __doc__ as package_doc
from elearn.entrypoints.http.auth import signed_in, staff_only
from elearn.entrypoints.http.problem_codes import PROBLEMS_OPT, statuses_of
from elearn.entrypoints.http.problems import EnumeratedProblem, Problem, problem_responses
from elearn.entrypoints.settings import Settings

TAGS = [
    Tag(name="identity", description="Accounts, roles, sessions, verification, tutor approval."),
    Tag(name="catalog", description="Categories, courses, sections, lessons and their review."),
    Tag(name="learning", description="Enrollment, progress, quizzes, assignments, certificates."),
    Tag(name="tutoring", description="Availability, bookings, reschedules, testimonials."),
    Tag(name="billing", description="Checkout, wallet, ledger, earnings, withdrawals, payouts."),
    Tag(name="conversations", description="Messages between students, tutors and staff."),
    Tag(name="notifications", description="The notification center, preferences, announcements."),
    Tag(name="realtime", description="Tickets for the realtime socket (docs/realtime.md)."),
    Tag(name="community", description="Course forums, lesson comments, votes, moderation."),
    Tag(name="support", description="Support tickets routed to agents, their queue, SLAs."),
    Tag(name="analytics", description="Dashboards, audit log, exports."),
    Tag(name="privacy", description="Your data: an archive of it, and erasing it."),
    Tag(name="reporting", description="Staff reports exported as CSV or PDF in the background."),
    Tag(name="operations", description="Health and readiness of the service."),
]

DESCRIPTION = f"""{package_doc}

Errors are RFC 9457 problem details (`application/problem+json`) with a stable `type` and
`code`, a human `detail`, the `request_id`, and `errors` per field where input was wrong.
Every response carries `X-Request-ID`; send your own to correlate logs."""


def openapi_config(settings: Settings) -> OpenAPIConfig:
    return ContractOpenAPIConfig(
        title=f"{settings.app_name} API",
        version="1.0.0",
        description=DESCRIPTION,
        tags=TAGS,
        path="/docs",
        render_plugins=[
            ScalarRenderPlugin(path="/scalar"),
            SwaggerRenderPlugin(path="/swagger"),
            RedocRenderPlugin(path="/redoc"),
        ],
        use_handler_docstrings=True,
        components=Components(security_schemes=dict(SECURITY_SCHEMES)),
    )


@get("/schema/openapi.json", include_in_schema=False, media_type="application/vnd.oai.openapi+json")
async def openapi_document(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """The OpenAPI document at its conventional address (the same as /docs/openapi.json)."""
    return Response(
        request.app.openapi_schema.to_schema(), media_type="application/vnd.oai.openapi+json"
    )


_Handler = TypeVar("_Handler")
BEARER = "bearer"
SECURITY_SCHEMES = {
    BEARER: SecurityScheme(
        type="http",
        scheme="bearer",
        bearer_format="JWT",
        description="The `access_token` of `POST /api/v1/auth/login` (or `/auth/refresh`).",
    )
}
_AUTHENTICATING_GUARDS = (signed_in, staff_only)
# A bad or expired bearer is refused wherever the caller is read, even where none is needed.
_AUTHENTICATION_CODES = ("not-authenticated", "invalid-token")


class ProblemResponsesPlugin(ReceiveRoutePlugin):
    """Documents every problem+json status and code a route can answer, and who may call it.

    Derived from the route: 500 always; 400 ``invalid-request`` for every route (a bad
    parameter, a NUL in the URL) and ``invalid-parameter`` where it pages with a cursor; for a
    body also ``malformed-body``/``empty-body``, 413 and 415; 401 (``not-authenticated``,
    ``invalid-token``) and 403 (``permission-denied``, ``two-factor-required``) where it
    reads the caller; 404 ``not-found`` where its path has a parameter. Declared: the codes of
    ``@problems(...)`` (``problem_codes.py``), under their statuses, and 416 for files served
    with ``@binary(..., ranges=True)``. A route's own ``responses`` win for their statuses.

    Security: routes guarded by ``signed_in``/``staff_only`` need the bearer; routes that
    read the caller without a guard take it optionally; others are anonymous (``[]``).

    Without it Litestar documents its own 400 shape (``status_code``/``detail``/``extra``),
    which the app never sends.
    """

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler, kwargs_model in route.route_handler_map.values():
            if not handler.resolve_include_in_schema():
                continue
            codes = derived_problem_codes(handler, kwargs_model)
            for code in handler.opt.get(PROBLEMS_OPT, ()):
                for status in statuses_of(code):
                    codes[status].add(code)
            answer = handler.opt.get(BINARY_OPT)
            if isinstance(answer, BinaryAnswer) and answer.ranges:
                codes[416].add("range-not-satisfiable")
            body = handler.parsed_fn_signature.parameters.get("data")
            optional_body = body is not None and (body.is_optional or body.has_default)
            handler.operation_class = type(
                "ContractOperation",
                (ContractOperation,),
                {
                    "answer": answer,
                    "optional_body": optional_body,
                    "form": handler.opt.get(FORM_OPT),
                    "examples": handler.opt.get(EXAMPLES_OPT, {}),
                    "anonymous": not reads_actor(handler),
                },
            )
            handler.responses = {**problem_responses(codes), **(handler.responses or {})}
            if handler.security is None and reads_actor(handler):
                handler.security = security_of(handler)


BINARY_OPT = "binary"


@dataclass(frozen=True, slots=True)
class BinaryAnswer:
    media_types: tuple[str, ...]
    ranges: bool


def binary(*media_types: str, ranges: bool = False) -> Callable[[_Handler], _Handler]:
    """Declares, above its route decorator, that a route answers a file of one of these media
    types (not JSON); ``ranges`` when it honours ``Range`` (206, and 416 past the end)."""

    def declare(handler: _Handler) -> _Handler:
        handler.opt[BINARY_OPT] = BinaryAnswer(media_types, ranges)  # type: ignore[attr-defined]
        return handler

    return declare


FORM_OPT = "form"


def form_body(schema: dict[str, Any]) -> Callable[[_Handler], _Handler]:
    """Declares, above its route decorator, the JSON Schema of a multipart body that the route
    reads field by field (Litestar can only say ``additionalProperties: {}`` of a dict)."""

    def declare(handler: _Handler) -> _Handler:
        handler.opt[FORM_OPT] = schema  # type: ignore[attr-defined]
        return handler

    return declare


EXAMPLES_OPT = "request_examples"


@dataclass(frozen=True, slots=True)
class RequestExample:
    summary: str
    value: Any


def request_examples(**examples: RequestExample) -> Callable[[_Handler], _Handler]:
    """Declares, above its route decorator, ready-to-send bodies of a route, by name: `/docs`
    fills "Try it out" with them. Each must be valid and succeed as sent by the caller the
    route documents (``tests/integration/contract/test_examples.py`` sends every one)."""

    def declare(handler: _Handler) -> _Handler:
        handler.opt[EXAMPLES_OPT] = examples  # type: ignore[attr-defined]
        return handler

    return declare


class ContractOperation(Operation):
    """An operation finished with what the route declares beyond Litestar's reach: a body the
    route does not need is not ``required``; a file answer has its real media types, and with
    ``Range``, the 206 partial answer and the ``Range`` header."""

    answer: ClassVar[BinaryAnswer | None] = None
    optional_body: ClassVar[bool] = False
    form: ClassVar[dict[str, Any] | None] = None
    examples: ClassVar[dict[str, RequestExample]] = {}
    # Litestar leaves out an empty ``security``, which would mean the document's default.
    anonymous: ClassVar[bool] = False

    def to_schema(self) -> dict[str, Any]:
        schema = super().to_schema()
        if self.anonymous:
            schema["security"] = []
        if self.form is not None:
            schema["requestBody"]["content"] = {"multipart/form-data": {"schema": self.form}}
        if self.optional_body and "requestBody" in schema:
            schema["requestBody"]["required"] = False
        if self.examples:
            for media_type in schema["requestBody"]["content"].values():
                media_type["examples"] = {
                    name: {"summary": example.summary, "value": example.value}
                    for name, example in self.examples.items()
                }
        if self.answer is not None:
            _document_file_answer(schema, self.answer)
        return schema


def _document_file_answer(schema: dict[str, Any], answer: BinaryAnswer) -> None:
    responses = schema["responses"]
    success = next(status for status in responses if status.startswith("2"))
    file = {"schema": {"type": "string", "format": "binary"}}
    responses[success]["content"] = {media_type: dict(file) for media_type in answer.media_types}
    responses[success]["description"] = "The file."
    if answer.ranges:
        responses[success].setdefault("headers", {})["Accept-Ranges"] = {
            "schema": {"type": "string", "const": "bytes"}
        }
        responses["206"] = {
            "description": "The part of the file that `Range` asked for.",
            "headers": {
                "Content-Range": {"schema": {"type": "string", "examples": ["bytes 0-1023/4096"]}}
            },
            "content": {media_type: dict(file) for media_type in answer.media_types},
        }
        schema.setdefault("parameters", []).append(
            {
                "name": "Range",
                "in": "header",
                "required": False,
                "description": "One range of bytes (`bytes=0-1023`, `bytes=1024-`).",
                "schema": {"type": "string", "examples": ["bytes=0-1048575"]},
            }
        )
    schema["responses"] = dict(sorted(responses.items()))


def reads_actor(handler: HTTPRouteHandler) -> bool:
    return "actor" in handler.parsed_fn_signature.parameters or needs_actor(handler)


def needs_actor(handler: HTTPRouteHandler) -> bool:
    return any(
        getattr(guard, "__wrapped__", guard) in _AUTHENTICATING_GUARDS
        or guard in _AUTHENTICATING_GUARDS
        for guard in handler.resolve_guards()
    )


def security_of(handler: HTTPRouteHandler) -> list[SecurityRequirement]:
    if needs_actor(handler):
        return [{BEARER: []}]
    if reads_actor(handler):
        return [{}, {BEARER: []}]
    return []


def derived_problem_codes(handler: HTTPRouteHandler, kwargs_model: Any) -> dict[int, set[str]]:
    codes: dict[int, set[str]] = defaultdict(set)
    codes[500].add("internal-error")
    codes[400].add("invalid-request")
    if "cursor" in {parameter.field_name for parameter in kwargs_model.expected_query_params}:
        codes[400].add("invalid-parameter")
    body = handler.parsed_fn_signature.parameters.get("data")
    if body is not None:
        codes[400].add("malformed-body")
        if not (body.is_optional or body.has_default):
            codes[400].add("empty-body")
        codes[413].add("payload-too-large")
        codes[415].add("unsupported-media-type")
    if reads_actor(handler):
        codes[401].update(_AUTHENTICATION_CODES)
        # Staff who must sign in with a second factor are refused wherever they act.
        codes[403].update(("permission-denied", "two-factor-required"))
    if kwargs_model.expected_path_params:
        codes[404].add("not-found")
    return codes


# Litestar copies a constraint to the schema only when it is truthy, so every bound of 0
# (``ge=0``: a count, an amount, a minimum rating) went missing from the document while the
# server enforced it. Applied after Litestar's own copy, for the bounds only.
_ZERO_BOUNDS = {
    "ge": "minimum",
    "gt": "exclusive_minimum",
    "le": "maximum",
    "lt": "exclusive_maximum",
}
_copy_constraints = SchemaCreator._apply_kwarg_definition_metadata


def _copy_constraints_with_zero_bounds(
    self: SchemaCreator, field: FieldDefinition, schema: Schema
) -> None:
    _copy_constraints(self, field, schema)
    for source, target in _ZERO_BOUNDS.items():
        bound = getattr(field.kwarg_definition, source, None)
        if type(bound) in (int, float) and bound == 0 and getattr(schema, target) is None:
            setattr(schema, target, bound)


SchemaCreator._apply_kwarg_definition_metadata = _copy_constraints_with_zero_bounds  # type: ignore[method-assign]


class EnumeratedProblemSchema(OpenAPISchemaPlugin):
    """Draws an ``EnumeratedProblem`` as the Problem component with ``code`` narrowed to the
    codes of that status, so that a schema checker verifies them."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return field_definition.is_subclass_of(EnumeratedProblem)

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        problem = schema_creator.for_field_definition(FieldDefinition.from_annotation(Problem))
        codes: tuple[str, ...] = field_definition.annotation.codes
        return Schema(
            all_of=[
                problem,
                Schema(
                    type=OpenAPIType.OBJECT,
                    properties={"code": Schema(type=OpenAPIType.STRING, enum=list(codes))},
                ),
            ]
        )


class StrictStructSchema(StructSchemaPlugin):
    """A msgspec struct's schema as the server enforces it: ``additionalProperties: false``
    where it refuses unknown fields, and the constraints of list items (Litestar keeps those
    of the list only)."""

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        struct = msgspec.inspect.type_info(field_definition.type_)
        if not isinstance(struct, msgspec.inspect.StructType):
            return schema
        if struct.forbid_unknown_fields:
            schema.additional_properties = False
        for field in struct.fields:
            prop = (schema.properties or {}).get(field.encode_name)
            item_type = _list_item_type(field.type)
            if isinstance(prop, Schema) and item_type is not None:
                _constrain(prop, item_type)
            if isinstance(prop, Schema) and isinstance(field.type, msgspec.inspect.DictType):
                _constrain_mapping(prop, field.type)
        return schema


def _constrain_mapping(prop: Schema, mapping: msgspec.inspect.DictType) -> None:
    """The bounds of a mapping's size and of its keys, which Litestar leaves out."""
    if mapping.min_length is not None and prop.min_properties is None:
        prop.min_properties = mapping.min_length
    if mapping.max_length is not None and prop.max_properties is None:
        prop.max_properties = mapping.max_length
    key = mapping.key_type
    constrained = isinstance(key, msgspec.inspect.StrType) and (
        key.min_length is not None or key.max_length is not None or key.pattern is not None
    )
    if isinstance(key, msgspec.inspect.StrType) and constrained and prop.property_names is None:
        prop.property_names = Schema(
            type=OpenAPIType.STRING,
            min_length=key.min_length,
            max_length=key.max_length,
            pattern=key.pattern,
        )


def _list_item_type(info: msgspec.inspect.Type) -> msgspec.inspect.Type | None:
    if isinstance(info, msgspec.inspect.Metadata):
        return _list_item_type(info.type)
    if isinstance(info, msgspec.inspect.UnionType):
        found = [_list_item_type(t) for t in info.types]
        return next((t for t in found if t is not None), None)
    if isinstance(info, msgspec.inspect.ListType | msgspec.inspect.VarTupleType):
        item = info.item_type
        return item.type if isinstance(item, msgspec.inspect.Metadata) else item
    return None


_ITEM_CONSTRAINTS = {
    "ge": "minimum",
    "le": "maximum",
    "gt": "exclusive_minimum",
    "lt": "exclusive_maximum",
    "min_length": "min_length",
    "max_length": "max_length",
    "pattern": "pattern",
}


def _constrain(prop: Schema, item_type: msgspec.inspect.Type) -> None:
    arrays = [prop, *(s for s in prop.one_of or () if isinstance(s, Schema))]
    for array in arrays:
        if isinstance(array.items, Schema):
            for source, target in _ITEM_CONSTRAINTS.items():
                value = getattr(item_type, source, None)
                if value is not None and getattr(array.items, target) is None:
                    setattr(array.items, target, value)


OPENAPI_PLUGINS = (ProblemResponsesPlugin(), EnumeratedProblemSchema(), StrictStructSchema())


class ContractDocument(OpenAPI):
    """The generated document, finished as a whole when it is written out (``to_schema``)."""

    def to_schema(self) -> dict[str, Any]:
        return finished_document(super().to_schema())


class ContractOpenAPIConfig(OpenAPIConfig):
    def to_openapi_schema(self) -> OpenAPI:
        base = super().to_openapi_schema()
        return ContractDocument(**{f.name: getattr(base, f.name) for f in fields(base)})


_GENERIC_PAGE = re.compile(r"^Page_(?:[A-Za-z0-9_]+\.)*(?P<item>[A-Za-z0-9]+)_$")
# Litestar tells apart two classes of one name by their module path (``billing_routes_X``).
_MODULE_QUALIFIED = re.compile(
    r"^(?P<context>[a-z0-9]+)_(?:[a-z0-9]+_)*(?P<name>[A-Z][A-Za-z0-9]*)$"
)


def component_name(generated: str) -> str:
    """The rule for component names: a class's own name; a page of ``XView`` (or ``X``) items
    is ``XPage``; two classes of one name in different contexts are ``<Context><Name>``."""
    if page := _GENERIC_PAGE.match(generated):
        return page.group("item").removesuffix("View") + "Page"
    if qualified := _MODULE_QUALIFIED.match(generated):
        return qualified.group("context").title() + qualified.group("name")
    return generated


def finished_document(document: dict[str, Any]) -> dict[str, Any]:
    """Clean component names (and every reference to them), and no union that lists one
    alternative twice (``oneOf`` of two ``{"type": "string"}`` matches neither)."""
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    renames = {name: component_name(name) for name in schemas}
    clashes = {new for new in renames.values() if list(renames.values()).count(new) > 1}
    if clashes:
        raise ValueError(f"component names clash after renaming: {sorted(clashes)}")
    if any(old != new for old, new in renames.items()):
        document["components"]["schemas"] = {
            renames[name]: schema
            for name, schema in sorted(schemas.items(), key=lambda i: renames[i[0]])
        }
    references = {f"{REF_PREFIX}{old}": f"{REF_PREFIX}{new}" for old, new in renames.items()}
    return _finished(document, references)


REF_PREFIX = "#/components/schemas/"


def _finished(value: Any, references: dict[str, str]) -> Any:
    if isinstance(value, list | tuple):  # a tuple default is a JSON array
        return [_finished(item, references) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(_finished(item, references) for item in value)
    if isinstance(value, Decimal):  # a decimal default is a decimal string, as on the wire
        return str(value)
    if not isinstance(value, dict):
        return value
    out = {key: _finished(item, references) for key, item in value.items()}
    if isinstance(ref := out.get("$ref"), str):
        out["$ref"] = references.get(ref, ref)
    for union in ("oneOf", "anyOf"):
        if isinstance(out.get(union), list):
            distinct: list[Any] = []
            for alternative in out[union]:
                if alternative not in distinct:
                    distinct.append(alternative)
            if len(distinct) == 1 and len(out) == 1:
                return distinct[0]
            out[union] = distinct
    return out
