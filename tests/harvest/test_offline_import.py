"""detect-secrets is imported without `requests` (harvest/offline.py): screening never loads a
network client, a verification call refuses, and the rest of the process still gets the real one."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
{before}
from vjepa_core.harvest import secret_rules, secrets
import detect_secrets.plugins.aws as aws
print("loaded", "requests" in sys.modules, "urllib3" in sys.modules)
print("found", secrets.find_secret("token = 'ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'"))
if type(aws.requests).__name__ == "Offline":  # never call the real one: that would go online
    try:
        aws.requests.post("https://sts.amazonaws.com")
        print("called")
    except RuntimeError as exc:
        print("refused", "no network calls" in str(exc))
import requests
print("later", type(requests.Session).__name__, type(aws.requests).__name__)
"""


def _run(before: str = "") -> list[str]:
    out = subprocess.run([sys.executable, "-c", CHECK.format(before=before)], capture_output=True, text=True,
                         check=True, timeout=120)
    return out.stdout.splitlines()


def test_screening_loads_no_network_client_and_a_verification_refuses() -> None:
    assert _run() == ["loaded False False", "found GitHub token", "refused True", "later type Offline"]


def test_a_real_requests_loaded_before_is_left_alone() -> None:
    assert _run("import requests") == ["loaded True True", "found GitHub token", "later type module"]
