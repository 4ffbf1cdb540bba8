"""The host's address on the default Docker bridge: where containers reach this machine (host.docker.internal).

One lookup shared by `up` (which publishes the listeners there), the tests and the quickstart. Engines differ in
what they report: dockerd 20.10 started for the first time records only the subnet in the bridge network's IPAM
config (no `Gateway`), although its interface (docker0) carries the address. So the lookup tries, in order:

1. the IPAM gateway of the `bridge` network, when the engine records one;
2. the IPv4 address of the bridge's interface on this machine (`com.docker.network.bridge.name`, else docker0);
3. what `host-gateway` resolves to inside a throw-away container (needs an image that is already present).

Run as `python -m planoai_cli.runtime.bridge [--probe-image IMAGE]` it prints the address (scripts use this).
"""

from __future__ import annotations

import errno
import fcntl
import ipaddress
import socket
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from docker.client import DockerClient
from docker.errors import DockerException, ImageNotFound

from planoai_cli.errors import DockerUnavailable

DEFAULT_INTERFACE = "docker0"
_SIOCGIFADDR = 0x8915  # Linux ioctl: the IPv4 address of an interface
PROBE_LABEL = "org.planoai.bridge-probe"


@dataclass(frozen=True)
class BridgeAddress:
    """An address of this machine as containers on the default bridge see it, and how it was found."""

    address: str
    source: str  # e.g. "the IPAM gateway of network bridge"
    local: bool  # assigned to an interface of this machine, so ports can be published on it

    def describe(self) -> str:
        where = "" if self.local else " (not an address of this machine: the engine runs elsewhere)"
        return f"{self.address}, {self.source}{where}"


def host_address(client: DockerClient, probe_image: str | None = None) -> BridgeAddress:
    """The host's address on the default bridge; DockerUnavailable says what was tried when nothing answers."""
    try:
        attrs = client.networks.get("bridge").attrs
    except DockerException as e:
        raise DockerUnavailable(
            f"cannot inspect the engine's default bridge network: {e}",
            hint="check that the engine runs with its default bridge (dockerd --bridge=none disables it)",
        ) from e
    probe = None if probe_image is None else (lambda tried: _host_gateway(client, probe_image, tried))
    return from_network(attrs, probe)


Probe = Callable[[list[str]], "str | None"]


def from_network(attrs: dict[str, Any], probe: Probe | None) -> BridgeAddress:
    """The lookup itself, from the bridge network's inspect data; `probe` asks a container as the last resort."""
    tried: list[str] = []
    gateway = _ipam_gateway(attrs)
    if gateway is not None:
        return BridgeAddress(gateway, "the IPAM gateway of network bridge", is_local(gateway))
    tried.append("the bridge network records no IPAM gateway")
    interface = _interface_name(attrs)
    found = interface_address(interface)
    if found is not None:
        return BridgeAddress(found, f"the address of interface {interface}", True)
    tried.append(f"interface {interface} has no IPv4 address on this machine")
    if probe is None:
        tried.append("no image was given to ask a container what host-gateway resolves to")
    else:
        resolved = probe(tried)
        if resolved is not None:
            return BridgeAddress(resolved, "what host-gateway resolves to in a container", is_local(resolved))
    raise DockerUnavailable(
        "cannot find this machine's address on the Docker bridge: " + "; ".join(tried),
        hint="check `docker network inspect bridge` and `ip addr show docker0`; the engine's "
        "default bridge must exist and carry an IPv4 address",
    )


def _ipam_gateway(attrs: dict[str, Any]) -> str | None:
    ipam = attrs.get("IPAM")
    configs = ipam.get("Config") if isinstance(ipam, dict) else None
    for config in configs if isinstance(configs, list) else []:
        value = config.get("Gateway") if isinstance(config, dict) else None
        if isinstance(value, str) and _ipv4(value):
            return value.split("/", maxsplit=1)[0]
    return None


def _interface_name(attrs: dict[str, Any]) -> str:
    options = attrs.get("Options")
    name = options.get("com.docker.network.bridge.name") if isinstance(options, dict) else None
    return name if isinstance(name, str) and name else DEFAULT_INTERFACE


def _ipv4(value: str) -> bool:
    try:
        return ipaddress.ip_address(value.split("/", maxsplit=1)[0]).version == 4
    except ValueError:
        return False


def interface_address(name: str) -> str | None:
    """The IPv4 address of a network interface of this machine, or None (no such interface, or no address)."""
    if sys.platform != "linux" or not name or len(name) >= 16:
        return None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            raw = fcntl.ioctl(s.fileno(), _SIOCGIFADDR, struct.pack("256s", name.encode()))
        except OSError:
            return None
    return socket.inet_ntoa(raw[20:24])


def is_local(address: str) -> bool:
    """True when `address` belongs to this machine (a socket can be bound to it, or already is)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((address, 0))
        except OSError as e:
            return e.errno == errno.EADDRINUSE
    return True


def _host_gateway(client: DockerClient, image: str, tried: list[str]) -> str | None:
    # A container with `host-gateway` mapped reads the engine's own answer from /etc/hosts; it runs for a
    # fraction of a second and is removed even when it fails. Never pulled: run() would pull a missing image.
    try:
        client.images.get(image)
        output = client.containers.run(
            image,
            entrypoint=["cat", "/etc/hosts"],
            command=[],
            remove=True,
            network_mode="bridge",
            extra_hosts={"host.docker.internal": "host-gateway"},
            labels={PROBE_LABEL: "1"},
            stdout=True,
            stderr=False,
        )
    except ImageNotFound:
        tried.append(f"image {image} is not present to ask a container")
        return None
    except DockerException as e:
        tried.append(f"a probe container of {image} failed ({str(e).splitlines()[0][:160]})")
        return None
    text = output.decode("utf-8", "replace") if isinstance(output, bytes) else str(output)
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and "host.docker.internal" in fields[1:] and _ipv4(fields[0]):
            return fields[0]
    tried.append("host-gateway did not resolve to an IPv4 address in a container")
    return None


def main(argv: list[str] | None = None) -> int:
    """Print the address for shell scripts; exit 1 with the reason when it cannot be found.

    A script entry point, not a command: the CLI's console is not needed to print one line.
    """
    import argparse

    from planoai_cli.runtime.engine import session

    parser = argparse.ArgumentParser(prog="python -m planoai_cli.runtime.bridge", description=__doc__.splitlines()[0])
    parser.add_argument("--probe-image", default=None, help="an image present on the engine, for the last resort")
    parser.add_argument("--verbose", action="store_true", help="also say how the address was found (stderr)")
    args = parser.parse_args(argv)
    try:
        with session() as engine:
            found = engine.host_address(args.probe_image)
    except DockerUnavailable as e:
        sys.stderr.write(f"error: {e.message}\n" + (f"hint: {e.hint}\n" if e.hint else ""))
        return 1
    if args.verbose:
        sys.stderr.write(f"bridge address: {found.describe()}\n")
    sys.stdout.write(found.address + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
