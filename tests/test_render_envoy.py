"""The validation copy, the real Envoy's verdict (it can say no), template errors and writing the files."""

from __future__ import annotations

import dataclasses
import os
import re
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import jinja2
import pytest

from planoai_cli.envoy import find_envoy, standin_wasm, validate_config
from planoai_cli.errors import PlanoError, RenderError
from planoai_cli.model import PlanoConfig
from planoai_cli.pipeline import raw_from_text, validate_file, validate_raw
from planoai_cli.render import check_with_envoy, render, validation_paths, write_files
from planoai_cli.render.engine import environment, render_template
from planoai_cli.render.validation import host_ca_bundle

CONFIG = """\
version: v0.4.0
listeners:
  - name: llm
    type: model
    port: 12000
model_providers:
  - model: openai/gpt-4o
    access_key: $OPENAI_API_KEY
    default: true
overrides:
  upstream_tls_ca_path: /only/inside/the/container.pem
"""


def load(text: str) -> PlanoConfig:
    return validate_raw(raw_from_text(Path("config.yaml"), text)).config


def test_the_validation_copy_uses_the_standin_a_log_folder_and_a_host_ca(tmp_path: Path) -> None:
    paths = validation_paths(tmp_path, "/etc/ssl/certs/ca-certificates.crt")
    copy = render(load(CONFIG), paths)
    assert copy.wasm_paths == (str(standin_wasm()), str(standin_wasm()))
    assert copy.log_paths[0] == str(tmp_path / "access_ingress.log")
    assert "filename: /only/inside/the/container.pem" not in copy.envoy_yaml
    assert "filename: /etc/ssl/certs/ca-certificates.crt" in copy.envoy_yaml
    assert copy.plano_config == render(load(CONFIG)).plano_config


def test_envoy_accepts_the_validation_copy() -> None:
    verdict = check_with_envoy(load(CONFIG))
    assert (verdict.check.ok, verdict.check.version, verdict.check.output) == (
        True,
        "1.37.0",
        "configuration 'envoy.yaml' OK",
    )


def test_envoy_rejects_a_render_that_routes_to_an_unknown_cluster(tmp_path: Path) -> None:
    # A provider whose cluster was never defined: the same pure render, fed a model the checks would never pass.
    config = load(CONFIG)
    broken = dataclasses.replace(config, providers=(dataclasses.replace(config.providers[0], cluster_name="nowhere"),))
    copy = render(broken, validation_paths(tmp_path, host_ca_bundle()), containerize=False)
    check = validate_config(copy.envoy_yaml)
    assert not check.ok
    assert check.output == "error initializing configuration 'envoy.yaml': route: unknown cluster 'nowhere'"


def test_envoy_rejects_the_production_paths_on_this_machine() -> None:
    # The container's plugin files do not exist here: this is why validation renders its own copy.
    check = validate_config(render(load(CONFIG)).envoy_yaml)
    assert not check.ok


def test_no_ca_bundle_anywhere_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "certifi", None)  # as if certifi were not installed
    with pytest.raises(PlanoError) as caught:
        host_ca_bundle((str(tmp_path / "none.pem"),))
    assert caught.value.message == "no CA bundle found on this machine for the validation copy"
    (tmp_path / "ca.pem").write_text("x", encoding="utf-8")
    assert host_ca_bundle((str(tmp_path / "none.pem"), str(tmp_path / "ca.pem"))) == str(tmp_path / "ca.pem")


# --- the validation copy at request time ---------------------------------------------------------

REPO = Path(__file__).resolve().parent.parent
# Every port the prompt example binds (admin, prompt ingress, prompt hop, outbound router, model, LLM egress).
BOUND = (9901, 10000, 10001, 11000, 12000, 12001)


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0  # not listening yet


def _serve(text: str, tmp_path: Path) -> tuple[subprocess.Popen[bytes], dict[int, int]]:
    """Run Envoy on `text` with every bound port moved to a free one (the hop cluster to 10001 moves too)."""
    moved = dict(zip(BOUND, _free_ports(len(BOUND)), strict=True))
    text = re.sub(
        r"(?m)^(\s*port_value: )(\d+)$", lambda m: m.group(1) + str(moved.get(int(m.group(2)), int(m.group(2)))), text
    )
    (tmp_path / "envoy.yaml").write_text(text, encoding="utf-8")
    command = [
        str(find_envoy()),
        "-c",
        str(tmp_path / "envoy.yaml"),
        "--disable-hot-restart",
        "--concurrency",
        "1",
        "--log-level",
        "error",
        "--log-path",
        str(tmp_path / "envoy.log"),
    ]
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Ready once every cluster had its first DNS answer (offline: a quick failure). proc.wait is the pause,
    # so a crash shows at once.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            proc.wait(timeout=0.02)
        except subprocess.TimeoutExpired:
            if _status(f"http://127.0.0.1:{moved[9901]}/ready") == 200:
                return proc, moved
        else:
            log = tmp_path / "envoy.log"
            pytest.fail(f"envoy exited with code {proc.returncode}: {log.read_text() if log.exists() else ''}")
    proc.kill()
    proc.wait(timeout=10)
    pytest.fail("envoy was not ready within 30 s")


def test_with_the_standin_every_port_answers_healthz_as_the_real_plugins_would(tmp_path: Path) -> None:
    # The real plugins answer a :path of exactly /healthz on 10001 and 12001; the pass-through stand-in does
    # not, so the hops carry a route with the same answer (never reached in production: the plugin answers first).
    config = validate_file(REPO / "examples" / "listeners" / "prompt.yaml", REPO).config
    proc, moved = _serve(render(config, validation_paths(tmp_path, host_ca_bundle())).envoy_yaml, tmp_path)
    try:
        found = {port: _status(f"http://127.0.0.1:{moved[port]}/healthz") for port in (10000, 10001, 12000, 12001)}
        exact = {port: _status(f"http://127.0.0.1:{moved[port]}/healthz?x=1") for port in (10000, 12001)}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert found == {10000: 200, 10001: 200, 12000: 200, 12001: 200}
    # Like the plugins, only the exact path: with a query the request is routed as before (no route; no header).
    assert exact == {10000: 404, 12001: 400}


# --- template errors ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Context:
    port: int


@pytest.mark.parametrize(
    ("templates", "message"),
    [
        (
            {"main.j2": "a: 1\nb: {{ envoy.missing }}\n"},
            "template main.j2, line 2: 'tests.test_render_envoy.Context object' has no attribute 'missing'",
        ),
        (
            {"main.j2": "x\n{% include 'part.j2' %}\n", "part.j2": "y\nz\n{{ nothing }}\n"},
            "template part.j2, line 3: 'nothing' is undefined",
        ),
        (
            {"main.j2": "a\n{% if %}\n"},
            "template main.j2, line 2: Expected an expression, got 'end of statement block'",
        ),
        ({"main.j2": "{% include 'gone.j2' %}"}, "template gone.j2 is missing"),
    ],
)
def test_a_template_error_names_the_template_line_and_value(
    tmp_path: Path, templates: dict[str, str], message: str
) -> None:
    for name, text in templates.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    env = environment(jinja2.FileSystemLoader(str(tmp_path)))
    with pytest.raises(RenderError) as caught:
        render_template("main.j2", env, envoy=Context(1))
    assert caught.value.message == message
    assert caught.value.exit_code == 4


def test_the_scalar_filter_quotes_what_needs_it(tmp_path: Path) -> None:
    (tmp_path / "main.j2").write_text("a: {{ x | scalar }}\nb: {{ y | scalar }}\n", encoding="utf-8")
    env = environment(jinja2.FileSystemLoader(str(tmp_path)))
    assert render_template("main.j2", env, x="plano(inbound)", y=12000) == 'a: "plano(inbound)"\nb: 12000\n'


# --- writing --------------------------------------------------------------------------------------


def test_files_are_written_atomically_with_mode_0644(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        written = [w.path for w in write_files(render(load(CONFIG)).files(), tmp_path / "out" / "deep")]
    finally:
        os.umask(old)
    assert [p.name for p in written] == ["envoy.yaml", "plano_config_rendered.yaml"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in written)
    assert sorted(p.name for p in (tmp_path / "out" / "deep").iterdir()) == ["envoy.yaml", "plano_config_rendered.yaml"]
    write_files({"envoy.yaml": "new\n"}, tmp_path / "out" / "deep")
    assert (tmp_path / "out" / "deep" / "envoy.yaml").read_text(encoding="utf-8") == "new\n"


def test_an_unwritable_folder_is_reported(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(PlanoError) as caught:
        write_files({"envoy.yaml": "x"}, tmp_path / "file" / "out")
    assert caught.value.message == (
        f"cannot write {tmp_path / 'file' / 'out' / 'envoy.yaml'}: a part of "
        f"{tmp_path / 'file' / 'out'} is a file, not a folder; nothing was written"
    )
    assert caught.value.hint == "fix the path, or choose a folder you can write to with --out"
