"""The command table the group loads lazily names every command, each with the module that registers it."""

from __future__ import annotations

import importlib

from planoai_cli.cli.root import COMMAND_MODULES, planoai


def test_every_command_is_registered_by_the_module_the_table_names() -> None:
    for module in sorted(set(COMMAND_MODULES.values())):
        importlib.import_module(f"planoai_cli.cli.{module}")
    assert set(planoai.commands) == set(COMMAND_MODULES)
    for name, command in planoai.commands.items():
        assert command.callback is not None
        assert command.callback.__module__ == f"planoai_cli.cli.{COMMAND_MODULES[name]}", name
