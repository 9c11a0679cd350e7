"""The front end keeps no copy of a list of choices: its labels come from GET /api/choices."""

import re
from importlib import resources

from painsim.app import choices


def test_app_js_has_no_map_from_a_choice_to_its_label():
    script = resources.files("painsim.web").joinpath("static/app.js").read_text()
    copies = [f"{name}: {c.value}" for name, items in choices().items() for c in items
              if re.search(r'[{,]\s*"?' + re.escape(c.value) + r'"?\s*:\s*["`\']', script)]
    assert not copies, f"app.js maps these values to labels itself; serve them from /api/choices: {copies}"


def test_the_labels_app_js_shows_are_served(client):
    served = client.get("/api/choices").json()
    assert served["outcomes"]["labels"] == {"rmdq": "RMDQ (0-24)", "pain": "pain (0-10)"}
    assert served["responder_classes"]["labels"]["non_responder"] == "non-responder"
    assert list(served["responder_classes"]["labels"]) == ["non_responder", "transient", "lasting"]
