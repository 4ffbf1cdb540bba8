"""`planoai cli-agent`: point Claude Code or Codex at the project's gateway (starting it if needed) and run it."""

from __future__ import annotations
