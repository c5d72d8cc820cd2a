"""Schemathesis over the server's OpenAPI schema: no generated request gets a server error.

Bounded: a fixed number of examples per operation, in the positive (schema-
conforming) and negative (schema-violating) generation modes, against the
live server over HTTP, within a time budget (the sweep operations go first).
"""

from __future__ import annotations

import contextlib
import time

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

EXAMPLES_PER_OPERATION = 10
TIME_BUDGET_S = 150.0


def test_no_generated_request_gets_a_server_error(server):
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 20
    # the sweep operations first, so that the time budget never leaves them out
    operations.sort(key=lambda op: "/api/sweeps" not in op.label)
    sweep_ops = {op.label for op in operations if "/api/sweeps" in op.label}
    assert len(sweep_ops) >= 9, sweep_ops
    t0 = time.perf_counter()
    calls: list[tuple[str, int]] = []
    failures: list[str] = []

    def make_check(op, mode):
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=op.as_strategy(generation_mode=mode))
        def check(case):
            resp = case.call(base_url=server.url, timeout=30)
            calls.append((op.label, resp.status_code))
            if resp.status_code >= 500:
                failures.append(
                    f"{op.label} [{mode.value}] -> {resp.status_code}: "
                    f"{resp.text[:200]} for {case.as_curl_command()}"
                )
            elif resp.status_code >= 400:
                body = resp.json()
                assert isinstance(body.get("detail"), str), resp.text[:200]

        return check

    for op in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if time.perf_counter() - t0 > TIME_BUDGET_S:
                break
            with contextlib.suppress(Unsatisfiable):  # an operation with no invalid inputs
                make_check(op, mode)()
    assert not failures, "\n".join(failures)
    labels = {label for label, _ in calls}
    assert len(labels) >= 20, labels
    assert sweep_ops <= labels, sweep_ops - labels
    assert len(calls) >= 200
    assert any(400 <= code < 500 for _, code in calls)
    print(
        f"schemathesis: {len(calls)} requests over {len(labels)} operations in "
        f"{time.perf_counter() - t0:.1f} s; status codes "
        f"{sorted({code for _, code in calls})}"
    )
