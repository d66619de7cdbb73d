"""The demo repository: one flaky failure and one real breakage, seeded into the simulator."""

from __future__ import annotations

import attrs

from ci_rescue_providers.simulators.github import GitHubSimulator, SimJob, format_actions_log

REPO = "acme/shop"
WORKFLOW = "CI"
FLAKY_SHA = "4f1c2a9d8e7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a"
BROKEN_SHA = "9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"


def _pytest_log(summary: list[str], details: list[str], exit_code: int) -> str:
    lines = [
        "##[group]Run actions/checkout@v4",
        "with:",
        "  repository: acme/shop",
        "##[endgroup]",
        "Syncing repository: acme/shop",
        "##[group]Run python -m pytest -q",
        "python -m pytest -q",
        "shell: /usr/bin/bash -e {0}",
        "##[endgroup]",
        "============================= test session starts ==============================",
        "platform linux -- Python 3.12.7, pytest-8.3.3, pluggy-1.5.0",
        "rootdir: /home/runner/work/shop/shop",
        "collected 214 items",
        "",
        "tests/test_cart.py ........................................              [ 18%]",
        "tests/test_checkout.py ..................F.........................        [ 39%]",
        "tests/test_catalog.py ..........................................................[ 66%]",
        "tests/test_orders.py ....................................................... [ 92%]",
        "tests/test_search.py .................                                     [100%]",
        "",
        "=================================== FAILURES ===================================",
        *details,
        "=========================== short test summary info ============================",
        *summary,
        "======================== 1 failed, 213 passed in 41.87s ========================",
        f"##[error]Process completed with exit code {exit_code}.",
    ]
    return format_actions_log(lines)


FLAKY_LOG = _pytest_log(
    summary=[
        "FAILED tests/test_checkout.py::test_payment_webhook_roundtrip - "
        "TimeoutError: webhook not received within 2.0s"
    ],
    details=[
        "________________________ test_payment_webhook_roundtrip ________________________",
        "",
        "    def test_payment_webhook_roundtrip(stub_gateway):",
        "        order = place_order(total=4200)",
        ">       event = stub_gateway.wait_for_webhook(order.id, timeout=2.0)",
        "",
        "tests/test_checkout.py:88: ",
        "_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _",
        "shop/testing/gateway.py:57: in wait_for_webhook",
        "    raise TimeoutError(f'webhook not received within {timeout}s')",
        "E   TimeoutError: webhook not received within 2.0s",
    ],
    exit_code=1,
)

BROKEN_LOG = _pytest_log(
    summary=["FAILED tests/test_cart.py::test_discount_applies_once - assert 3780 == 4200"],
    details=[
        "__________________________ test_discount_applies_once __________________________",
        "",
        "    def test_discount_applies_once():",
        "        cart = Cart(items=[Item(sku='A-1', price=4200)])",
        "        cart.apply_discount('WELCOME10')",
        "        cart.apply_discount('WELCOME10')",
        ">       assert cart.total == 3780",
        "E       assert 3402 == 3780",
        "E        +  where 3402 = <Cart items=1 total=3402>.total",
        "",
        "tests/test_cart.py:41: AssertionError",
    ],
    exit_code=1,
)

PASSING_LOG = format_actions_log(
    [
        "##[group]Run python -m pytest -q",
        "python -m pytest -q",
        "##[endgroup]",
        "collected 214 items",
        "======================== 214 passed in 40.12s ========================",
    ]
)


@attrs.frozen
class SeededRuns:
    """Run ids of the seeded scenario."""

    passed: int
    flaky: int
    broken: int


def seed(sim: GitHubSimulator) -> SeededRuns:
    """Seed the repository: a green run, a flaky red run on the same sha, a broken run."""
    sim.add_repo(REPO, default_branch="main")
    lint = SimJob(name="lint", outcomes=["success"], log=PASSING_LOG)
    passed = sim.add_run(
        REPO,
        workflow=WORKFLOW,
        head_sha=FLAKY_SHA,
        head_branch="main",
        jobs=[
            SimJob(name="test (3.11)", outcomes=["success"], log=PASSING_LOG),
            SimJob(name="test (3.12)", outcomes=["success"], log=PASSING_LOG),
            lint,
        ],
    )
    flaky = sim.add_run(
        REPO,
        workflow=WORKFLOW,
        head_sha=FLAKY_SHA,
        head_branch="main",
        event="schedule",
        jobs=[
            SimJob(name="test (3.11)", outcomes=["success"], log=PASSING_LOG),
            SimJob(name="test (3.12)", outcomes=["failure", "success"], log=FLAKY_LOG),
            lint,
        ],
    )
    broken = sim.add_run(
        REPO,
        workflow=WORKFLOW,
        head_sha=BROKEN_SHA,
        head_branch="main",
        jobs=[
            SimJob(name="test (3.11)", outcomes=["failure"], log=BROKEN_LOG),
            SimJob(name="test (3.12)", outcomes=["failure"], log=BROKEN_LOG),
            lint,
        ],
    )
    return SeededRuns(passed=passed, flaky=flaky, broken=broken)
