"""Operations around a gateway that `up` does not cover: `wait` for CI and the `doctor` preflight."""

from __future__ import annotations
