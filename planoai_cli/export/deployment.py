"""Export: the one value every target is built from, made once from the validated, rendered config (a pure step).

A `Deployment` holds what `planoai up` would run: the image, the listeners (port and health path), the variables the
rendered files reference (names only), the non-secret environment, the files the container reads (the two rendered
files, supervisord's config and the export's entrypoint), the config hash and the CLI version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from planoai_cli import __version__
from planoai_cli.contract import BRIGHTSTAFF_READY_PATH, DEFAULT_IMAGE
from planoai_cli.diagnostics import Diagnostic, Severity, at, sorted_diagnostics
from planoai_cli.loader import parse
from planoai_cli.pipeline import Validated, render_validated
from planoai_cli.project import project_name
from planoai_cli.render import ENVOY_FILE, PLANO_CONFIG_FILE, Rendered
from planoai_cli.resources import data_dir

# The container layout `planoai up` uses (gateway/spec.py; importing it would load the Docker SDK).
RENDERED_DIR = "/etc/plano/rendered"
SUPERVISOR_DIR = "/etc/plano/supervisord"
RUN_DIR = "/run/plano"
SUPERVISOR_FILES = ("supervisord.conf", "component.sh", "stop-on-exit.sh", "start.sh", "wake.conf", "wake.py")
ENTRYPOINT_FILE = "entrypoint.py"
ENTRYPOINT = ("python3", f"{SUPERVISOR_DIR}/{ENTRYPOINT_FILE}")
# Every listener's health path and Brightstaff behind the model listener, in one check, as `up` judges them: a
# listener must answer 2xx; Brightstaff any status below 500 (Envoy's own 503 means it is not listening yet); no
# answer within 2 s fails.
HEALTH_SCRIPT = (
    "import sys, urllib.request as r, urllib.error as e\n"
    "for u in sys.argv[1:]:\n"
    "    try:\n"
    "        r.urlopen(u, timeout=2).close()\n"
    "    except e.HTTPError as x:\n"
    f"        if x.code >= 500 or not u.endswith('{BRIGHTSTAFF_READY_PATH}'):\n"
    "            raise\n"
)
# Docker labels: the names `up` gives its container's hash and version (runtime/container.py), and the export's own.
LABEL_CONFIG_HASH = "org.planoai.config-hash"
LABEL_CLI_VERSION = "org.planoai.cli-version"
LABEL_EXPORT = "org.planoai.export"
LABEL_PROJECT = "org.planoai.export.project"
STATE_CODE = "export.memory-state"


@dataclass(frozen=True)
class ExportOptions:
    """What the export command was asked for besides the config."""

    project: str | None = None
    image: str = DEFAULT_IMAGE
    log_level: str = "info"
    publish: tuple[str, ...] = ("127.0.0.1",)  # compose: host addresses the listeners are published on
    replicas: int = 2  # swarm and Kubernetes
    helm: bool = False  # Kubernetes: a chart instead of manifests


@dataclass(frozen=True)
class Listener:
    """A port clients use, and the path that answers 200 when it is healthy."""

    name: str
    type: str
    port: int
    health_path: str

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.health_path}"


@dataclass(frozen=True)
class Deployment:
    """Everything a target needs; secrets appear by name only."""

    project: str
    source: str  # the config file's name, for the files' headers
    image: str
    log_level: str
    replicas: int
    listeners: tuple[Listener, ...]
    required: tuple[str, ...]  # variables the config references (a gateway without them is refused by `up`)
    optional: tuple[str, ...]  # variables the render adds (e.g. CHATGPT_ACCOUNT_ID): substituted when set
    environment: Mapping[str, str]  # the non-secret environment, in order
    rendered: Mapping[str, str]  # file name → text, mounted at RENDERED_DIR
    supervisor: Mapping[str, str]  # file name → text, mounted at SUPERVISOR_DIR
    config_hash: str  # as `up` labels its container
    cli_version: str
    findings: tuple[Diagnostic, ...]  # the config's warnings and notices, the render's notices, the export's own

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(sorted((*self.required, *self.optional)))

    @property
    def health_urls(self) -> tuple[str, ...]:
        """Every listener's health URL, then Brightstaff's through the model listener (as `up` waits for them)."""
        model = self.model_listener()
        brightstaff = (f"http://127.0.0.1:{model.port}{BRIGHTSTAFF_READY_PATH}",) if model is not None else ()
        return (*(li.health_url for li in self.listeners), *brightstaff)

    @property
    def health_command(self) -> tuple[str, ...]:
        return ("python3", "-c", HEALTH_SCRIPT, *self.health_urls)

    @property
    def files_digest(self) -> str:
        """sha256 of every file the container reads, so any change to them rolls the gateway."""
        digest = hashlib.sha256()
        for folder, files in ((RENDERED_DIR, self.rendered), (SUPERVISOR_DIR, self.supervisor)):
            for name, text in files.items():
                digest.update(f"{folder}/{name}\0{text}\0".encode())
        return digest.hexdigest()

    def model_listener(self) -> Listener | None:
        return next((li for li in self.listeners if li.type == "model"), None)


def build(validated: Validated, options: ExportOptions) -> Deployment:
    """The deployment for a validated config; raises RenderError when the render fails."""
    prepared = render_validated(validated)
    rendered = prepared.rendered
    required = tuple(sorted({ref.name for ref in validated.config.secrets}))
    optional = tuple(name for name in _referenced(rendered) if name not in required)
    findings = (*validated.findings, *rendered.notices, *_state_warning(validated, options.replicas))
    return Deployment(
        project=project_name(options.project, validated.raw.path),
        source=validated.raw.path.name,
        image=options.image,
        log_level=options.log_level,
        replicas=options.replicas,
        listeners=tuple(Listener(p.name, p.type, p.port, p.health_path) for p in rendered.listener_ports),
        required=required,
        optional=optional,
        environment=MappingProxyType(environment(rendered, options.log_level)),
        rendered=rendered.files(),
        supervisor=MappingProxyType(supervisor_files()),
        config_hash=prepared.config_hash,
        cli_version=__version__,
        findings=sorted_diagnostics(findings),
    )


def environment(rendered: Rendered, log_level: str) -> dict[str, str]:
    """`up`'s environment without the keys (gateway.spec.environment with no values; a test keeps them equal)."""
    env = {
        "PLANO_ENVOY_VARS": _shell_format(rendered.env_vars.get(ENVOY_FILE, ())),
        "PLANO_CONFIG_VARS": _shell_format(rendered.env_vars.get(PLANO_CONFIG_FILE, ())),
        "LOG_LEVEL": log_level,
    }
    tracing = parse(rendered.plano_config, PLANO_CONFIG_FILE).get("tracing")
    endpoint = tracing.get("opentracing_grpc_endpoint") if isinstance(tracing, dict) else None
    if isinstance(endpoint, str) and "$" not in endpoint:
        env["OTEL_TRACING_GRPC_ENDPOINT"] = endpoint
    return env


def supervisor_files() -> dict[str, str]:
    """supervisord's config and helpers as shipped, then the export's entrypoint."""
    folder = data_dir("supervisord")
    files = {name: (folder / name).read_text(encoding="utf-8") for name in SUPERVISOR_FILES}
    files[ENTRYPOINT_FILE] = (Path(__file__).parent / ENTRYPOINT_FILE).read_text(encoding="utf-8")
    return files


def _referenced(rendered: Rendered) -> list[str]:
    return sorted({name for names in rendered.env_vars.values() for name in names})


def _shell_format(names: tuple[str, ...]) -> str:
    return " ".join(f"${name}" for name in names)


def _state_warning(validated: Validated, replicas: int) -> tuple[Diagnostic, ...]:
    state = validated.config.state_storage
    if state is None or state.type != "memory" or replicas < 2:
        return ()
    message = (
        f"state_storage is 'memory': each of the {replicas} replicas keeps its own conversations, so a "
        "client continuing one (previous_response_id) may reach a replica that never saw it"
    )
    return (
        at(
            Severity.WARNING,
            STATE_CODE,
            message,
            state.where("type"),
            "use state_storage type 'postgres' (shared by every replica), or --replicas 1",
        ),
    )
