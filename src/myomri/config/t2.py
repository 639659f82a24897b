"""Defaults of the T2 mapping stage (mono-exponential and EPG fitting, ROI statistics).

Every default of ``myomri.t2`` and ``myomri.tables.roistats`` lives here. The EPG defaults follow
the published MyoQMRI protocol (Santini et al., Front Neurol 2021;12:630387; Marty et al., NMR
Biomed 2016;29:431-443) so that our maps can be compared with theirs.
"""

from __future__ import annotations

#: Longitudinal relaxation of muscle water and of fat at 3 T (ms).
T1_WATER_MS: float = 1400.0
T1_FAT_MS: float = 365.0
#: Fat T2 (ms) used when it is fixed (Marty et al. 2016).
FAT_T2_MS: float = 151.0

#: Dictionary grid of water T2 (ms): start, stop, number of points. Matching is followed by a
#: continuous refinement, so the grid only has to be fine enough for the cost to be smooth
#: (~2 ms steps). The refinement cannot leave the grid, so the upper end must lie well above
#: the oedematous muscle range (up to ~120 ms): an end at 101 ms clipped every such voxel to
#: 101 ms (status AT_BOUND), -9 ms at a true 110 ms and -19 ms at 120 ms even without noise.
#: It must also stay well below the fat T2 (151 ms): slower water atoms mimic fat. Up to 200 ms,
#: pure-fat voxels were matched as water (FF collapsed); up to 141 ms, fat-rich voxels inside
#: healthy demo muscle drifted to slow water: healthy subject means off by 1.3-1.8 ms. 131 ms
#: keeps 11 ms (~2 noise SDs at SNR 50) above the demo's 120 ms oedema cap.
T2_GRID_MS: tuple[float, float, int] = (15.0, 131.0, 59)
#: Dictionary grid of the relative B1 factor: start, stop, number of points.
B1_GRID: tuple[float, float, int] = (0.5, 1.25, 16)
#: Fat T2 search grid (ms) when the fat T2 is estimated from pure-fat voxels.
FAT_T2_GRID_MS: tuple[float, float, int] = (60.0, 300.0, 121)
#: Voxels with a fitted FF at least this high are used to estimate the fat T2.
PURE_FAT_FF: float = 0.9
#: Minimum number of pure-fat voxels needed to estimate the fat T2.
PURE_FAT_MIN_VOXELS: int = 20

#: Slice-profile correction (MyoQMRI-like): Hann-windowed sinc pulses of time-bandwidth 2,
#: refocusing slice 1.2 x the excitation slice, excitation profile sampled at 20 positions.
#: ``SLICE_PROFILE`` is the library default of ``EPGModel``; the commands choose from the series'
#: acquisition type instead (``t2.acquisition.choose_slice_profile``: on for 2-D multi-slice).
SLICE_PROFILE: bool = False
PULSE_TBW: float = 2.0
REFOCUSING_WIDTH_FACTOR: float = 1.2
PROFILE_POSITIONS: int = 20
PULSE_SAMPLES: int = 100
PROFILE_FREQ_SAMPLES: int = 1024
PROFILE_KEEP_SAMPLES: int = 199
#: The slice profile is cut where the flip falls below this fraction of the nominal flip.
PROFILE_CUTOFF_FRACTION: float = 0.01
#: How positions across the slice are sampled: "myoqmri" (MyoQMRI 2.0.2's binning, which leaves
#: the refocusing profile unstretched; the default, so a default fit reproduces the reference
#: implementation: median water-T2 difference +0.98 ms on its calf series, against +2.1 ms for
#: the alternative) or "interpolate" (the refocusing profile truly stretched by the width factor).
PROFILE_SAMPLING: str = "myoqmri"

#: Nominal flip angles (degrees).
EXCITATION_ANGLE: float = 90.0
REFOCUSING_ANGLE: float = 180.0

#: Noise threshold on the per-voxel maximum signal. ``None`` means automatic:
#: ``NOISE_AUTO_FRACTION`` x the 99.5th percentile of the per-voxel maxima.
NOISE_THRESHOLD: float | None = None
NOISE_AUTO_FRACTION: float = 0.05
NOISE_AUTO_PERCENTILE: float = 99.5

#: Fat fraction: ``None`` = fitted (free); a number or a map fixes it.
FAT_FRACTION: float | None = None

#: EPG matching criterion: "lsq" (least squares, free M0) or "myoqmri" (squared signals
#: normalised to the first echo, MyoQMRI 2.0.2's criterion, refined continuously).
EPG_OBJECTIVE: str = "lsq"
#: B1 offsets of the extra starting points of the "myoqmri" refinement (0 = the LSQ match).
MYOQMRI_B1_STARTS: tuple[float, ...] = (0.0, -0.1, 0.1, -0.2, 0.2)

#: Levenberg-Marquardt iterations of the continuous refinement after dictionary matching.
LM_MAX_ITER: int = 12
#: The squared, normalised "myoqmri" criterion has flatter valleys and needs more iterations.
MYOQMRI_LM_MAX_ITER: int = 30

#: Voxels per chunk in dictionary matching (bounds memory: chunk x atoms floats).
CHUNK_VOXELS: int = 8192
#: Threads that match and refine chunks at once (the compiled kernels release the GIL; each
#: voxel's result is independent of the others, so the maps do not depend on it). None: all
#: cores. Slabs fitted in worker processes (``fit_volume(n_jobs > 1)``) use one thread each.
THREADS: int | None = None

#: Mono-exponential fitting.
MONO_METHOD: str = "loglinear"
MONO_T2_BOUNDS_MS: tuple[float, float] = (1.0, 2000.0)
MONO_NNLS_GRID_MS: tuple[float, float, int] = (1.0, 2000.0, 400)  # log-spaced
MONO_MAX_ITER: int = 50

#: Minimum number of echoes for any fit.
MIN_ECHOES: int = 3
#: Relative tolerance on equal echo spacing (EPG needs TE_n = n * ESP).
ECHO_SPACING_RTOL: float = 0.01

#: ROI statistics: voxels of the map equal to this value are "not fitted" and excluded.
ROI_UNFITTED_VALUE: float = 0.0

#: QMRITools demo ``T2data.nii.gz`` layout (see the reference README): 17 echoes per slice then
#: one T2-map frame per slice, frames in file order with the slice index running fastest.
QMRITOOLS_N_ECHOES: int = 17
QMRITOOLS_ECHO_SPACING_MS: float = 7.6
