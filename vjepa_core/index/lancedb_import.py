"""Importing LanceDB without its REST client's API classes.

`import lancedb` imports the Lance namespace client (`lance_namespace_urllib3_client`), whose
package `__init__` imports every REST API class; each of their few hundred methods is wrapped in
pydantic's `validate_call`, which builds a schema at import: about 1.3 of LanceDB's 2 seconds of
import here, paid by every command that opens an index. We only open local folders. So the client
package is registered without running its `__init__`: its submodules (the request models LanceDB
uses) import as usual, and the first use of anything else from the package runs the real
`__init__` then, so nothing that needs the REST client can miss it. Any surprise: a plain import.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import Any

CLIENT = "lance_namespace_urllib3_client"


def load_lancedb() -> ModuleType:
    """The `lancedb` module, imported without the REST API classes' schemas where it can be."""
    if "lancedb" not in sys.modules and CLIENT not in sys.modules:
        try:
            _register_client_lazily()
        except (ImportError, ValueError, AttributeError):
            sys.modules.pop(CLIENT, None)
    import lancedb

    return lancedb


def _register_client_lazily() -> None:
    spec = importlib.util.find_spec(CLIENT)
    if spec is None or spec.loader is None or not spec.submodule_search_locations:
        return
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader
    state = {"done": False}

    def finish(name: str) -> Any:
        # Anything asked of the package itself: run its real __init__ once, then answer.
        if name.startswith("__") or state["done"]:
            raise AttributeError(name)
        state["done"] = True
        del module.__getattr__
        loader.exec_module(module)
        return getattr(module, name)

    module.__getattr__ = finish  # type: ignore[method-assign]
    sys.modules[CLIENT] = module
