"""A single-node swarm on the test engine for the swarm test only, and never left behind.

Swarm mode changes the engine for everyone (an ingress network, docker_gwbridge), so the swarm is made on loopback
only (advertise, listen and data-path addresses 127.0.0.1), marked with a node label, held under a file lock while
a test uses it, and left (`docker swarm leave --force`) afterwards. A swarm a crashed run left behind (marked, and
no lock held) is left at the next session's start; a swarm planoai's tests did not make is never touched.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from docker.client import DockerClient
from docker.errors import APIError, NotFound

LOCK = Path(tempfile.gettempdir()) / "planoai-test-swarm.lock"
NODE_LABEL = "org.planoai.test-swarm"
GWBRIDGE = "docker_gwbridge"


@contextlib.contextmanager
def _locked(*, wait: float) -> Iterator[bool]:
    with LOCK.open("a") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.5)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _state(client: DockerClient) -> str:
    return str(client.info().get("Swarm", {}).get("LocalNodeState", "inactive"))


def _ours(client: DockerClient) -> bool:
    try:
        nodes = client.nodes.list()
    except APIError:
        return False
    return any(NODE_LABEL in (node.attrs.get("Spec", {}).get("Labels") or {}) for node in nodes)


def _leave(client: DockerClient, had_gwbridge: bool) -> None:
    client.swarm.leave(force=True)
    if had_gwbridge:
        return
    with contextlib.suppress(NotFound, APIError):  # still in use by a container: the engine keeps it, harmlessly
        for network in client.networks.list(names=[GWBRIDGE]):
            network.remove()


def leave_stale_swarm(client: DockerClient) -> None:
    """At a session's start: leave a swarm a crashed test run left, unless a swarm test is running now."""
    with _locked(wait=0) as held:
        if held and _state(client) == "active" and _ours(client):
            _leave(client, had_gwbridge=False)


@contextlib.contextmanager
def single_node_swarm(client: DockerClient, listen_port: int) -> Iterator[None]:
    """A swarm on loopback for the duration of the block (one test at a time on this machine)."""
    with _locked(wait=600) as held:
        if not held:
            pytest.fail(f"another test run held {LOCK} for 10 minutes", pytrace=False)
        if _state(client) == "active" and _ours(client):
            _leave(client, had_gwbridge=False)
        if _state(client) != "inactive":
            pytest.fail(
                "the test engine is already part of a swarm that planoai's tests did not create; the swarm "
                "test will not change it (docker swarm leave --force, if it is yours)",
                pytrace=False,
            )
        had_gwbridge = bool(client.networks.list(names=[GWBRIDGE]))
        client.swarm.init(
            advertise_addr="127.0.0.1", listen_addr=f"127.0.0.1:{listen_port}", data_path_addr="127.0.0.1"
        )
        try:
            (node,) = client.nodes.list()
            spec = node.attrs["Spec"]
            node.update({**spec, "Labels": {**(spec.get("Labels") or {}), NODE_LABEL: str(os.getpid())}})
            yield
        finally:
            _leave(client, had_gwbridge)
