"""`planoai up`: validate, render, resolve keys, start the container, and wait until every listener is healthy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from planoai_cli.errors import ContainerFailed, HealthTimeout, PlanoError
from planoai_cli.gateway.alive import alive_check, log_excerpt, what_happened
from planoai_cli.gateway.options import Target, UpOptions
from planoai_cli.gateway.progress import Reporter, Timings
from planoai_cli.gateway.spec import container_spec
from planoai_cli.health import Probe, wait_healthy
from planoai_cli.keys import require, resolve
from planoai_cli.logs import failed_component
from planoai_cli.pipeline import Validated, validate_file
from planoai_cli.project import project_name, state_dir
from planoai_cli.render import Rendered, render, write_files
from planoai_cli.resources import data_dir
from planoai_cli.runtime.container import PROJECT, ContainerSpec, Handle, all_handles, create_handle, find_handle
from planoai_cli.runtime.engine import Engine, connect
from planoai_cli.runtime.image import ensure_image
from planoai_cli.runtime.ports import Binding, check_free


@dataclass(frozen=True)
class Endpoint:
    """A listener clients can use, as reached from this machine."""

    name: str
    type: str
    url: str


@dataclass(frozen=True)
class Running:
    """A healthy gateway: where it is, what it runs, and how long each phase took."""

    project: str
    container: str
    container_id: str
    image: str
    config_file: str
    endpoints: tuple[Endpoint, ...]
    admin_url: str
    replaced: bool
    phases: tuple[tuple[str, float], ...]
    bind: str = "127.0.0.1"  # the host address the ports are published on
    foreground: bool = False  # logs stream next, and Ctrl-C stops the gateway


def client_host(bind: str) -> str:
    """The address a client on this machine uses for a port published on `bind`."""
    return "127.0.0.1" if bind in ("0.0.0.0", "::", "") else bind


def up(target: Target, options: UpOptions, reporter: Reporter,
       on_healthy: Callable[[Running], None] = lambda _running: None) -> Running:
    """Start (or replace) the project's gateway and return once it is healthy; nothing is left behind on failure.

    `on_healthy` runs as soon as every listener answers; with `options.foreground` the logs then stream until
    Ctrl-C (or until the gateway exits), and the container is removed.
    """
    timings = Timings()
    with timings.phase(reporter, "validate"):
        validated = validate_file(target.file, target.search_dir)
    reporter.findings(validated.raw.source, validated.findings)
    with timings.phase(reporter, "render"):
        rendered = render(validated.config)
    reporter.findings(validated.raw.source, rendered.notices)
    project = project_name(target.project, validated.raw.path)
    values = _keys(validated, options)
    with timings.phase(reporter, "docker"):
        engine = connect(options.environment)
    try:
        with timings.phase(reporter, "image"):
            ensure_image(engine.client, options.image, options.pull, reporter.pull)
        existing = find_handle(engine.client, project)
        _check_ports(engine, rendered, options, existing)
        files_dir = state_dir(project, options.environment) / "rendered"
        write_files(rendered.files(), files_dir)
        if existing is not None:
            with timings.phase(reporter, "replace"):
                existing.remove(timeout=10)
        spec = container_spec(project, validated.raw.path, rendered, values=values, options=options,
                              files_dir=files_dir, supervisor_dir=data_dir("supervisord"))
        handle = _start_and_wait(engine, spec, rendered, options, reporter=reporter, timings=timings)
        host = client_host(options.bind)
        running = Running(project, handle.name, handle.short_id, options.image, str(validated.raw.path.resolve()),
                          tuple(Endpoint(p.name, p.type, f"http://{host}:{p.port}") for p in rendered.listener_ports),
                          f"http://{host}:{options.admin_port}", existing is not None, tuple(timings.phases),
                          options.bind, options.foreground)
        on_healthy(running)
        if options.foreground:
            follow_then_remove(handle, reporter)
        return running
    finally:
        engine.close()


def _keys(validated: Validated, options: UpOptions) -> dict[str, str]:
    dotenv = validated.raw.path.parent / ".env"
    keys = resolve(validated.config.secrets, options.environment, dotenv)
    require(keys, dotenv)
    return dict(keys.values)


def _check_ports(engine: Engine, rendered: Rendered, options: UpOptions, existing: Handle | None) -> None:
    """Every port free before anything starts; ports of the container being replaced do not count."""
    replaced = existing.published_ports() if existing is not None else set()
    wanted = [Binding(options.bind, p.port, f"listener {p.name}") for p in rendered.listener_ports]
    wanted.append(Binding(options.bind, options.admin_port, "Envoy admin"))
    holders = {port: _holder(h) for h in all_handles(engine.client) if h.state().running
               for port in h.published_ports()}
    check_free([b for b in wanted if b.port not in replaced], holders)


def _holder(handle: Handle) -> str:
    project = handle.labels.get(PROJECT, "?")
    return f"container {handle.name} (project {project}; planoai down --project-name {project} stops it)"


def _start_and_wait(engine: Engine, spec: ContainerSpec, rendered: Rendered, options: UpOptions, *,
                    reporter: Reporter, timings: Timings) -> Handle:
    """Create, start and wait; on any failure (Ctrl-C included) the new container is removed."""
    handle: Handle | None = None
    try:
        with timings.phase(reporter, "start"):
            handle = create_handle(engine.client, spec)
            handle.start()
        _wait(handle, rendered, options, reporter, timings)
    except HealthTimeout as e:
        if handle is not None:
            e.message += "\n" + log_excerpt(handle)
        _cleanup(engine, spec, handle, options, e)
        raise
    except PlanoError as e:
        _cleanup(engine, spec, handle, options, e)
        raise
    except KeyboardInterrupt:
        _cleanup(engine, spec, handle, options)
        raise
    return handle


def _wait(handle: Handle, rendered: Rendered, options: UpOptions, reporter: Reporter, timings: Timings) -> None:
    probes = [Probe(f"{p.type} listener {p.name}", f"http://{client_host(options.bind)}:{p.port}{p.health_path}")
              for p in rendered.listener_ports]
    with timings.phase(reporter, "health"):
        wait_healthy(probes, timeout=options.wait_timeout, check=alive_check(handle, _hint(options)), max_interval=0.25,
                     on_round=reporter.health)


def _hint(options: UpOptions) -> str:
    # A removed container has no logs left, so only point at `planoai logs` when the container stays.
    if options.keep_on_failure:
        return "fix what the log lines above show (planoai logs shows all of them)"
    return "fix what the log lines above show (--keep-on-failure keeps the container for planoai logs)"


def _cleanup(engine: Engine, spec: ContainerSpec, handle: Handle | None, options: UpOptions,
             error: PlanoError | None = None) -> None:
    # Interrupted while the create request was in flight, the handle may be missing: find it by label.
    target = handle or find_handle(engine.client, spec.labels[PROJECT])
    if target is None:
        return
    if options.keep_on_failure:
        if error is not None:
            error.message += f"\nthe container {target.name} was kept for inspection (planoai logs, planoai down)"
        return
    try:
        target.remove(timeout=2)
    except PlanoError:
        return  # the original failure matters more than a failed cleanup
    if error is not None:
        error.message += f"\nthe container {target.name} was removed (--keep-on-failure keeps it)"


def follow_then_remove(handle: Handle, reporter: Reporter) -> None:
    """`--foreground`: stream the gateway's output until Ctrl-C (or until it exits), then remove it.

    A gateway that stops by itself is a failure (ContainerFailed, naming the component), not a clean exit.
    """
    try:
        for line in handle.log_lines(tail=0, follow=True):
            reporter.log_line(line)
    except KeyboardInterrupt:
        handle.remove(timeout=10)
        return  # the way to stop a foreground gateway; removal is the expected outcome
    try:
        state = handle.state()
        if state.running:
            return  # the engine closed the stream while the gateway ran: it ends with the command, as usual
        component = failed_component(list(handle.log_lines(tail=400)))  # read to the end: closes the stream
    finally:
        handle.remove(timeout=10)
    raise ContainerFailed(what_happened(state, component), hint="the log lines above show why")
