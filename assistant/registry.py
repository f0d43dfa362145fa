"""The one pattern every kind of backend follows (index engine, embedder,
answerer): a string-keyed registry whose names are those config.py declares,
whose one error lists the valid names, and which imports an implementation
only when it is asked for, with an ImportError naming the extra to install."""

from __future__ import annotations

import importlib
from typing import Generic, Iterator, TypeVar

from .config import check_choice
from .errors import MissingDependencyError

T = TypeVar("T")


class Registry(Generic[T]):
    """`entries`: name -> (module, attribute, extra): the implementation is
    `module.attribute`, and `pip install 'assistant[extra]'` brings what it
    imports (None: the base install has it)."""

    def __init__(self, setting: str, entries: dict[str, tuple[str, str, str | None]]):
        self.setting = setting
        self._entries = dict(entries)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def check(self, name: str) -> None:
        check_choice(self.setting, name, self.names)

    def load(self, name: str) -> T:
        self.check(name)
        module, attribute, extra = self._entries[name]
        try:
            loaded = importlib.import_module(module)
        except ImportError as exc:
            if extra is None or isinstance(exc, MissingDependencyError):
                raise
            raise MissingDependencyError(exc.name or module, extra) from exc
        return getattr(loaded, attribute)


__all__ = ["Registry"]
