"""``cores.keep_freed_memory``: freed arrays are reused from the heap, not faulted in afresh."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

# a fresh interpreter per measurement: the setting is process-wide and cannot be undone
_PROBE = """
import resource, sys
import numpy as np
from myomri import cores
ok = cores.keep_freed_memory() if sys.argv[1] == "on" else None
for n in (1 << 21, 1 << 18):  # the largest arrays once (16 MB and 2 MB): their pages are faulted in
    np.ones(n).sum()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for k in range(20):  # then arrays of 4-16 MB, as a batch's cases differ, each freed again
    a = np.ones((1 << 19) * (1 + k % 4))
    b = np.ones(1 << 18)
    a.sum()
    del a, b
print(ok, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> tuple[str, int]:
    out = subprocess.run([sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, check=True).stdout.split()
    return out[0], int(out[1])


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc mallopt")
def test_freed_arrays_are_reused_without_new_page_faults():
    ok, on = _faults("on")
    _, off = _faults("off")
    pages = (4 << 20) // 4096  # one 4 MB array, the smallest of the loop
    assert ok == "True"
    assert off > pages  # glibc's default: freed arrays go back to the system and fault in again
    assert on < pages and 4 * on < off  # kept: later arrays reuse the pages the first ones faulted in


def test_other_c_libraries_are_left_alone(monkeypatch):
    from myomri import cores

    monkeypatch.setattr(platform, "libc_ver", lambda *a, **k: ("musl", "1.2"))
    assert cores.keep_freed_memory() is False
