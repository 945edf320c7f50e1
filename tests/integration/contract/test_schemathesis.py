"""Schemathesis walks the whole OpenAPI document against the app in process, as each of four
callers (anonymous, a student, a tutor, an admin), with every check it has: no 5xx, every status,
content type, header and body as documented, invalid input refused, valid input accepted, auth
never ignored. Half of the generated path parameters are replaced by real ids of a small seeded
platform (``tests/support/contract_world.py``), so the checks reach past the 404 of a random id.

Each caller gets a platform and an app of its own: what the admin's requests change (suspending a
student, deleting a course) never turns another caller's run into a run of 401s and 404s.

One test per operation draws its cases once, as they depend on the document alone, not on the
caller: the coverage phase's (every boundary and every invalid variant of every parameter and
body, about a hundred per operation) and the fuzzed examples. A valid case is sent by each of the
four callers in turn (each sending a copy of its own, see ``_own_copy``), since what each may do
differs. An invalid one must be refused whoever sends it, so it is sent once, by one caller: the
callers take turns, chosen by the case's content (so a failure replays as the same caller), and
each still sends a quarter of every operation's invalid input. ``ELEARN_SCHEMATHESIS_EXAMPLES``
sets the fuzzed examples per operation (a dozen by default, to keep the suite's ten-minute
budget; raise it for a deeper run)."""

from __future__ import annotations

import copy
import json
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from uuid import UUID

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from litestar import Litestar
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.case import Case
from schemathesis.generation.hypothesis import builder
from schemathesis.generation.hypothesis.builder import UnserializablePayloadMark
from schemathesis.python import asgi
from schemathesis.python.asgi import ASGIClient
from tests.conftest import make_settings
from tests.integration.contract.conftest import SeededPlatform
from tests.support.contract import document_of, documented_app
from tests.support.contract_world import ContractWorld

from elearn.entrypoints.http.app import create_app

EXAMPLES = int(os.environ.get("ELEARN_SCHEMATHESIS_EXAMPLES", "12"))

# What a check cannot know, each with the reason it is not a fault of the API.
CONFIG = SchemathesisConfig.from_str(
    """
# A shared CI machine can be slow; a hang would still fail, after a minute.
request-timeout = 60

[generation]
# The bearer is the caller's (anonymous, student, tutor, admin), never generated: a missing or
# wrong one is the anonymous run's, ignored_auth's and the access matrix's.
with-security-parameters = false
# Text never holds NUL (PostgreSQL cannot store it): every body and parameter refuses it with a
# documented 400, a rule of the whole API (docs/api-conventions.md) rather than a pattern
# repeated on every string of the document.
allow-x00 = false
# Unknown query parameters are ignored (trackers, cache-busters), as OpenAPI cannot say either
# way; unknown body fields are refused, and the schemas say so.
allow-extra-parameters = false

[checks.positive_data_acceptance]
# A request that matches the schema can still break a business rule no schema states (a booking
# in the past, a quiz already passed, a course without lessons: 422, or 402 for what is sold), or
# send a file whose bytes are not of the type it claims (415: contents are sniffed, not trusted).
expected-statuses = ["2xx", "3xx", "401", "402", "403", "404", "409", "415", "422", "429"]

[[operations]]
# Their optional bodies are `oneOf: [<Body>, null]`; schemathesis' coverage phase sends `null`
# (the branch it generates as positive) yet reports it as schema-violating data accepted.
include-operation-id = [
    "erase_me", "archive_course", "unpublish_course", "cancel_booking", "erase_user"
]
checks.negative_data_rejection.enabled = false

[[operations]]
# Only Stripe can sign a webhook; every generated one is rightly refused.
include-path = "/api/v1/webhooks/stripe"
checks.positive_data_acceptance.enabled = false
"""
)


class _CoverageCasesWhenRun(list[Any]):
    """A test's explicit examples, the coverage phase's cases added when first read: when
    hypothesis runs the test, not when pytest collects it."""

    def __init__(self, examples: Iterable[Any], build: Callable[[], list[Any]]) -> None:
        super().__init__(examples)
        self._build: Callable[[], list[Any]] | None = build

    def _built(self) -> None:
        if self._build is not None:
            build, self._build = self._build, None
            self.extend(build())

    def __iter__(self) -> Iterator[Any]:
        self._built()
        return super().__iter__()

    def __reversed__(self) -> Iterator[Any]:
        self._built()
        return super().__reversed__()

    def __len__(self) -> int:
        self._built()
        return super().__len__()

    def __getitem__(self, index: Any) -> Any:
        self._built()
        return super().__getitem__(index)


_add_coverage_now = builder.add_coverage


def _add_coverage_when_run(test: Any, operation: Any, *args: Any, **kwargs: Any) -> Any:
    """Schemathesis builds every operation's coverage cases (about a hundred each) as pytest
    collects its test, ~10 s of CPU for the document. Every xdist worker collects every test,
    so each built all of them, though it runs only its share: built when the test runs, each
    operation's cases are built once in the whole run. The same cases, in the same order, by
    schemathesis' own function, attached to a scratch function and moved over."""

    def build() -> list[Any]:
        def scratch() -> None:
            """Receives the cases."""

        _add_coverage_now(scratch, operation, *args, **kwargs)
        unserializable = UnserializablePayloadMark.get(scratch)
        if unserializable:
            UnserializablePayloadMark.set(test, unserializable)
        return list(getattr(scratch, "hypothesis_explicit_examples", ()))

    test.hypothesis_explicit_examples = _CoverageCasesWhenRun(
        getattr(test, "hypothesis_explicit_examples", ()), build
    )
    return test


builder.add_coverage = _add_coverage_when_run

_app = documented_app()
# A copy: the document is shared with the other tests of this process that read it.
schema = schemathesis.openapi.from_dict(copy.deepcopy(document_of(_app)), config=CONFIG)
# An ASGI app on the schema makes the checks that send requests of their own (ignored_auth
# sends each 2xx again without the token) do so in process too, to the app of the case.
schema.app = _app


def _own_copy(case: Case) -> Case:
    """A deep copy of ``case`` for one caller's request (the operation stays shared). Case
    objects track edits through ``__setattr__``, which ``copy.deepcopy`` would trip over while
    rebuilding one, so the slots are copied one by one."""
    memo: dict[int, Any] = {id(case.operation): case.operation}
    own = object.__new__(Case)
    for name in Case.__slots__:
        object.__setattr__(own, name, copy.deepcopy(getattr(case, name), memo))
    return own


Platform = tuple[ContractWorld, dict[str, ASGIClient]]
CALLERS = ("anonymous", "student", "tutor", "admin")
_path_values: dict[str, str] = {}


def _client_of(app: Litestar) -> ASGIClient:
    """One in-process client per app for the whole run. Schemathesis otherwise makes a
    ``requests.Session`` per request, and each request read the proxy settings of the
    environment (~9 % of the run's CPU): none apply to an app in process (``trust_env``).
    Cookies are never kept, so each request carries only its case's, as a fresh session's
    would (a sign-in answers a refresh cookie)."""
    client = asgi.get_client(app).__enter__()
    client.trust_env = False
    client.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return client


@pytest.fixture(scope="session")
def platform(seeded_platform: SeededPlatform) -> Iterator[Platform]:
    """An app per caller, each on a copy of the seeded database of its own (the same ids and
    tokens everywhere, so one set of real path values serves every caller)."""
    _path_values.update(seeded_platform.world.path_values)
    clients = {}
    for caller in CALLERS:
        var_dir, database_url = seeded_platform.copy(f"schemathesis-{caller}")
        settings = make_settings(var_dir, database_url)
        # No in-process worker: background jobs would only add noise to the run.
        app = create_app(settings, configure_logs=False, run_background=False)
        clients[caller] = _client_of(app)
    yield seeded_platform.world, clients
    for client in clients.values():
        client.__exit__(None, None, None)


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    """Half of the cases name real objects of the platform instead of random ids."""
    if not path_parameters:
        return st.just(path_parameters)
    real = {
        name: _path_values[name] if _may_name_a_real_object(name, value) else value
        for name, value in path_parameters.items()
    }
    if real == path_parameters:
        return st.just(path_parameters)
    return st.sampled_from([path_parameters, real])


def _may_name_a_real_object(name: str, generated: Any) -> bool:
    """A generated value that is not even an id (a negative case's) stays: a real id would turn
    a request that must be refused into one that is allowed. A ``*_key`` is an id or a slug, so
    any text is one."""
    if name not in _path_values:
        return False
    if name.endswith("_key"):
        return True
    try:
        UUID(str(generated))
    except ValueError:
        return False
    return True


def _call_as(caller: str, shared_case: Any, platform: Platform) -> None:
    world, clients = platform
    case = _own_copy(shared_case)
    if case.query and "cursor" in case.query and _query_is_positive(case):
        # A cursor is opaque: only one a list handed out is valid, which no generator can
        # know. Generated cases page from the start (a cursor the schema refuses stays: the
        # case is there to be refused).
        del case.query["cursor"]
    if case.media_type == "application/json":
        case.body = _integers_as_integers(case.body)
    headers = {} if caller == "anonymous" else world.bearer(caller)
    # The app too, for the checks' probes: they are sent without the session (it could carry
    # the caller's credentials), to the app named here.
    client = clients[caller]
    case.call_and_validate(session=client, app=client.app, headers=headers)


def _query_is_positive(case: Any) -> bool:
    query = case.meta.components.get(ParameterLocation.QUERY) if case.meta else None
    return query is None or query.mode.is_positive


def _integers_as_integers(value: Any) -> Any:
    """JSON Schema counts ``60.0`` as an integer; the API refuses a number with a fraction part
    where it documents an integer, on purpose (an amount of ``4999.0`` is a client computing
    money in floats), and no schema keyword can say so. Generated whole floats are sent as the
    integers they are equal to."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integers_as_integers(item) for item in value]
    if isinstance(value, dict):
        return {key: _integers_as_integers(item) for key, item in value.items()}
    return value


def _fuzz(test: Callable[..., None]) -> Callable[..., None]:
    return schema.parametrize()(
        hypothesis.settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )(test)
    )


def _callers_of(case: Case) -> tuple[str, ...]:
    if case.meta is None or case.meta.generation.mode.is_positive:
        return CALLERS
    content = json.dumps(
        [case.path_parameters, case.query, case.headers, case.body], sort_keys=True, default=repr
    )
    return (CALLERS[zlib.crc32(content.encode()) % len(CALLERS)],)


@_fuzz
def test_every_caller(case: Any, platform: Platform) -> None:
    for caller in _callers_of(case):
        _call_as(caller, case, platform)
