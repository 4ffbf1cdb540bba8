"""Where a gateway's ports are published, as its endpoints label records it (one codec for writing and reading).

The label lets `status`, `wait` and `logs` work without the config. Its JSON keeps `bind` (the first address, the
only one before 0.2) so containers started by an older planoai still read; `addresses` lists every host address
the listener ports are published on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from planoai_cli.contract import BRIGHTSTAFF_READY_PATH
from planoai_cli.errors import PlanoError
from planoai_cli.health import Probe
from planoai_cli.runtime.container import ENDPOINTS

LOOPBACK = "127.0.0.1"
CONTAINER_HOST = "host.docker.internal"  # how containers on this host name it (mapped to host-gateway)


def is_wildcard(bind: str) -> bool:
    """True for an address that publishes on every interface."""
    return bind in ("0.0.0.0", "::", "")


def client_host(bind: str) -> str:
    """The address a client on this machine uses for a port published on `bind`."""
    return LOOPBACK if is_wildcard(bind) else bind


@dataclass(frozen=True)
class Listener:
    """A published listener port and the path that answers 200 when it is healthy."""

    name: str
    type: str  # model, prompt, agent, or internal (the 12001 LLM hop, published on request)
    port: int
    health: str = "/healthz"


@dataclass(frozen=True)
class Endpoint:
    """A listener clients can use: the URL from this machine, and every published URL."""

    name: str
    type: str
    url: str
    urls: tuple[str, ...] = ()
    container_url: str | None = None  # from other containers on this host (published on the bridge)


@dataclass(frozen=True)
class Layout:
    """Every host address the listeners are published on (the first is for clients here), the admin port."""

    addresses: tuple[str, ...]
    admin_port: int | None
    listeners: tuple[Listener, ...]

    @property
    def bind(self) -> str:
        return self.addresses[0]

    @property
    def host(self) -> str:
        return client_host(self.bind)

    @property
    def bridge(self) -> str | None:
        """The Docker bridge address the listeners are also published on, if any."""
        return self.addresses[1] if len(self.addresses) > 1 else None

    @property
    def reaches_containers(self) -> bool:
        """Containers on this host reach the ports via host.docker.internal (bridge or every interface)."""
        return self.bridge is not None or is_wildcard(self.bind)

    def endpoints(self) -> tuple[Endpoint, ...]:
        return tuple(
            Endpoint(
                li.name,
                li.type,
                f"http://{self.host}:{li.port}",
                tuple(f"http://{client_host(a)}:{li.port}" for a in self.addresses),
                f"http://{CONTAINER_HOST}:{li.port}" if self.reaches_containers else None,
            )
            for li in self.listeners
        )

    def admin_url(self) -> str | None:
        return f"http://{self.host}:{self.admin_port}" if self.admin_port is not None else None

    def listener_probes(self) -> list[Probe]:
        return [
            Probe(f"{li.type} listener {li.name}", f"http://{self.host}:{li.port}{li.health}") for li in self.listeners
        ]

    def model_listener(self) -> Listener | None:
        return next((li for li in self.listeners if li.type == "model"), None)

    def brightstaff_probe(self) -> Probe | None:
        """Brightstaff through the model listener: Envoy answers /healthz without it, so a start that waits on the
        listeners alone can report healthy while every request still gets a 503."""
        model = self.model_listener()
        if model is None:
            return None
        return Probe(
            f"brightstaff (through model listener {model.name})",
            f"http://{self.host}:{model.port}{BRIGHTSTAFF_READY_PATH}",
            behind_proxy=True,
        )

    def probes(self) -> list[Probe]:
        """What must answer before the gateway serves (Probe.accepts): every listener, then Brightstaff behind them."""
        brightstaff = self.brightstaff_probe()
        return self.listener_probes() + ([brightstaff] if brightstaff is not None else [])


def encode(layout: Layout) -> str:
    listeners = [{"name": li.name, "type": li.type, "port": li.port, "health": li.health} for li in layout.listeners]
    return json.dumps(
        {
            "bind": layout.bind,
            "addresses": list(layout.addresses),
            "admin_port": layout.admin_port,
            "listeners": listeners,
        },
        sort_keys=True,
    )


def decode(labels: Mapping[str, str], container: str) -> Layout:
    """Parse the endpoints label; a container without a usable one cannot be checked or waited for."""
    try:
        data = json.loads(labels[ENDPOINTS])
        listeners = tuple(
            Listener(str(item["name"]), str(item["type"]), int(item["port"]), str(item.get("health", "/healthz")))
            for item in data["listeners"]
        )
        addresses = tuple(str(a) for a in data.get("addresses") or [data.get("bind", LOOPBACK)])
        admin = data.get("admin_port")
        return Layout(addresses or (LOOPBACK,), int(admin) if admin is not None else None, listeners)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise PlanoError(
            f"the container {container} does not record its endpoints ({ENDPOINTS})",
            hint="it was started by another tool or an older planoai; restart it with planoai up",
        ) from e
