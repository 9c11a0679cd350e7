"""painsim web: a FastAPI application with a JSON API and a front end (no Node.js needed).

Run it with ``painsim serve``; see docs/web.md. A research model, not medical advice.
"""

from painsim.web.app import DISCLAIMER, create_app

__all__ = ["DISCLAIMER", "create_app"]
