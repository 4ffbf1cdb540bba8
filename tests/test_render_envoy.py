"""The validation copy, the real Envoy's verdict (it can say no), template errors and writing the files."""

from __future__ import annotations

import dataclasses
import os
import stat
import sys
from pathlib import Path

import jinja2
import pytest

from planoai_cli.envoy import standin_wasm, validate_config
from planoai_cli.errors import PlanoError, RenderError
from planoai_cli.loader import RawConfig, parse
from planoai_cli.model import PlanoConfig
from planoai_cli.pipeline import validate_raw
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
    return validate_raw(RawConfig(Path("config.yaml"), text, parse(text, "config.yaml"))).config


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
        True, "1.37.0", "configuration 'envoy.yaml' OK")


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


# --- template errors ------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Context:
    port: int


@pytest.mark.parametrize(("templates", "message"), [
    ({"main.j2": "a: 1\nb: {{ envoy.missing }}\n"},
     "template main.j2, line 2: 'tests.test_render_envoy.Context object' has no attribute 'missing'"),
    ({"main.j2": "x\n{% include 'part.j2' %}\n", "part.j2": "y\nz\n{{ nothing }}\n"},
     "template part.j2, line 3: 'nothing' is undefined"),
    ({"main.j2": "a\n{% if %}\n"}, "template main.j2, line 2: Expected an expression, got 'end of statement block'"),
    ({"main.j2": "{% include 'gone.j2' %}"}, "template gone.j2 is missing"),
])
def test_a_template_error_names_the_template_line_and_value(tmp_path: Path, templates: dict[str, str],
                                                            message: str) -> None:
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
        written = write_files(render(load(CONFIG)).files(), tmp_path / "out" / "deep")
    finally:
        os.umask(old)
    assert [p.name for p in written] == ["envoy.yaml", "plano_config_rendered.yaml"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in written)
    assert sorted(p.name for p in (tmp_path / "out" / "deep").iterdir()) == ["envoy.yaml",
                                                                             "plano_config_rendered.yaml"]
    write_files({"envoy.yaml": "new\n"}, tmp_path / "out" / "deep")
    assert (tmp_path / "out" / "deep" / "envoy.yaml").read_text(encoding="utf-8") == "new\n"


def test_an_unwritable_folder_is_reported(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(PlanoError) as caught:
        write_files({"envoy.yaml": "x"}, tmp_path / "file" / "out")
    assert caught.value.message.startswith(f"cannot write to {tmp_path / 'file' / 'out'}")
    assert caught.value.hint == "choose a folder you can write to with --out"
