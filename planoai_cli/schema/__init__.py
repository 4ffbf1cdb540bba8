"""Schema stage: validate a tree against a versioned JSON Schema and report every violation, located.

A valid document is recognised by a quick check compiled from the schema (`quick`); only a document that fails
it (or might) goes to jsonschema (`report`), which finds and words every violation. jsonschema is therefore
imported only for a config that has errors.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from planoai_cli.errors import PlanoError
from planoai_cli.resources import data_file
from planoai_cli.schema.quick import Check, compile_schema

if TYPE_CHECKING:
    from planoai_cli.detect import Generation
    from planoai_cli.diagnostics import Diagnostic
    from planoai_cli.tree import YMap


@functools.cache
def load_schema(generation: Generation) -> dict[str, Any]:
    """Load (once) the schema file of a generation."""
    path = data_file("config_schema", generation.schema_file)
    try:
        schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise PlanoError(f"cannot read the bundled schema {path}: {e}", hint="reinstall planoai-cli") from e
    return schema


@functools.cache
def _quick(generation: Generation) -> Check | None:
    return compile_schema(load_schema(generation))


def validate(doc: YMap, generation: Generation) -> tuple[Diagnostic, ...]:
    """Every schema violation of `doc` under `generation`, as located diagnostics (none for a valid one)."""
    check = _quick(generation)
    if check is not None and check(doc) is True:
        return ()
    from planoai_cli.schema.report import violations

    return violations(doc, generation)
