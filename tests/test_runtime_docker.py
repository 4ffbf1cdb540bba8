"""The runtime's container handle against a real dockerd: a stop is graceful even when asked for under a second."""

from __future__ import annotations

import os
import time

from docker.client import DockerClient

from planoai_cli.runtime.container import MANAGED, PROJECT
from planoai_cli.runtime.engine import session
from tests.dockerfix import TEST_LABELS, remove_labelled

# Exits 7 on SIGTERM (checked between 50 ms sleeps); only a SIGKILL ends it otherwise (exit code 137).
GRACEFUL = 'trap "exit 7" TERM; while :; do sleep 0.05; done'


def test_a_timeout_under_a_second_still_gives_sigterm_its_chance(
    docker_client: DockerClient, testbed_image: str
) -> None:
    project = f"rt-graceful-{os.getpid()}"
    container = docker_client.containers.run(
        testbed_image,
        ["sh", "-c", GRACEFUL],
        entrypoint=[],
        detach=True,
        labels={**TEST_LABELS, MANAGED: "1", PROJECT: project},
    )
    try:
        since = int(time.time()) - 1
        with session() as engine:
            handle = engine.find(project)
            assert handle is not None
            handle.remove(timeout=0.4)  # the Engine API counts whole seconds: 0.4 must not become 0 (an instant kill)
        events = docker_client.events(
            since=since, until=int(time.time()) + 1, decode=True, filters={"container": container.id, "event": "die"}
        )
        (died,) = list(events)
        assert died["Actor"]["Attributes"]["exitCode"] == "7"
    finally:
        remove_labelled(docker_client, PROJECT, project)
