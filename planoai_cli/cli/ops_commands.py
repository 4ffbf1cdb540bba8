"""`planoai wait` and `planoai doctor` (filled in by the wait/doctor work)."""

from __future__ import annotations
