"""The service the chat UI (`assistant/ui/`) and the HTTP server
(`assistant/server/`) both stand on: one index and one set of answerers shared
by every session, and the rules by which uploaded files are checked and stored.
Neither front end reaches into the other's package for it."""

from .assistant_service import AssistantService
from .uploads import Stored, check_size, check_type, safe_name, store_upload, upload_extension

__all__ = ["AssistantService", "Stored", "check_size", "check_type", "safe_name", "store_upload", "upload_extension"]
