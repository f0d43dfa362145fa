"""Facts about the machine that set thread and process counts."""

from __future__ import annotations

import os
from pathlib import Path


def physical_cores(cpuinfo: str | os.PathLike = "/proc/cpuinfo") -> int:
    """Physical cores this process may use: hyper-threads add little to
    llama.cpp or to CPU-bound tokenization, and a container's CPU set can be
    smaller than the machine. `cpuinfo`: the kernel's CPU description (or a
    saved copy of another machine's)."""
    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        cores, phys, core = set(), None, None
        with open(cpuinfo, encoding="utf-8") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "physical id":
                    phys = value.strip()
                elif key == "core id":
                    core = value.strip()
                elif not line.strip() and core is not None:
                    cores.add((phys, core))
                    phys = core = None
        if core is not None:
            cores.add((phys, core))
        return max(1, min(len(cores), allowed)) if cores else max(1, allowed)
    except OSError:
        return max(1, allowed)


def cache_dir() -> Path:
    """Per-user cache of derived data (the parsed CC-CEDICT dictionary)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "assistant"
