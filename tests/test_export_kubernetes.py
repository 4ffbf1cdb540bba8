"""`export kubernetes` checked offline: every object against the Kubernetes API schemas, the chart through Helm.

No cluster runs here. kubernetes-validate holds the OpenAPI schemas of each Kubernetes release; every object is
validated against the newest one it ships, in strict mode (an unknown field fails). The chart is loaded, rendered
and linted by Helm's own Go SDK (helm-python-sdk, no helm binary), and what it renders must be the plain manifests'
objects, then pass the same schemas.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from helm_python import chart as helm
from helm_python.errors import HelmError

from planoai_cli.export import kubernetes
from tests.exportfix import CASES, export_case

SCHEMA = kubernetes_validate.latest_version()


def objects(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def validate(obj: dict[str, Any]) -> None:
    try:
        kubernetes_validate.validate(obj, SCHEMA, strict=True)
    except kubernetes_validate.ValidationError as e:
        pytest.fail(f"{obj['kind']} {obj['metadata']['name']}: {e.message} at {list(e.path)}", pytrace=False)


def write_chart(case: str, folder: Path) -> Path:
    for name, text in export_case(case, "kubernetes", helm=True).files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def rendered_chart(folder: Path, values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    manifests = helm.Chart.load(folder).render(values, name="release", namespace="default")
    return [obj for name in sorted(manifests) for obj in objects(manifests[name])]


def comparable(obj: dict[str, Any]) -> dict[str, Any]:
    """An object without what differs by design: managed-by (planoai / Helm) and the checksum's input."""
    obj = copy.deepcopy(obj)
    metas = [obj["metadata"]] + ([obj["spec"]["template"]["metadata"]] if obj["kind"] == "Deployment" else [])
    for meta in metas:
        meta.get("labels", {}).pop("app.kubernetes.io/managed-by", None)
        meta.get("annotations", {}).pop(kubernetes.CHECKSUM_ANNOTATION, None)
    return obj


def test_the_schemas_are_a_recent_release() -> None:
    assert tuple(int(part) for part in SCHEMA.split(".")[:2]) >= (1, 37)


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_manifest_and_the_secret_template_pass_the_schemas(case: str) -> None:
    files = export_case(case, "kubernetes").files
    found = objects(files[kubernetes.MANIFESTS_FILE])
    assert [o["kind"] for o in found[:2]] == ["ConfigMap", "Deployment"]
    assert {o["kind"] for o in found[2:]} == {"Service"}
    for obj in found:
        validate(obj)
    if kubernetes.SECRET_FILE in files:
        (secret,) = objects(files[kubernetes.SECRET_FILE])
        assert set(secret["stringData"].values()) == {""}  # a template: names only
        validate(secret)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_chart_renders_the_same_objects_and_lints_clean(case: str, tmp_path: Path) -> None:
    folder = write_chart(case, tmp_path / "chart")
    report = helm.lint(folder, strict=True)
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert (report["errors"], problems) == ([], []), report
    rendered = rendered_chart(folder)
    for obj in rendered:
        validate(obj)
    plain = objects(export_case(case, "kubernetes").files[kubernetes.MANIFESTS_FILE])
    assert [comparable(o) for o in rendered_by_kind(rendered)] == [comparable(o) for o in rendered_by_kind(plain)]
    deployment = next(o for o in rendered if o["kind"] == "Deployment")
    assert len(deployment["spec"]["template"]["metadata"]["annotations"][kubernetes.CHECKSUM_ANNOTATION]) == 64


def rendered_by_kind(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    order = {"ConfigMap": 0, "Deployment": 1, "Service": 2, "Secret": 3}
    return sorted(found, key=lambda o: (order[o["kind"]], o["metadata"]["name"]))


def test_the_chart_creates_the_secret_only_when_asked_and_with_every_required_value(tmp_path: Path) -> None:
    case = "template-sub-agents"
    folder = write_chart(case, tmp_path / "chart")
    required = export_case(case, "kubernetes").deployment.required
    assert required
    assert "Secret" not in [o["kind"] for o in rendered_chart(folder)]
    values = {"secret": {"create": True, "values": dict.fromkeys(required, "k-123")}}
    (secret,) = [o for o in rendered_chart(folder, values) if o["kind"] == "Secret"]
    validate(secret)
    assert secret["stringData"] == dict.fromkeys(required, "k-123")
    missing = {"secret": {"create": True, "values": dict.fromkeys(required[1:], "k")}}
    with pytest.raises(HelmError, match=f"secret.values.{required[0]} is required"):
        rendered_chart(folder, missing)


def test_the_pod_runs_non_root_on_a_read_only_root_with_memory_backed_scratch() -> None:
    found = objects(export_case("example-model", "kubernetes").files[kubernetes.MANIFESTS_FILE])
    pod = next(o for o in found if o["kind"] == "Deployment")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["run"]["emptyDir"]["medium"] == "Memory"
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts["/run/plano"]["name"] == "run"
    assert mounts["/etc/plano/rendered"]["readOnly"] is True
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        urls = container[probe]["exec"]["command"][3:]
        assert urls == ["http://127.0.0.1:12000/healthz", "http://127.0.0.1:12000/v1/models"], probe
