"""Position-carrying trees: locate, evolve and derive keep the user's lines and paths."""

from __future__ import annotations

from planoai_cli.loader import parse
from planoai_cli.tree import Mark, YList, YMap, derive, derive_list, evolve, format_path, locate, plain

DOC = """\
version: v0.1
llm_providers:
  - name: first
    model: gpt-4o
  - name: second
    endpoint: example.com
"""


def test_locate_points_at_values_and_keys() -> None:
    doc = parse(DOC, "x.yaml")
    assert locate(doc, ("llm_providers", 1, "endpoint")).mark == Mark(6, 15)
    assert locate(doc, ("llm_providers", 1, "endpoint"), at_key=True).mark == Mark(6, 5)
    assert locate(doc, ("llm_providers", 1)).mark == Mark(5, 5)


def test_missing_segments_keep_the_nearest_known_position() -> None:
    doc = parse(DOC, "x.yaml")
    location = locate(doc, ("llm_providers", 0, "base_url"))
    assert location.mark == Mark(3, 5)
    assert location.path == ("llm_providers", 0, "base_url")


def test_renamed_keys_report_the_users_spelling() -> None:
    doc = parse(DOC, "x.yaml")
    provider = evolve(doc["llm_providers"][1], rename={"endpoint": "base_url"})
    providers = derive_list([doc["llm_providers"][0], provider], like=doc["llm_providers"])
    migrated = evolve(doc, rename={"llm_providers": "model_providers"}, put={"llm_providers": providers})
    migrated = evolve(migrated, drop=["llm_providers"], put={"model_providers": providers})
    location = locate(migrated, ("model_providers", 1, "base_url"))
    assert location.path == ("llm_providers", 1, "endpoint")
    assert location.mark == Mark(6, 15)


def test_evolve_is_pure_and_keeps_order() -> None:
    doc = parse(DOC, "x.yaml")
    before = plain(doc)
    out = evolve(doc, rename={"version": "ver"}, drop=["llm_providers"], put={"new": 1})
    assert list(out) == ["ver", "new"]
    assert plain(doc) == before
    assert out.slots["ver"].name == "version"


def test_derive_positions_new_nodes_at_their_source() -> None:
    doc = parse(DOC, "x.yaml")
    made = derive({"type": "model"}, like=doc["llm_providers"][0])
    assert isinstance(made, YMap)
    assert made.mark == Mark(3, 5)
    assert isinstance(derive_list([made]), YList)


def test_format_path_quotes_odd_keys() -> None:
    assert format_path(("model_providers", 0, "default")) == "model_providers[0].default"
    assert format_path(("endpoints", "my.svc", "endpoint")) == 'endpoints["my.svc"].endpoint'
    assert format_path(()) == ""
