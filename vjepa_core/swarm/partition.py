"""Units -> shards: whole files per shard, balanced by size (largest file first to the lightest shard)."""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Sequence

from vjepa_core.harvest.units import CodeUnit


def partition_by_file(units: Sequence[CodeUnit], shards: int) -> list[list[CodeUnit]]:
    """Split `units` into `shards` lists; a file's units stay together; shard sizes (bytes of unit text)
    are balanced greedily (LPT). Deterministic: ties break by path. Needs at least `shards` files."""
    if shards < 1:
        raise ValueError("shards must be at least 1")
    by_file: dict[str, list[CodeUnit]] = defaultdict(list)
    for u in units:
        by_file[u.path].append(u)
    if len(by_file) < shards:
        raise ValueError(f"{len(by_file)} files cannot fill {shards} shards")
    size = {p: sum(len(u.text.encode("utf-8", "replace")) for u in us) for p, us in by_file.items()}
    heap = [(0, s) for s in range(shards)]
    out: list[list[CodeUnit]] = [[] for _ in range(shards)]
    for path in sorted(by_file, key=lambda p: (-size[p], p)):
        load, s = heapq.heappop(heap)
        out[s].extend(by_file[path])
        heapq.heappush(heap, (load + size[path], s))
    return out
