"""The root of the ``painsim`` command line: composes the sub-applications of the command modules.

Each command module (``*_commands.py``) defines its own ``app = typer.Typer()`` and imports
only :mod:`painsim.cli.common` (the shared helpers) and library code, never this module or
another command module; here their commands are merged into the root (``painsim demo``,
``painsim meta``, ...) and the groups ``painsim trial`` and ``painsim store`` come with
them. docs/cli.md, "Layout", says where a new command goes.

Every command runs inside a safety net (:class:`SafetyNetGroup`): an exception no command
turned into a clear error is reported in a few lines as an internal error (exit code 1)
that says how to report it; the traceback is shown only with ``painsim --debug`` or
``PAINSIM_DEBUG=1``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from painsim.cli import (
    calibration_commands,
    diary_commands,
    economics_commands,
    engine_commands,
    meta_commands,
    report_commands,
    store_commands,
    sweep_commands,
    trajectory_commands,
    trial_commands,
    web_commands,
)
from painsim.cli.common import BadInputError, fail

DEBUG_ENV = "PAINSIM_DEBUG"


def debug_requested(ctx: Any = None) -> bool:
    """True when ``--debug`` was given or ``PAINSIM_DEBUG`` is set to anything but 0/empty."""
    if os.environ.get(DEBUG_ENV, "").strip() not in ("", "0"):
        return True
    while ctx is not None:
        if ctx.params.get("debug"):
            return True
        ctx = ctx.parent
    return False


def internal_error_message(error: BaseException) -> str:
    """The few lines shown for an unexpected exception instead of its traceback."""
    if isinstance(error, MemoryError):
        what = "ran out of memory"
    else:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
        what = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    return (f"painsim: internal error ({what}).\n"
            "This is a bug in painsim, or a limit it should have checked, not a mistake in your input. "
            f"Please report it to the painsim maintainers with the command you ran and the traceback that "
            f"`painsim --debug ...` (or {DEBUG_ENV}=1) prints.")


def _silence_stdout() -> None:
    """Point stdout at the null device, so that flushing it at exit cannot fail again
    (the recipe of the Python documentation, "Note on SIGPIPE")."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


class SafetyNetGroup(TyperGroup):
    """The root command group: turns unexpected exceptions into a short internal error."""

    def invoke(self, ctx: typer.Context) -> Any:
        from painsim.app.errors import check_environment

        try:
            check_environment()
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):  # exits, Ctrl-C and usage errors (exit 2) as usual
            raise
        except BadInputError as error:  # bad input a command did not catch itself: still exit 2, never a bug
            fail(str(error))
        except BrokenPipeError:  # the reader went away (`painsim ... | head`): stop quietly, as Unix tools do
            _silence_stdout()
            raise typer.Exit(1) from None
        except Exception as error:
            if debug_requested(ctx):
                raise
            print(internal_error_message(error), file=sys.stderr)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=SafetyNetGroup,
    name="painsim",
    help="painsim: chronic back pain as an emergent biopsychosocial system. "
    "A research model, not medical advice.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def _version(value: bool) -> None:
    if value:
        from painsim import __version__

        typer.echo(f"painsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug",
                               help=f"Show the traceback of an internal error (also: {DEBUG_ENV}=1)."),
) -> None:
    """painsim: chronic back pain as an emergent biopsychosocial system."""


#: The sub-applications whose commands are merged into the root, in the order ``painsim --help`` lists them.
COMMANDS = (calibration_commands.app, diary_commands.app, economics_commands.app, engine_commands.app,
            meta_commands.app, store_commands.app, report_commands.app, sweep_commands.app, trajectory_commands.app,
            web_commands.app)
#: The command groups (``painsim store check``, ``painsim trial power``), listed after the commands.
GROUPS = {"store": store_commands.store_app, "trial": trial_commands.trial_app}
for _commands in COMMANDS:
    app.add_typer(_commands)
for _name, _group in GROUPS.items():
    app.add_typer(_group, name=_name)


def main() -> None:
    """Entry point of the ``painsim`` console script."""
    app()
