"""``painsim serve``: the web app (FastAPI + a front end shipped in the package)."""

from __future__ import annotations

from pathlib import Path

import typer

from painsim.cli.app import app


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind (default: this machine only)."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    store: Path = typer.Option(None, help="Store folder (default: $PAINSIM_STORE, else the painsim user data folder)."),
    workers: int = typer.Option(1, min=1, max=8, help="Background jobs run at the same time."),
) -> None:
    """Serve the web app: patient twins, the massage question, trials, evidence, stored runs.

    Open http://HOST:PORT/ in a browser; the JSON API is documented at /docs. A research
    model, not medical advice.
    """
    import uvicorn

    from painsim.web import create_app

    typer.echo(f"painsim web on http://{host}:{port}/ (API docs: /docs). "
               "A research model, not medical advice. Ctrl+C stops it.")
    uvicorn.run(create_app(store, workers=workers), host=host, port=port, log_level="warning")
