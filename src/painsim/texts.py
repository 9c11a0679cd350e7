"""Sentences painsim shows in more than one place (CLI, web app, HTML report): declared once."""

DISCLAIMER = "painsim is a research model, not medical advice."
