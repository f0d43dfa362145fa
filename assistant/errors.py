"""Domain exceptions. Every error a user can cause is one of these, with a message
that names the file, field or setting involved, so the CLI can print one clean line."""


class AssistantError(Exception):
    """Base class for every error this package raises on purpose."""


class ConfigError(AssistantError):
    """A setting has an invalid value or the config file cannot be read."""


class DocumentError(AssistantError):
    """A document cannot be ingested (empty, binary, undecodable, too large, ...).

    Indexing catches these per file and reports them as skipped; the rest of the
    corpus is still indexed."""

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class UnsupportedFormatError(DocumentError):
    """The file extension is not one the loaders understand."""


class UploadRejected(AssistantError):
    """An uploaded file is not stored: its name, type, size or content breaks the
    upload rules (assistant/service/uploads.py). The message names the file."""


class UnsupportedUploadType(UploadRejected):
    """An upload of a type no loader reads (the HTTP API answers 415)."""


class UploadTooLarge(UploadRejected):
    """An upload over `max_file_mb` (the HTTP API answers 413)."""


class IndexNotFoundError(AssistantError):
    """No index exists where one was expected."""


class QuestionError(AssistantError):
    """A question that cannot be asked as given (e.g. longer than the limit)."""


class IndexCorruptError(AssistantError):
    """An index file is missing, truncated or altered since it was written."""

    def __init__(self, path, file: str, problem: str):
        self.path = str(path)
        self.file = file
        super().__init__(
            f"index at {self.path} is damaged: {file} {problem}. "
            f"Rebuild it with `assistant index --rebuild` (or delete {self.path})."
        )


class IndexMismatchError(AssistantError):
    """The index on disk was built with settings that differ from the current ones."""

    def __init__(self, path, differences: list[str]):
        self.path = str(path)
        self.differences = differences
        lines = "; ".join(differences)
        super().__init__(
            f"index at {self.path} was built with different settings ({lines}). "
            f"Rebuild it with `assistant index --rebuild` (or delete {self.path})."
        )


class ModelError(AssistantError):
    """A model is missing, unreadable, or cannot be downloaded."""


class MissingDependencyError(AssistantError, ImportError):
    """An optional dependency is not installed; the message names the extra."""

    def __init__(self, package: str, extra: str = ""):
        how = f"pip install 'assistant[{extra}]'" if extra else f"pip install {package}"
        super().__init__(f"{package} is not installed; install it with `{how}`")
