"""Opening an index imports LanceDB without its REST client's API classes, and anything that asks
for the client package still gets all of it. In a fresh interpreter each (imports are global)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from pathlib import Path
from vjepa_core.index.store import Store
store = Store.open(Path(sys.argv[1]) / "idx", Path(sys.argv[1]), create=True)
print("api" if "lance_namespace_urllib3_client.api" in sys.modules else "no-api")
import lance_namespace_urllib3_client as client
print(client.ApiClient.__name__, client.TableApi.__name__)
print("api" if "lance_namespace_urllib3_client.api" in sys.modules else "no-api")
"""


def test_an_index_opens_without_the_rest_client_and_the_client_is_whole_when_asked(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["no-api", "ApiClient", "TableApi", "api"]
