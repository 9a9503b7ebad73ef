"""Importing a library that would reach the network without the network client it never needs here.

detect-secrets (secret_rules.py) imports `requests` in its plugins only to verify a found secret
with its issuer online. We never verify: nothing leaves the machine at run time. `requests` and
what it pulls in (urllib3, charset-normalizer, idna, every text codec) cost ~13 MB and ~0.2 s in
every process that screens files (the server at its first save, each index, each crawl). While
such a library is imported, `requests` is a stand-in that names anything asked of it and refuses
to be called; afterwards `import requests` elsewhere gets the real one.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import NoReturn

NETWORK_CLIENT = "requests"


class Offline(ModuleType):
    """`requests` for a library imported under `without_requests`: every attribute is another
    stand-in (so annotations and `except requests.exceptions.X` clauses import), and a call refuses."""

    def __getattr__(self, name: str) -> Offline:
        if name.startswith("__"):
            raise AttributeError(name)
        return Offline(f"{self.__name__}.{name}")

    def __call__(self, *args: object, **kwargs: object) -> NoReturn:
        raise RuntimeError(f"{self.__name__}: vjepa makes no network calls (a secret is never verified online)")


@contextmanager
def without_requests() -> Iterator[None]:
    """Imports in this block see the `Offline` stand-in for `requests`, unless the real one is loaded."""
    if NETWORK_CLIENT in sys.modules:
        yield
        return
    sys.modules[NETWORK_CLIENT] = Offline(NETWORK_CLIENT)
    try:
        yield
    finally:
        if isinstance(sys.modules.get(NETWORK_CLIENT), Offline):
            del sys.modules[NETWORK_CLIENT]
