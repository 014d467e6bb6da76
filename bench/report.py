"""The bench convention: every benchmark ends with a table of its figures and one JSON line."""

from __future__ import annotations

import json
import os
import platform
from typing import Any


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem_gib:.0f} GiB, Python {platform.python_version()}"


RESULTS: dict[str, dict[str, Any]] = {}  # bench name -> figure -> value, for `python -m bench`'s goals table


def report(name: str, rows: list[tuple[str, Any, str]]) -> None:
    """rows: (figure, value, unit)."""
    RESULTS[name] = {r[0]: r[1] for r in rows}
    width = max(len(r[0]) for r in rows)
    print(f"\n{name}  ({machine()})")
    print("-" * (width + 30))
    for figure, value, unit in rows:
        shown = f"{value:,.3f}" if isinstance(value, float) else f"{value}"
        print(f"{figure:<{width}}  {shown:>14} {unit}")
    print(json.dumps({"bench": name, "machine": machine(), **{r[0]: r[1] for r in rows}}))
