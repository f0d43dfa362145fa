"""The HTTP server: JSON API, OpenAI-compatible chat and the chat UI on one port."""

from .app import create_app

__all__ = ["create_app"]
