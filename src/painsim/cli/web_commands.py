"""``painsim serve``: the web app (FastAPI + a front end shipped in the package)."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from painsim.cli.common import STORE_HELP

app = typer.Typer()


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind (default: this machine only)."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    store: Path = typer.Option(None, help=STORE_HELP),
    workers: int = typer.Option(1, min=1, max=8, help="Background jobs run at the same time."),
    allowed_host: list[str] = typer.Option(
        None, "--allowed-host",
        help="A Host name the app answers to besides localhost, 127.0.0.1 and [::1] (repeatable; "
             "*.example.org for subdomains; also $PAINSIM_WEB_ALLOWED_HOSTS, comma-separated). "
             "Needed when the app is reached under another name, e.g. with --host 0.0.0.0."),
    jobs_per_client: int = typer.Option(
        None, min=1, max=8, help="Jobs one client (address) may have queued or running (default: 4 of the 8)."),
) -> None:
    """Serve the web app: patient twins, the massage question, trials, evidence, stored runs.

    Open http://HOST:PORT/ in a browser; the JSON API is documented at /docs. A research
    model, not medical advice. docs/web.md, "Security", says what the app defends against
    and what it leaves to the operator (TLS, authentication, a public interface).
    """
    import uvicorn

    from painsim.web import create_app
    from painsim.web.security import allowed_hosts

    try:
        hosts = allowed_hosts(allowed_host or [])
    except ValueError as err:
        typer.echo(f"Error: --allowed-host / $PAINSIM_WEB_ALLOWED_HOSTS: {err}", err=True)
        raise typer.Exit(2) from None
    _log_to_stderr()
    typer.echo(f"painsim web on http://{host}:{port}/ (API docs: /docs), answering to {', '.join(hosts)}. "
               "A research model, not medical advice. Ctrl+C stops it.")
    uvicorn.run(create_app(store, workers=workers, hosts=hosts, max_per_client=jobs_per_client),
                host=host, port=port, log_level="warning")


def _log_to_stderr() -> None:
    """Failed jobs and server errors are logged (with their error id and traceback) to stderr."""
    logger = logging.getLogger("painsim.web")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
