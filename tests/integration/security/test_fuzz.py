"""Schemathesis against the live app's own ``/schema/openapi.json``, with every check on.

The app is served for real (uvicorn, Postgres) and fuzzed as a signed-in reader: for every
operation, positive and negative cases from a fixed seed (``EXAMPLES`` each), then a bounded
stateful run that follows the schema's links. Every response goes through all of schemathesis'
checks (no server error, documented status, response schema, negative data rejected, auth not
ignored, use after free, …). The test fails on any 5xx or any check failure and prints the
counts of what it ran.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode

from tests.figures import record
from tests.integration.circulation.conftest import LiveApp

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SEED = 20_261_203
EXAMPLES = 20  #: cases per operation and generation mode
STATEFUL_SCENARIOS = 6
STEPS_PER_SCENARIO = 10  #: about 60 calls in the stateful run (Hypothesis may run a scenario more)
SERVER_ERROR = 500


@dataclass
class Tally:
    """What the run did: cases sent, statuses seen, failures by operation and check."""

    cases: int = 0
    steps: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    checks_failed: Counter[str] = field(default_factory=Counter)

    def answered(self, response: Any) -> None:
        self.statuses[response.status_code] += 1

    def failed(self, label: str, group: FailureGroup) -> None:
        for failure in group.exceptions:
            self.checks_failed[getattr(failure, "title", type(failure).__name__)] += 1
        self.failures.append(f"{label}: {group}")

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= SERVER_ERROR)


def _whole_numbers_as_integers(case: Any) -> None:
    """JSON Schema counts ``5.0`` as an integer and schemathesis sends such numbers in integer
    lists (``member_ids``, ``organization_ids``); the API reads ids strictly, written as integers,
    which JSON Schema cannot say. Send them as integers: every other value goes as generated."""

    def fix(value: Any) -> Any:
        if isinstance(value, list):
            return [int(item) if isinstance(item, float) and item.is_integer() else fix(item) for item in value]
        if isinstance(value, dict):
            return {key: fix(item) for key, item in value.items()}
        return value

    if not isinstance(case.body, dict):
        return
    if case.media_type == "application/json":
        body = fix(case.body)
    else:  # the declared fields of a form only: its other parts (files, extras) stay as they are
        content = case.operation.definition.raw.get("requestBody", {}).get("content", {})
        declared = content.get(case.media_type, {}).get("schema", {}).get("properties", {})
        body = {key: fix(value) if key in declared else value for key, value in case.body.items()}
    if repr(body) != repr(case.body):  # (5.0 == 5) an edited case is checked against the schema again
        case.body = body


def _settings(examples: int) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


#: Valid data that the domain may still refuse: rules a JSON schema cannot say (a due date in
#: the past, a message to yourself) answer 422; an upload that is not an image answers 415;
#: and the contract's own 400s: a confirmation token never issued, a return date not after
#: today, a webhook without a valid signature.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
REFUSED_CONTENT = ("UploadImage", "ChangeAvatar", "CreateEvent")
REFUSED_BY_CONTRACT = ("ConfirmEmailChange", "BorrowBook", "StripeWebhook")


def _config(base_url: str, headers: dict[str, str]) -> SchemathesisConfig:
    def accepting(*statuses: str) -> dict[str, Any]:
        return {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, *statuses]}}

    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "base-url": base_url,
            "headers": headers,
            "checks": accepting(),
            "operations": [
                {"include-operation-id": list(REFUSED_CONTENT), "checks": accepting("415")},
                {"include-operation-id": list(REFUSED_BY_CONTRACT), "checks": accepting("400")},
            ],
        }
    )


def _fuzz(schema: Any, headers: dict[str, str], tally: Tally) -> None:
    """Every operation, positive then negative cases, each response through every check."""

    def explore(operation: Any, mode: GenerationMode) -> None:
        label = f"{operation.label} [{mode.value}]"

        @_settings(EXAMPLES)
        @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            tally.cases += 1
            _whole_numbers_as_integers(case)
            response = case.call()
            tally.answered(response)
            try:
                case.validate_response(response, headers=headers)
            except FailureGroup as group:
                tally.failed(label, group)

        try:
            run()
        except hypothesis.errors.Unsatisfiable:
            # Nothing to negate (an operation without parameters or body): only positive cases.
            assert mode is GenerationMode.NEGATIVE, label

    for result in schema.get_all_operations():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            explore(result.ok(), mode)


def _stateful(schema: Any, headers: dict[str, str], tally: Tally) -> None:
    """Scenarios that follow the links schemathesis infers (a created id into the next call),
    so that the checks on sequences (use after free, resource availability) get their turn."""

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            _whole_numbers_as_integers(case)

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            tally.steps += 1
            tally.answered(response)
            try:
                # As the recording state machine does, and naming the headers the request was sent
                # with, so that `ignored_auth` knows the token is the real one and probes without it.
                case.validate_response(
                    response,
                    additional_checks=additional_checks,
                    headers=headers,
                    transport_kwargs=kwargs or None,
                    recorder=self.recorder,
                )
            except FailureGroup as group:
                tally.failed(f"{case.operation.label} [stateful]", group)

    settings = _settings(STATEFUL_SCENARIOS)
    Workflow.run(settings=hypothesis.settings(settings, stateful_step_count=STEPS_PER_SCENARIO))


def _run(raw_schema: dict[str, Any], base_url: str, reader: dict[str, str], admin: dict[str, str]) -> Tally:
    tally = Tally()
    _fuzz(schemathesis.openapi.from_dict(raw_schema, config=_config(base_url, reader)), reader, tally)
    _stateful(schemathesis.openapi.from_dict(raw_schema, config=_config(base_url, admin)), admin, tally)
    return tally


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_the_schema_holds_under_fuzzing(live_app: LiveApp, backend: str) -> None:
    async with live_app() as api:
        reader = await api.user()
        admin = await api.user(admin=True)
        base_url = str(api.client.base_url).rstrip("/")
        raw_schema = (await api.client.get("/schema/openapi.json")).json()
        started = time.monotonic()
        tally = await asyncio.to_thread(_run, raw_schema, base_url, reader.headers, admin.headers)
        elapsed = time.monotonic() - started

    run = tally.cases + tally.steps
    record("fuzz cases run", run)
    record("fuzz 5xx", tally.server_errors)
    record("fuzz schema violations", len(tally.failures))
    print(  # noqa: T201 - the run's counts are part of its output
        f"\nfuzz: {run} cases ({tally.cases} per operation, {tally.steps} stateful steps) in {elapsed:.0f}s; "
        f"{tally.server_errors} 5xx; {len(tally.failures)} failing cases {dict(tally.checks_failed)}; "
        f"statuses {dict(sorted(tally.statuses.items()))}"
    )
    assert tally.cases > 0
    assert tally.steps > 0
    if tally.server_errors or tally.failures:
        shown = "\n\n".join(tally.failures[:20])
        pytest.fail(f"{tally.server_errors} 5xx, {len(tally.failures)} failing cases; the first ones:\n\n{shown}")
