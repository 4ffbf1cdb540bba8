"""Entry point for `python -m planoai_cli`."""

from __future__ import annotations

from planoai_cli.cli import main

if __name__ == "__main__":
    main()
