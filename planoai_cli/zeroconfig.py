"""Zero-config: with no config file, synthesize a pass-through gateway config from the provider keys at hand.

`planoai up` (and `cli-agent`) with no FILE and no config in `--path` detect provider keys in the shell and in
`<path>/.env` (the shell wins, as for every key), and write a config with one wildcard provider per key found
(`openai/*` with `access_key: $OPENAI_API_KEY`, …) and one model listener. Clients pick a provider by model
prefix: `openai/gpt-4o`, `anthropic/claude-…`. The file is rewritten on every zero-config start; it only ever
holds variable *names*. An explicit FILE that does not exist is an error, never a reason to fall back.

With no key at all, `up` still starts: every known provider is set up with `passthrough_auth: true`, so each
client's own credential (its Authorization header) goes to the provider its model prefix names. Where a provider
was asked for explicitly (`cli-agent` needs its agent's provider), no key stays an error (exit 3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from planoai_cli.contract import DEFAULT_MODEL_PORT
from planoai_cli.errors import ConfigError, UsageError
from planoai_cli.gateway.options import Target
from planoai_cli.keys import ENVIRONMENT, read_dotenv
from planoai_cli.loader import CONFIG_NAMES
from planoai_cli.project import project_name

FILE_NAME = "zero-config.yaml"
LISTENER_NAME = "llm"


@dataclass(frozen=True)
class KnownProvider:
    """A provider zero-config can set up: its prefix, the key variables it reads (first set wins), its URL."""

    prefix: str
    variables: tuple[str, ...]
    base_url: str | None = None  # only for prefixes without a built-in upstream


# The order of the generated file. Prefixes with a built-in upstream need no base_url.
PROVIDERS: tuple[KnownProvider, ...] = (
    KnownProvider("openai", ("OPENAI_API_KEY",)),
    KnownProvider("anthropic", ("ANTHROPIC_API_KEY",)),
    KnownProvider("gemini", ("GEMINI_API_KEY", "GOOGLE_API_KEY")),
    KnownProvider("groq", ("GROQ_API_KEY",)),
    KnownProvider("mistral", ("MISTRAL_API_KEY",)),
    KnownProvider("deepseek", ("DEEPSEEK_API_KEY",)),
    KnownProvider("xai", ("XAI_API_KEY",)),
    KnownProvider("together_ai", ("TOGETHER_API_KEY",)),
    KnownProvider("moonshotai", ("MOONSHOT_API_KEY",)),
    KnownProvider("zhipu", ("ZHIPUAI_API_KEY",)),
    KnownProvider("digitalocean", ("DO_API_KEY",)),
    KnownProvider("openrouter", ("OPENROUTER_API_KEY",), "https://openrouter.ai/api/v1"),
    KnownProvider("vercel", ("AI_GATEWAY_API_KEY",), "https://ai-gateway.vercel.sh/v1"),
    KnownProvider("edenai", ("EDENAI_API_KEY",), "https://api.edenai.run/v3"),
)
VARIABLES: tuple[str, ...] = tuple(v for p in PROVIDERS for v in p.variables)


@dataclass(frozen=True)
class Found:
    """A provider whose key is set: which variable, and where it was found (`environment` or a `.env` path)."""

    provider: KnownProvider
    variable: str
    origin: str


@dataclass(frozen=True)
class ZeroConfig:
    """The synthesized config: its text, where it goes, and what it was built from."""

    path: Path
    text: str
    found: tuple[Found, ...]
    port: int
    search_dir: Path
    passthrough: bool = False  # no key found: every known provider forwards the client's own credential
    backup: Path | None = None  # where `write` kept a hand-edited file it replaced


@dataclass(frozen=True)
class Resolution:
    """What `up` runs with: the target (pointing at the zero-config file if one was made) and the key lookup env."""

    target: Target
    environment: dict[str, str]
    zero: ZeroConfig | None


def config_path(env: Mapping[str, str]) -> Path:
    """`$XDG_CONFIG_HOME/planoai/zero-config.yaml`, else `~/.config/planoai/zero-config.yaml`."""
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "planoai" / FILE_NAME


def applies(target: Target) -> bool:
    """Zero-config is for `up` with no FILE, in an existing folder that holds no config."""
    if target.file is not None or not target.search_dir.is_dir():
        return False  # an explicit FILE (even a missing one) and a bad --path are errors, reported by discovery
    return not any((target.search_dir / name).is_file() for name in CONFIG_NAMES)


def detect(env: Mapping[str, str], dotenv_path: Path) -> tuple[Found, ...]:
    """Providers with a non-empty key, in the shell first, then in `.env`."""
    dotenv = read_dotenv(dotenv_path)
    found = []
    for provider in PROVIDERS:
        for variable in provider.variables:
            if env.get(variable, "").strip():
                found.append(Found(provider, variable, ENVIRONMENT))
                break
            if dotenv.get(variable, "").strip():
                found.append(Found(provider, variable, str(dotenv_path)))
                break
    return tuple(found)


def synthesize(
    env: Mapping[str, str], search_dir: Path, port: int = DEFAULT_MODEL_PORT, *, passthrough: bool = False
) -> ZeroConfig:
    """Build (not write) the zero-config for `search_dir`.

    With no key found: a pass-through config when `passthrough`, else a ConfigError listing the variables.
    """
    dotenv_path = search_dir.resolve() / ".env"
    found = detect(env, dotenv_path)
    if not found and passthrough:
        folder = search_dir.resolve()
        return ZeroConfig(config_path(env), passthrough_text(port, folder), (), port, folder, passthrough=True)
    if not found:
        raise ConfigError(
            f"no config found in {search_dir.resolve()} (looked for {', '.join(CONFIG_NAMES)}), and no provider key "
            f"to build one from in the environment or {dotenv_path}",
            hint=f"set one of {', '.join(VARIABLES)} (in the shell or .env), or write a config: planoai init",
        )
    folder = search_dir.resolve()
    return ZeroConfig(config_path(env), render_text(found, port, folder), found, port, folder)


def render_text(found: tuple[Found, ...], port: int, search_dir: Path) -> str:
    """The YAML text; written by hand because it is tiny and its comments explain it."""
    names = ", ".join(f.variable for f in found)
    about = (
        f"# One wildcard provider per key found: {names}.",
        f"# Clients choose the provider by the model's prefix, e.g. `{found[0].provider.prefix}/<model id>`.",
        "# To customize, copy this file into your project as config.yaml and edit it.",
    )
    return _document(search_dir, about, port, [(f.provider, f"access_key: ${f.variable}") for f in found])


def passthrough_text(port: int, search_dir: Path) -> str:
    """Every known provider, forwarding the client's own key: what runs when no key was found."""
    about = (
        "# No provider key was found, so this is a pass-through gateway: each request's own credential (its",
        "# Authorization header) is forwarded to the provider its model prefix names, e.g. `openai/gpt-4o`.",
        "# Set a key (e.g. OPENAI_API_KEY in the shell or .env) to have the gateway send it instead.",
    )
    return _document(search_dir, about, port, [(p, "passthrough_auth: true") for p in PROVIDERS])


def _document(search_dir: Path, about: tuple[str, ...], port: int, providers: list[tuple[KnownProvider, str]]) -> str:
    folder = str(search_dir).replace("\n", " ")
    lines = [
        f"# Zero-config, written by planoai because {folder} has no config; rewritten on every zero-config start.",
        *about,
        "version: v0.4.0",
        "",
        "listeners:",
        f"  - name: {LISTENER_NAME}",
        "    type: model",
        f"    port: {port}",
        "",
        "model_providers:",
    ]
    for provider, credential in providers:
        lines.append(f"  - model: {provider.prefix}/*")
        if provider.base_url:
            lines.append(f"    base_url: {provider.base_url}")
        lines.append(f"    {credential}")
    return "\n".join(lines) + "\n"


def write(zero: ZeroConfig) -> ZeroConfig:
    """Write the file atomically (a reader never sees half a file); returns `zero` with `backup` set when the
    file there was not planoai's last zero-config (edited by hand) and was kept aside first. Raises PlanoError."""
    from planoai_cli.fs import write_generated

    (written,) = write_generated(
        zero.path.parent,
        {zero.path.name: zero.text},
        hint="set XDG_CONFIG_HOME to a writable folder, or pass a config file",
    )
    return replace(zero, backup=written.backup)


def key_environment(found: tuple[Found, ...], env: Mapping[str, str]) -> dict[str, str]:
    """The shell plus the keys found in `.env` (the zero-config file lives elsewhere, so `up` would miss them)."""
    merged = dict(env)
    for item in found:
        if item.origin != ENVIRONMENT and item.variable not in env:
            merged[item.variable] = read_dotenv(Path(item.origin))[item.variable]
    return merged


def resolve(
    target: Target, env: Mapping[str, str], listener_port: int | None, *, write_file: bool, passthrough: bool = False
) -> Resolution:
    """The config `up` should run: the user's, or a synthesized zero-config (written when `write_file`).

    `passthrough`: with no key found, run a pass-through gateway rather than fail (nothing specific was asked for).
    """
    if not applies(target):
        if listener_port is not None:
            raise UsageError(
                "--listener-port only applies to zero-config (no config file found)",
                hint="set the model listener's port in the config file instead",
            )
        return Resolution(target, dict(env), None)
    zero = synthesize(env, target.search_dir, listener_port or DEFAULT_MODEL_PORT, passthrough=passthrough)
    if write_file:
        zero = write(zero)
    # The project is named after --path's folder, as down/status/logs name it when they find no config there.
    project = target.project or project_name(None, target.search_dir.resolve() / "config.yaml")
    return Resolution(replace(target, file=zero.path, project=project), key_environment(zero.found, env), zero)
