"""The ``painsim`` command line."""

from painsim.cli.app import app, main

__all__ = ["app", "main"]
