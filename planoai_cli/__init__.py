"""planoai-cli: validate, migrate, render and run Plano AI gateway configurations."""

from __future__ import annotations

__version__ = "0.1.0"
