"""The typer application; each pillar registers its commands in its own module."""

import typer

app = typer.Typer(
    name="painsim",
    help="painsim: chronic back pain as an emergent biopsychosocial system. "
    "A research model, not medical advice.",
    no_args_is_help=True,
    add_completion=False,
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
) -> None:
    """painsim: chronic back pain as an emergent biopsychosocial system."""


def main() -> None:
    """Entry point of the ``painsim`` console script."""
    app()


# Command modules register themselves on ``app`` when imported.
from painsim.cli import (  # noqa: E402,F401
    calibration_commands,
    engine_commands,
    meta_commands,
    report_commands,
    store_commands,
    sweep_commands,
    trial_commands,
    web_commands,
)
