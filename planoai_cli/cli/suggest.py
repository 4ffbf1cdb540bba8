"""'Did you mean …?' for a mistyped flag: the command's closest long option, by edit distance."""

from __future__ import annotations

from collections.abc import Sequence

import click


def closest_flag(typed: str, flags: Sequence[str]) -> str | None:
    """The long flag nearest to `typed` (`--debgu` → `--debug`), or None when none is near enough.

    click ranks with difflib over whole strings, so the `--` every flag shares makes unrelated flags look alike
    (`--list-templates` got `--template`, `--clen` got `--force`), and it lists its picks alphabetically. Here
    names are compared without the dashes, swapping two neighbouring letters is one edit, and the nearest wins
    (the earlier-declared flag on a tie).
    """
    if not typed.startswith("--") or len(typed) < 4:
        return None
    word = typed[2:].lower()
    ranked = [
        (score, index, flag)
        for index, flag in enumerate(flags)
        if flag.startswith("--") and (score := _score(word, flag[2:].lower())) is not None
    ]
    return min(ranked)[2] if ranked else None


def _score(word: str, name: str) -> tuple[int, int] | None:
    """Lower is nearer: a few edits first, then an abbreviation or a flag with a suffix typed after it."""
    distance = edit_distance(word, name)
    if distance <= _allowed(word):
        return 0, distance
    if len(word) >= 3 and (name.startswith(word) or word.startswith(name + "-")):
        return 1, abs(len(name) - len(word))
    return None


def _allowed(word: str) -> int:
    # One slip in a short name, more in a long one; beyond that a suggestion is a guess.
    return 1 if len(word) <= 5 else 2 if len(word) <= 10 else 3


def edit_distance(a: str, b: str) -> int:
    """Insertions, deletions, substitutions and swaps of neighbouring letters (optimal string alignment)."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def with_better_suggestion(error: click.ClickException) -> click.ClickException:
    """An unknown long flag names the command's closest visible flag instead of click's picks; others unchanged."""
    if not isinstance(error, click.exceptions.NoSuchOption):
        return error
    ctx = error.ctx
    if ctx is None or not error.option_name.startswith("--"):
        return error
    flags = [
        flag
        for param in ctx.command.get_params(ctx)
        if isinstance(param, click.Option) and not param.hidden
        for flag in (*param.opts, *param.secondary_opts)
    ]
    best = closest_flag(error.option_name, flags)
    message = f"No such option {error.option_name!r}." + (f" Did you mean {best!r}?" if best else "")
    return click.exceptions.NoSuchOption(error.option_name, message=message, ctx=ctx)
