"""run.py: the cancel event, the builds and deployments a run started, its scratch files and
the cancellation message."""

from __future__ import annotations

import threading

import pytest

from pipecat_build.run import Run


def test_wait_returns_when_not_cancelled_and_raises_when_cancelled() -> None:
    run = Run()
    run.wait(0)
    run.wait(-5)  # a negative wait is no wait
    run.cancel.set()
    with pytest.raises(KeyboardInterrupt):
        run.wait(10)


def test_a_cancel_from_another_thread_ends_a_long_wait() -> None:
    run = Run()
    threading.Timer(0.01, run.cancel.set).start()
    with pytest.raises(KeyboardInterrupt):
        run.wait(30)


def test_builds_started_are_recorded_once_and_announced_once() -> None:
    announced: list[str] = []
    run = Run(on_build_started=announced.append)
    run.build_started("b1")
    run.build_started("b1")
    run.build_started("b2")
    assert run.started_builds == ["b1", "b2"]
    assert announced == ["b1", "b2"]


def test_deployments_started_are_recorded_and_announced() -> None:
    run = Run()
    run.deployment_started("bot", "dep-1")  # nobody listening
    seen: list[tuple[str, str]] = []
    run.on_deployment_started = lambda agent, dep: seen.append((agent, dep))
    run.deployment_started("bot", "dep-2")
    assert run.deployments == [("bot", "dep-1"), ("bot", "dep-2")]
    assert seen == [("bot", "dep-2")]


def test_the_clock_is_the_one_handed_in() -> None:
    assert Run(clock=lambda: 42.0).clock() == 42.0


def test_scratch_files_are_outside_the_workspace_and_removed() -> None:
    run = Run()
    first = run.new_scratch_file()
    second = run.new_scratch_file(prefix="x-", suffix=".bin")
    assert first.is_file() and second.name.startswith("x-") and second.name.endswith(".bin")
    run.discard(first)
    assert not first.exists()
    run.discard(first)  # twice is fine
    run.discard_all()
    assert not second.exists()


def test_scratch_files_made_in_a_thread() -> None:
    run = Run()
    made = []
    worker = threading.Thread(target=lambda: made.append(run.new_scratch_file()))
    worker.start()
    worker.join()
    assert made[0].is_file()
    run.discard_all()
    assert not made[0].exists()


def test_the_cancel_message_before_any_build() -> None:
    assert Run().cancel_message("SIGINT") == (
        "Cancelled (SIGINT) before any build was created on Pipecat Cloud."
    )


def test_the_cancel_message_names_the_builds_and_deployments() -> None:
    run = Run()
    run.build_started("b1")
    run.build_started("b2")
    run.deployment_started("bot", "dep-9")
    assert run.cancel_message("SIGTERM") == (
        "Cancelled (SIGTERM). Build b1, b2 keeps running on Pipecat Cloud (there is no cancel "
        "endpoint); its id is in the build-id output. Agent bot: deployment dep-9 was accepted "
        "and goes on without us."
    )
