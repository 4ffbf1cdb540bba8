"""Migration of agents and filters: G3a filter agents, extra agent keys, `type: rest`."""

from __future__ import annotations

from planoai_cli.loader import parse
from planoai_cli.migrate.agents import agent_keys, filter_agents, filter_types
from planoai_cli.tree import locate, plain
from tests.migratehelp import brief, run

G3A = """\
version: v0.3.0
agents:
  - id: rag_agent
    url: http://rag:10505
  - id: query_rewriter
    url: http://rewriter:10501
    kind: filter
listeners:
  - type: agent
    name: assistant
    port: 8001
    agents:
      - id: rag_agent
        description: Answers questions.
        filter_chain: [query_rewriter]
"""


def test_chained_agents_move_to_filters_as_http_filters() -> None:
    out, found = run(filter_agents, G3A)
    assert list(out) == ["version", "agents", "filters", "listeners"]
    expected = plain(parse(G3A, "config.yaml"))
    expected["agents"] = [{"id": "rag_agent", "url": "http://rag:10505"}]
    expected["filters"] = [{"id": "query_rewriter", "url": "http://rewriter:10501", "type": "http"}]
    assert plain(out) == expected  # the listeners (and their `filter_chain`) are left to the listener step
    assert brief(found) == [("warning", "migrate.filter-agent", "agents[1]", 5)]
    message = found[0].message
    assert "moved to `filters` with `type: http`, dropping `kind`" in message
    assert "posted to its url plus the original request path" in message
    location = locate(out, ("filters", 0, "url"))
    assert location.path == ("agents", 1, "url")
    assert location.mark is not None
    assert location.mark.line == 6


def test_when_every_agent_is_a_filter_the_section_is_renamed() -> None:
    text = G3A.replace("  - id: rag_agent\n    url: http://rag:10505\n", "", 1)
    out, found = run(filter_agents, text)
    assert list(out) == ["version", "filters", "listeners"]
    assert [d.code for d in found] == ["migrate.filter-agent"]


def test_files_with_a_filters_section_keep_their_agents() -> None:
    # 0.4.0+: a chained id left in `agents` is an MCP filter that works as it is.
    doc = parse(G3A + "filters: []\n", "config.yaml")
    assert filter_agents(doc) == (doc, [])


def test_extra_agent_keys_are_dropped() -> None:
    out, found = run(agent_keys, G3A)
    assert plain(out)["agents"] == [
        {"id": "rag_agent", "url": "http://rag:10505"},
        {"id": "query_rewriter", "url": "http://rewriter:10501"},
    ]
    assert brief(found) == [("notice", "migrate.agent-key", "agents[1].kind", 7)]
    assert "dropped `kind` from agent 'query_rewriter'" in found[0].message


def test_rest_filters_become_http() -> None:
    text = """\
    version: v0.4.0
    filters:
      - {id: guard, url: "http://guard:1", type: rest}
      - {id: pii, url: "http://pii:2/mcp"}
    """
    out, found = run(filter_types, text)
    assert plain(out) == {
        "version": "v0.4.0",
        "filters": [{"id": "guard", "url": "http://guard:1", "type": "http"}, {"id": "pii", "url": "http://pii:2/mcp"}],
    }
    assert brief(found) == [("warning", "migrate.filter-type", "filters[0].type", 3)]


def test_current_agents_and_filters_are_unchanged() -> None:
    doc = parse(
        "version: v0.4.0\nagents:\n  - {id: a, url: 'http://a'}\nfilters:\n  - {id: f, url: 'http://f'}\n",
        "config.yaml",
    )
    for step in (filter_agents, agent_keys, filter_types):
        assert step(doc) == (doc, [])
