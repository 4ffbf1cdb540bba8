"""The host's address on the Docker bridge: each step of the lookup, and the real engine's answer."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from docker.client import DockerClient

from planoai_cli.errors import DockerUnavailable
from planoai_cli.runtime.bridge import _host_gateway, from_network, interface_address, is_local
from planoai_cli.runtime.engine import session
from tests.dockerfix import REPO

# What dockerd 20.10 reports for its default bridge when it created it on first start: no Gateway key.
FRESH: dict[str, Any] = {
    "Name": "bridge",
    "IPAM": {"Driver": "default", "Options": None, "Config": [{"Subnet": "172.17.0.0/16"}]},
    "Options": {"com.docker.network.bridge.name": "lo"},
}


def test_ipam_gateway_when_the_engine_records_one() -> None:
    attrs = {**FRESH, "IPAM": {"Config": [{"Subnet": "10.9.0.0/16", "Gateway": "10.9.0.1"}]}}
    found = from_network(attrs, None)
    assert (found.address, found.source) == ("10.9.0.1", "the IPAM gateway of network bridge")
    assert not found.local  # no interface of this machine carries 10.9.0.1


def test_ipv6_gateways_are_skipped_for_the_ipv4_one() -> None:
    attrs = {
        **FRESH,
        "IPAM": {
            "Config": [{"Subnet": "fd00::/64", "Gateway": "fd00::1"}, {"Subnet": "127.0.0.0/8", "Gateway": "127.0.0.1"}]
        },
    }
    assert from_network(attrs, None).address == "127.0.0.1"


def test_no_gateway_falls_back_to_the_bridge_interface() -> None:
    # The interface is named by the network's options; `lo` stands in for docker0 on any machine.
    found = from_network(FRESH, None)
    assert (found.address, found.source, found.local) == ("127.0.0.1", "the address of interface lo", True)


def test_then_to_what_a_container_resolves() -> None:
    attrs = {**FRESH, "Options": {"com.docker.network.bridge.name": "no-such-if0"}}
    found = from_network(attrs, lambda tried: "127.0.0.1")
    assert (found.address, found.source) == ("127.0.0.1", "what host-gateway resolves to in a container")


def test_nothing_found_says_what_was_tried() -> None:
    attrs = {**FRESH, "Options": {"com.docker.network.bridge.name": "no-such-if0"}}

    def probe(tried: list[str]) -> None:
        tried.append("a probe container of x failed (no such image)")

    with pytest.raises(DockerUnavailable) as raised:
        from_network(attrs, probe)
    assert raised.value.message == (
        "cannot find this machine's address on the Docker bridge: the bridge network records no IPAM gateway; "
        "interface no-such-if0 has no IPv4 address on this machine; a probe container of x failed (no such image)"
    )
    assert "docker network inspect bridge" in str(raised.value.hint)


def test_interface_addresses() -> None:
    assert interface_address("lo") == "127.0.0.1"
    assert interface_address("no-such-if0") is None
    assert interface_address("x" * 20) is None  # longer than the kernel's IFNAMSIZ
    assert is_local("127.0.0.1")
    assert not is_local("192.0.2.1")  # TEST-NET-1: never assigned


def test_the_engine_answer_is_docker0_and_what_containers_resolve(
    docker_client: DockerClient, testbed_image: str
) -> None:
    with session() as engine:
        found = engine.host_address(testbed_image)
    assert found.local
    # Whichever step answered, a container must resolve host.docker.internal to the same address.
    assert _host_gateway(docker_client, testbed_image, []) == found.address


def test_host_gateway_of_a_missing_image_says_so(docker_client: DockerClient) -> None:
    tried: list[str] = []
    assert _host_gateway(docker_client, "planoai-no-such-image:0", tried) is None
    assert tried == ["image planoai-no-such-image:0 is not present to ask a container"]


def test_script_entry_point_prints_the_address(docker_client: DockerClient, testbed_image: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "planoai_cli.runtime.bridge", "--probe-image", testbed_image],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with session() as engine:
        assert result.stdout == engine.host_address().address + "\n"


def test_mock_provider_script_refuses_every_interface() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "mock_provider.py"), "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "binds every interface" in result.stderr
