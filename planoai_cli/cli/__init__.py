"""Command-line layer: the only importer of click. Commands are thin adapters over one core function each."""

from __future__ import annotations

import gc
import os
import sys
from typing import Any, NoReturn

import click

from planoai_cli.cli.root import _Flags, debug_requested, planoai
from planoai_cli.errors import ExitCode, InvalidConfig, PlanoError


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit code; the single place where errors are handled."""
    args = sys.argv[1:] if argv is None else argv
    _Flags.debug = False
    try:
        result: Any = planoai.main(args=args, prog_name="planoai", standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        _console().error("interrupted")
        return ExitCode.INTERRUPTED
    except click.ClickException as e:
        from planoai_cli.cli.suggest import with_better_suggestion

        with_better_suggestion(e).show()
        return e.exit_code
    except InvalidConfig as e:
        _console().show_diagnostics(e.source, _by_position((*e.warnings, *e.diagnostics)))
        _console().error(e.message, e.hint)
        return e.exit_code
    except PlanoError as e:
        _console().error(e.message, e.hint)
        return e.exit_code
    except Exception as e:  # the one place where bugs become a readable report
        # Only the group's own --debug counts: `logs --debug` or `cli-agent claude -- --debug` mean other things.
        _console().unexpected(f"{type(e).__name__}: {e}", _traceback() if debug_requested() else None)
        return ExitCode.INTERNAL
    return int(result or 0)


def _traceback() -> str:
    import traceback

    return traceback.format_exc()


def _by_position(items: tuple[Any, ...]) -> tuple[Any, ...]:
    from planoai_cli.diagnostics import sorted_diagnostics

    return sorted_diagnostics(items)


def _console() -> Any:
    from planoai_cli import console

    return console


def main() -> NoReturn:
    """Console-script entry point."""
    # A command allocates a few hundred thousand objects as it starts (imports, dataclasses) and frees few of them:
    # at the default threshold (700) the cyclic collector runs 50-130 times over them for nothing (7-55 ms). At
    # 100,000 a command starts without one; a long-running one (logs -f, obs, the collector) still collects.
    gc.set_threshold(100_000, 10, 10)
    code = run()
    if code == ExitCode.INTERRUPTED:
        # After a Ctrl-C, CPython may still end the process by SIGINT at shutdown (the shell then sees -2, not
        # 130); flush and leave at once so the documented exit code is the one reported.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    _leave(code)


def _leave(code: int) -> NoReturn:
    """Exit without tearing the interpreter down module by module (about 15 ms) when nothing is left to finish.

    The exit handlers run and the output is flushed, as at any exit; only when another thread still runs, or the
    flush fails (a closed pipe, which CPython reports its own way), does the usual shutdown take over.
    """
    import atexit
    import threading

    if threading.active_count() == 1:
        atexit._run_exitfuncs()
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            sys.exit(code)
        os._exit(code)
    sys.exit(code)


__all__ = ["main", "planoai", "run"]
