"""Defaults of the exit-code rule shared by every command (see :mod:`myomri.outcome`)."""

from __future__ import annotations

__all__ = ["MAX_FAILED_VOXEL_FRACTION"]

#: A voxel-wise fit counts as failed as a whole when more than this fraction of the voxels it
#: tried to fit (fitted + failed) failed. Some failures are normal: 12 of 124,005 voxels of a
#: demo subject (0.01 %); 2.8 % of the real MyoQMRI calf series with the log-linear mono fit
#: (voxels whose signal reaches 0 at the late echoes, which a log cannot fit). Past one voxel in
#: twenty the map has holes that bias ROI means, and the run must say so in its exit code.
MAX_FAILED_VOXEL_FRACTION: float = 0.05
