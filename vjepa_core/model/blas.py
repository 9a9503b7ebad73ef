"""The fast CPU path: run MLX on the system's OpenBLAS instead of the wheel's reference BLAS.

The mlx-cpu wheel for Linux bundles a reference BLAS (about 7.5 GFLOPS for float32 matmul
here); Debian's OpenBLAS (`libopenblas0-pthread`) gives about 127 GFLOPS. Its libblas.so.3
exports the standard symbols, so preloading it makes MLX's matmuls use it. A library can
only be preloaded at process start, so `ensure_fast_blas()` re-executes the command once
with LD_PRELOAD set, before MLX is imported. `VJEPA_BLAS=reference` turns this off.
"""

from __future__ import annotations

import os
import shutil
import sys

ENV_CHOICE = "VJEPA_BLAS"  # "auto" (default) or "reference"
_ENV_DONE = "VJEPA_BLAS_REEXEC"

OPENBLAS_CANDIDATES: tuple[str, ...] = (
    "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3",
    "/usr/lib/aarch64-linux-gnu/openblas-pthread/libblas.so.3",
    "/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3",
    "/usr/lib/aarch64-linux-gnu/openblas-openmp/libblas.so.3",
    "/usr/lib64/libopenblas.so.0",
    "/usr/lib/libopenblas.so.0",
)


def openblas_library() -> str | None:
    """The first system OpenBLAS that exports the standard BLAS symbols, if any."""
    for path in OPENBLAS_CANDIDATES:
        if os.path.exists(path):
            return path
    return None


# How each package manager installs an OpenBLAS that OPENBLAS_CANDIDATES finds.
INSTALL_COMMANDS: tuple[tuple[str, str], ...] = (
    ("apt-get", "sudo apt-get install -y libopenblas0-pthread"),
    ("dnf", "sudo dnf install -y openblas"),
    ("pacman", "sudo pacman -S --needed openblas"),
)


def openblas_fix() -> str:
    """What installs the system OpenBLAS on this machine: "run `<command>`", or words when no
    package manager here is known."""
    for tool, command in INSTALL_COMMANDS:
        if shutil.which(tool):
            return f"run `{command}`"
    return "install your system's OpenBLAS (libopenblas)"


def slow_path_fix() -> str | None:
    """The fix when this machine can only run MLX on the slow reference BLAS (Linux, no system
    OpenBLAS, not chosen with VJEPA_BLAS=reference); None when the fast path is there."""
    if not sys.platform.startswith("linux") or os.environ.get(ENV_CHOICE, "auto") == "reference":
        return None
    return None if openblas_library() else openblas_fix()


def _loaded_libraries() -> str:
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""


def active_blas() -> dict[str, str]:
    """Which BLAS MLX's CPU matmuls use in this process, in words, for `vjepa status`."""
    if sys.platform == "darwin":
        return {"path": "accelerate", "detail": "Apple Accelerate (built into MLX on macOS)"}
    maps = _loaded_libraries()
    # numpy's own OpenBLAS may be mapped too, but under renamed symbols MLX cannot use: look
    # for a system BLAS library by its path.
    lib = next((p for p in OPENBLAS_CANDIDATES if p in maps), None)
    if lib:
        return {"path": "openblas", "detail": f"fast path: system OpenBLAS ({lib})"}
    if os.environ.get(ENV_CHOICE, "auto") == "reference":
        return {"path": "reference", "detail": "reference BLAS bundled with mlx (VJEPA_BLAS=reference)"}
    fix = slow_path_fix()
    hint = f"{fix}: it gives training and `vjepa next` the fast path, about 15x faster" if fix else \
        "OpenBLAS is installed but not loaded in this process (the `vjepa` command loads it)"
    return {"path": "reference", "detail": f"slow path: the reference BLAS bundled with mlx ({hint})"}


def ensure_fast_blas() -> None:
    """Re-execute this command once with OpenBLAS preloaded, when it helps and is possible."""
    if not sys.platform.startswith("linux") or os.environ.get(ENV_CHOICE, "auto") == "reference":
        return
    if os.environ.get(_ENV_DONE) or "mlx" in sys.modules:
        return
    lib = openblas_library()
    if lib is None or lib in os.environ.get("LD_PRELOAD", ""):
        return
    env = dict(os.environ)
    env["LD_PRELOAD"] = ":".join(p for p in (lib, env.get("LD_PRELOAD", "")) if p)
    # OpenBLAS's own threads fight MLX's for the cores: the next-file trainer's small products
    # ran 4.7x slower with them; the encoder's large ones only 14% faster. One thread, unless set.
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env[_ENV_DONE] = "1"
    argv = list(getattr(sys, "orig_argv", [])) or [sys.executable, *sys.argv]
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, [sys.executable, *argv[1:]], env)
    except OSError:
        return  # carry on with the reference BLAS; `vjepa status` says so


def _openblas_handle():  # type: ignore[no-untyped-def]
    """The OpenBLAS loaded in this process (preloaded by the fast path), or None."""
    import ctypes

    lib = next((p for p in OPENBLAS_CANDIDATES if p in _loaded_libraries()), None)
    if lib is None:
        return None
    try:
        handle = ctypes.CDLL(lib)  # already mapped: the same library, not a second copy
        handle.openblas_get_num_threads.restype = ctypes.c_int
        return handle
    except (OSError, AttributeError):
        return None


class blas_threads:  # used like a function: `with blas_threads(2): ...`
    """Run a block with OpenBLAS on `n` threads, then go back to the count before.

    Training keeps one thread (its small products slow down with more), but the encoder's large
    inference matmuls gain from every core. Does nothing without the fast path.
    """

    def __init__(self, n: int | None = None) -> None:
        self.n = n or os.cpu_count() or 1
        self.before: int | None = None
        self._handle = None

    def __enter__(self) -> blas_threads:  # noqa: PYI034
        self._handle = _openblas_handle()
        if self._handle is not None:
            self.before = int(self._handle.openblas_get_num_threads())
            self._handle.openblas_set_num_threads(self.n)
        return self

    def current(self) -> int | None:
        return int(self._handle.openblas_get_num_threads()) if self._handle is not None else None

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None and self.before is not None:
            self._handle.openblas_set_num_threads(self.before)
