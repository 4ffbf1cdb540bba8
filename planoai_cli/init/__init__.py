"""`planoai init`: starter configs from bundled templates, written atomically; no click or rich in here."""

from __future__ import annotations
