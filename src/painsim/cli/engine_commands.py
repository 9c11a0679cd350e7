"""Commands that run the engine: ``painsim demo``."""

import typer

from painsim.cli.app import app


@app.command()
def demo() -> None:
    """Run the flagship example on the embedded defaults."""
    typer.echo("painsim demo: engine not built yet")
