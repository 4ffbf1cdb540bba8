"""Health stage: poll every listener's /healthz against one monotonic deadline; one bounded GET for documents.

The only httpx user: `obs` fetches its pricing catalog through `download`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from planoai_cli.errors import HealthTimeout

if TYPE_CHECKING:
    import httpx

# httpx's package imports its own command-line tool (httpx._main, which loads rich and pygments: 30-60 ms of CPU)
# whenever click and rich are installed, as they are here. planoai never runs that tool, and `up` imports httpx
# while the gateway container boots on the same cores, so the import is left out: a missing module httpx handles.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Probe:
    """One URL that must answer 200, and what to call it in messages.

    `behind_proxy`: the URL reaches a service through Envoy, which answers 503 itself while it cannot connect; any
    answer below 500 then comes from the service, which is up even if its build lacks that route (a 404).
    """

    label: str
    url: str
    behind_proxy: bool = False

    def accepts(self, status: int) -> bool:
        return status == 200 or (self.behind_proxy and status < 500)


@dataclass(frozen=True)
class Observation:
    """The latest answer of a probe: an HTTP status, or the connection error."""

    probe: Probe
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and self.probe.accepts(self.status)

    def describe(self) -> str:
        if self.status is not None:
            return f"HTTP {self.status}"
        return self.error or "not tried yet"


@dataclass(frozen=True)
class HealthReport:
    """The final observations, how long the wait took, and how many rounds it needed."""

    observations: tuple[Observation, ...]
    elapsed: float
    rounds: int


def probe_once(client: httpx.Client, probe: Probe, timeout: float) -> Observation:
    """One GET with a hard timeout; transport errors become observations, never exceptions."""
    import httpx

    try:
        response = client.get(probe.url, timeout=httpx.Timeout(timeout))
    except httpx.TimeoutException:
        return Observation(probe, None, f"no answer within {timeout:.1f}s")
    except httpx.TransportError as e:
        return Observation(probe, None, _short(e))
    return Observation(probe, response.status_code, None)


def _short(error: httpx.TransportError) -> str:
    text = str(error) or type(error).__name__
    if "Connection refused" in text or "ConnectError" in type(error).__name__:
        return "connection refused" if "refused" in text.lower() else f"cannot connect ({text})"
    return text


def wait_healthy(
    probes: Sequence[Probe],
    *,
    timeout: float,
    check: Callable[[], None] = lambda: None,
    interval: float = 0.05,
    max_interval: float = 1.0,
    backoff: float = 1.5,
    request_timeout: float = 2.0,
    on_round: Callable[[tuple[Observation, ...]], None] | None = None,
    client: httpx.Client | None = None,
) -> HealthReport:
    """Wait until every probe answers 200, or raise HealthTimeout naming each one that did not.

    `check` runs at the start of every round (it raises when the container died, so the wait fails at
    once); the interval starts at `interval` and grows by `backoff` up to `max_interval`; no request
    outlives the deadline.
    """
    import httpx  # loaded here: a gateway's start, not the CLI's, is then what it waits for

    start = time.monotonic()
    deadline = start + timeout
    latest = {p: Observation(p, None, None) for p in probes}
    owned = client is None
    http = client or httpx.Client(trust_env=False, follow_redirects=False)
    rounds = 0
    try:
        while True:
            check()
            rounds += 1
            for probe in [p for p in probes if not latest[p].ok]:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                latest[probe] = probe_once(http, probe, min(request_timeout, remaining))
            observations = tuple(latest[p] for p in probes)
            if on_round is not None:
                on_round(observations)
            if all(o.ok for o in observations):
                return HealthReport(observations, time.monotonic() - start, rounds)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _timeout(observations, timeout)
            time.sleep(min(interval, remaining))
            interval = min(interval * backoff, max_interval)
    finally:
        if owned:
            http.close()


def _timeout(observations: tuple[Observation, ...], timeout: float) -> HealthTimeout:
    failing = [o for o in observations if not o.ok]
    lines = "\n".join(f"  {o.probe.label} ({o.probe.url}): {o.describe()}" for o in failing)
    error = HealthTimeout(
        f"not healthy after {timeout:g}s:\n{lines}",
        hint="see the log lines above; raise --wait-timeout if the gateway is just slow to start",
    )
    error.observations = observations
    return error


def probe_all(probes: Sequence[Probe], timeout: float) -> tuple[Observation, ...]:
    """One round over every probe, each bounded by `timeout` (for status reports)."""
    import httpx

    with httpx.Client(trust_env=False, follow_redirects=False) as client:
        return tuple(probe_once(client, probe, timeout) for probe in probes)


@dataclass(frozen=True)
class Download:
    """A fetched document, or why there is none (a transport error, a status, a size or time limit)."""

    url: str
    body: bytes | None
    error: str | None


def download(url: str, *, timeout: float, max_bytes: int = 64 << 20) -> Download:
    """GET `url` within `timeout` seconds in all (connect, answer and every chunk); failures are described."""
    import httpx

    deadline = time.monotonic() + timeout
    try:
        with (
            httpx.Client(follow_redirects=True, timeout=httpx.Timeout(timeout)) as client,
            client.stream("GET", url, headers={"Accept": "application/json"}) as response,
        ):
            if response.status_code != 200:
                return Download(url, None, f"HTTP {response.status_code}")
            return _read_body(response, url, deadline, max_bytes)
    except httpx.TimeoutException:
        return Download(url, None, f"no answer within {timeout:g}s")
    except httpx.TransportError as e:
        return Download(url, None, _short(e))
    except httpx.InvalidURL as e:
        return Download(url, None, f"invalid URL ({e})")


def _read_body(response: httpx.Response, url: str, deadline: float, max_bytes: int) -> Download:
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            return Download(url, None, f"larger than {max_bytes >> 20} MiB")
        if time.monotonic() > deadline:
            return Download(url, None, "the answer took longer than the time limit")
        chunks.append(chunk)
    return Download(url, b"".join(chunks), None)
