"""Config texts tests share (str.format templates: `{port}`, `{mock_port}`)."""

from __future__ import annotations

# One model listener and one default provider, the mock on this host (the render points localhost at the host).
# Tests append their own sections; literal braces in what they append must be doubled.
GATEWAY = """\
version: v0.4.0
listeners:
  - name: llm
    type: model
    port: {port}
model_providers:
  - model: openai/gpt-4o
    base_url: http://localhost:{mock_port}
    access_key: $OPENAI_API_KEY
    default: true
"""

# The smallest useful config: one model listener, one default provider with no base_url (the provider's own API).
MINIMAL = """\
version: v0.4.0
listeners:
  - name: llm
    type: model
    port: {port}
model_providers:
  - model: openai/gpt-4o
    access_key: $OPENAI_API_KEY
    default: true
"""
