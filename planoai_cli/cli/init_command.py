"""`planoai init`: write a starter config from a template (filled in by the init work)."""

from __future__ import annotations
