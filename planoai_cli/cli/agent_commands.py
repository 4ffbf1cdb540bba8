"""`planoai cli-agent`: run Claude Code or Codex through the gateway (filled in by the cli-agent work)."""

from __future__ import annotations
