"""Rigid registration between two series of one subject (mutual information, multi-resolution).

Seed paper 2 drew the muscles on the Dixon series and carried them to the T2 map through the DICOM
geometry, then corrected by hand the residual misalignment between the two (the patient moves
between series). :func:`register_rigid` finds that correction: a rigid (6-parameter) transform that
maximises Mattes mutual information, so it works across contrasts (Dixon water onto a MESE echo).

Convention (ITK's): the transform ``T`` maps a world point (LPS mm) of the FIXED image to the point
of the MOVING image that shows the same anatomy; resampling MOVING at ``T(x)`` for every voxel
centre ``x`` of FIXED puts it onto FIXED's grid. ``translation_mm`` is the displacement of the
centre of FIXED's grid, ``rotation_deg`` the Euler angles about the L, P and S axes (applied in
ITK's Z-X-Y order), both in FIXED's world.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ..config import register as cfg
from ..errors import FitError, GeometryError, InputError
from ..io.image import Image
from ._sitk import from_sitk, to_sitk

__all__ = [
    "RegistrationResult",
    "register_rigid",
    "resample_to_fixed",
    "overlap_fraction",
    "transform_points",
    "rotation_angle_deg",
    "into_fixed_world",
]


@dataclass(frozen=True)
class RegistrationResult:
    """Outcome of :func:`register_rigid` (a kept identity when ``accepted`` is False).

    Attributes
    ----------
    translation_mm, rotation_deg : tuple of 3 floats
        The correction found (also when refused, so that the report can show it).
    center_mm : tuple of 3 floats
        Centre of rotation (the centre of FIXED's grid), LPS mm.
    metric_before, metric_after : float
        Mattes mutual information at the identity and at the correction (negative: lower is better).
    accepted : bool
        False when the correction exceeded the sanity bound; the identity is then what applies.
    reason : str
        Why a correction was refused ('' when accepted).
    iterations : int
        Optimiser iterations at the finest level.
    """

    translation_mm: tuple[float, float, float]
    rotation_deg: tuple[float, float, float]
    center_mm: tuple[float, float, float]
    metric_before: float
    metric_after: float
    accepted: bool = True
    reason: str = ""
    iterations: int = 0
    bounds: dict = field(default_factory=dict)

    @property
    def applied_parameters(self) -> tuple[float, ...]:
        """Euler3D parameters (rx, ry, rz in radians, tx, ty, tz) that apply: identity if refused."""
        if not self.accepted:
            return (0.0,) * 6
        return tuple(float(np.deg2rad(a)) for a in self.rotation_deg) + tuple(self.translation_mm)

    def to_dict(self) -> dict:
        """JSON-ready dict, with the applied transform in ITK form (Euler3DTransform)."""
        out = asdict(self)
        out["metric"] = "MattesMutualInformation (negative; lower is better)"
        out["rotation_angle_deg"] = rotation_angle_deg(self.rotation_deg)
        out["translation_norm_mm"] = float(np.linalg.norm(self.translation_mm))
        out["itk_transform"] = {
            "Transform": "Euler3DTransform_double_3_3",
            "Parameters": list(self.applied_parameters),
            "FixedParameters": list(self.center_mm) + [0.0],
            "convention": "maps FIXED world points (LPS mm) to MOVING world points",
        }
        return out

    def sitk_transform(self):
        """The applied transform as a SimpleITK ``Euler3DTransform``."""
        import SimpleITK as sitk

        tx = sitk.Euler3DTransform()
        tx.SetCenter(self.center_mm)
        tx.SetParameters(self.applied_parameters)
        return tx


def _euler_matrix(rotation_deg) -> np.ndarray:
    """ITK Euler3D rotation matrix (R = Rz Rx Ry, ITK's default order) for angles in degrees."""
    rx, ry, rz = np.deg2rad(np.asarray(rotation_deg, dtype=float))
    cx, sx, cy, sy, cz, sz = np.cos(rx), np.sin(rx), np.cos(ry), np.sin(ry), np.cos(rz), np.sin(rz)
    mx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    my = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    mz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return mz @ mx @ my


def rotation_angle_deg(rotation_deg) -> float:
    """Total rotation angle (axis-angle, degrees) of ITK Euler angles ``rotation_deg``."""
    r = _euler_matrix(rotation_deg)
    return float(np.degrees(np.arccos(np.clip((np.trace(r) - 1.0) / 2.0, -1.0, 1.0))))


def transform_points(result: RegistrationResult, points: np.ndarray, *, applied: bool = True) -> np.ndarray:
    """Map FIXED world points ``(n, 3)`` to MOVING world points with the (applied) transform."""
    pts = np.asarray(points, dtype=float).reshape(-1, 3)
    if applied and not result.accepted:
        return pts.copy()
    c = np.asarray(result.center_mm)
    return (pts - c) @ _euler_matrix(result.rotation_deg).T + c + np.asarray(result.translation_mm)


def _spatial(image: Image, name: str) -> Image:
    """The first volume of a 4-D image (the first echo of a MESE series), checked for slices."""
    img = image.volume(0) if image.array.ndim == 4 else image
    if img.spatial_shape[2] < 2:
        where = f" ({image.source})" if image.source else ""
        raise InputError(
            f"{name} image{where} has one slice {img.spatial_shape}; rigid 3-D registration "
            "needs a volume of at least 2 slices"
        )
    return img


def overlap_fraction(moving: Image, fixed: Image) -> float:
    """Fraction of FIXED's voxel centres (on a coarse lattice) that fall inside MOVING's grid."""
    steps = [np.linspace(0, n - 1, min(n, 16)) for n in fixed.spatial_shape]
    idx = np.stack(np.meshgrid(*steps, indexing="ij"), axis=-1).reshape(-1, 3)
    mi = moving.world_to_index(fixed.index_to_world(idx))
    n = np.asarray(moving.spatial_shape)
    inside = np.all((mi >= -0.5) & (mi <= n - 0.5), axis=1)
    return float(inside.mean())


def _method(*, bins: int, sampling: float, multires: bool = True):
    import SimpleITK as sitk

    reg = sitk.ImageRegistrationMethod()
    reg.SetMetricAsMattesMutualInformation(numberOfHistogramBins=bins)
    reg.SetMetricSamplingStrategy(reg.REGULAR)
    reg.SetMetricSamplingPercentage(sampling, cfg.SAMPLING_SEED)
    reg.SetInterpolator(sitk.sitkLinear)
    reg.SetOptimizerAsRegularStepGradientDescent(
        learningRate=cfg.LEARNING_RATE,
        minStep=cfg.MIN_STEP,
        numberOfIterations=cfg.MAX_ITERATIONS,
        relaxationFactor=0.5,
        gradientMagnitudeTolerance=1e-8,
    )
    reg.SetOptimizerScalesFromPhysicalShift()
    if multires:
        reg.SetShrinkFactorsPerLevel(list(cfg.SHRINK_FACTORS))
        reg.SetSmoothingSigmasPerLevel(list(cfg.SMOOTHING_SIGMAS_MM))
        reg.SmoothingSigmasAreSpecifiedInPhysicalUnitsOn()
    reg.SetNumberOfThreads(cfg.N_THREADS)
    reg.SetMetricUseMovingImageGradientFilter(cfg.GRADIENT_FILTER)
    reg.SetMetricUseFixedImageGradientFilter(cfg.GRADIENT_FILTER)
    return reg


def _metric(fs, ms, transform, *, bins: int, sampling: float) -> float:
    """Mattes mutual information of ``ms`` through ``transform`` on ``fs`` at full resolution."""
    reg = _method(bins=bins, sampling=sampling, multires=False)
    reg.SetInitialTransform(transform)
    return float(reg.MetricEvaluate(fs, ms))


def _execute(reg, fs, ms, moving: Image, fixed: Image):
    """The Euler3D transform ``reg`` finds aligning ``ms`` onto ``fs`` (``moving``, ``fixed`` name them in a FitError)."""
    import SimpleITK as sitk

    # the pyramid's shrink and smoothing filters take ITK's global thread count, not the method's:
    # with several threads the same inputs gave corrections differing by 0.02 mm from run to run
    threads = sitk.ProcessObject.GetGlobalDefaultNumberOfThreads()
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(cfg.N_THREADS)
    try:
        found = reg.Execute(fs, ms)
    except RuntimeError as exc:  # ITK's message is many lines; its last one describes the failure
        last = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise FitError(
            f"registration of {moving.source or 'moving image'} onto {fixed.source or 'fixed image'} failed: {last}"
        ) from None
    finally:
        sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(threads)
    # Execute returns a composite (inPlace=False); its one member is the Euler transform
    while found.GetName() == "CompositeTransform":
        found = sitk.CompositeTransform(found).GetNthTransform(0)
    return sitk.Euler3DTransform(found)


def register_rigid(
    moving: Image,
    fixed: Image,
    *,
    max_translation_mm: float = cfg.MAX_TRANSLATION_MM,
    max_rotation_deg: float = cfg.MAX_ROTATION_DEG,
    bins: int = cfg.HISTOGRAM_BINS,
    sampling: float = cfg.SAMPLING_PERCENTAGE,
) -> RegistrationResult:
    """Rigid transform aligning ``moving`` to ``fixed`` by Mattes mutual information.

    Parameters
    ----------
    moving, fixed : Image
        3-D images of one subject (a 4-D image contributes its first volume) in one world (LPS).
    max_translation_mm, max_rotation_deg : float
        Sanity bound: a larger correction is returned with ``accepted=False`` (identity kept).
    bins, sampling : int, float
        Histogram bins and sampled fraction of FIXED's voxels.

    Returns
    -------
    RegistrationResult

    Raises
    ------
    GeometryError
        When the two grids do not overlap (no common anatomy to align).
    FitError
        When the optimiser fails (e.g. every sample falls outside MOVING).
    """
    import SimpleITK as sitk

    mov, fix = _spatial(moving, "moving"), _spatial(fixed, "fixed")
    frac = overlap_fraction(mov, fix)
    if frac < cfg.MIN_OVERLAP_FRACTION:
        raise GeometryError(
            f"moving image {mov.describe_grid()} ({moving.source or 'in memory'}) and fixed image "
            f"{fix.describe_grid()} ({fixed.source or 'in memory'}) do not overlap ({frac:.0%} of the fixed grid "
            f"inside the moving grid, expected at least {cfg.MIN_OVERLAP_FRACTION:.0%}): not the same anatomy "
            "or not the same world coordinates"
        )
    fs = sitk.Cast(to_sitk(fix.with_array(fix.array.astype(np.float32))), sitk.sitkFloat32)
    ms = sitk.Cast(to_sitk(mov.with_array(mov.array.astype(np.float32))), sitk.sitkFloat32)
    centre = fix.index_to_world((np.asarray(fix.spatial_shape) - 1) / 2.0).ravel()
    init = sitk.Euler3DTransform()
    init.SetCenter([float(c) for c in centre])
    before = _metric(fs, ms, init, bins=bins, sampling=sampling)
    reg = _method(bins=bins, sampling=sampling)
    reg.SetInitialTransform(init, inPlace=False)
    found = _execute(reg, fs, ms, moving, fixed)
    params = found.GetParameters()
    rot = (float(np.degrees(params[0])), float(np.degrees(params[1])), float(np.degrees(params[2])))
    trans = (float(params[3]), float(params[4]), float(params[5]))
    after = _metric(fs, ms, found, bins=bins, sampling=sampling)
    result = RegistrationResult(
        trans,
        rot,
        (float(centre[0]), float(centre[1]), float(centre[2])),
        before,
        after,
        iterations=int(reg.GetOptimizerIteration()),
        bounds={"max_translation_mm": float(max_translation_mm), "max_rotation_deg": float(max_rotation_deg)},
    )
    return _bounded(result, max_translation_mm, max_rotation_deg)


def _bounded(result: RegistrationResult, max_mm: float, max_deg: float) -> RegistrationResult:
    """``result``, refused (identity kept) when it exceeds the sanity bound."""
    shift = float(np.linalg.norm(result.translation_mm))
    angle = rotation_angle_deg(result.rotation_deg)
    problems = []
    if shift > max_mm:
        problems.append(f"translation {shift:.1f} mm > {max_mm:g} mm")
    if angle > max_deg:
        problems.append(f"rotation {angle:.1f} deg > {max_deg:g} deg")
    if not problems:
        return result
    from dataclasses import replace

    return replace(
        result, accepted=False, reason="correction beyond the sanity bound (" + ", ".join(problems) + "); identity kept"
    )


def resample_to_fixed(
    moving: Image,
    fixed: Image,
    result: RegistrationResult | None = None,
    *,
    interpolator: str = "linear",
    default_value: float = 0.0,
) -> Image:
    """``moving`` resampled onto ``fixed``'s grid through the applied transform (identity if None).

    ``interpolator`` is ``'linear'`` for images and ``'nearest'`` for label maps; a 4-D MOVING is
    resampled volume by volume and keeps its echo times.
    """
    import SimpleITK as sitk

    if interpolator not in ("linear", "nearest"):
        raise InputError(f"interpolator {interpolator!r}: expected 'linear' or 'nearest'")
    interp = sitk.sitkLinear if interpolator == "linear" else sitk.sitkNearestNeighbor
    tx = result.sitk_transform() if result is not None else sitk.Euler3DTransform()
    fix = fixed.volume(0) if fixed.array.ndim == 4 else fixed
    ref = to_sitk(fix.with_array(np.zeros(fix.spatial_shape, dtype=np.float32)))
    vols = [moving.volume(t) for t in range(moving.n_volumes)] if moving.array.ndim == 4 else [moving]
    out = []
    for vol in vols:
        src = to_sitk(vol.with_array(np.asarray(vol.array)))
        res = sitk.Resample(src, ref, tx, interp, float(default_value), src.GetPixelID())
        out.append(from_sitk(res, like=vol).array)
    arr = np.stack(out, axis=-1) if moving.array.ndim == 4 else out[0]
    img = Image(
        arr,
        spacing=fix.spacing,
        origin=fix.origin,
        direction=fix.direction,
        echo_times=moving.echo_times if moving.array.ndim == 4 else None,
        meta=dict(moving.meta),
        source=moving.source,
    )
    return img


def into_fixed_world(image: Image, result: RegistrationResult) -> Image:
    """``image`` (on MOVING's grid, e.g. labels drawn on it) with its header moved into FIXED's world.

    The voxels are untouched: only origin and direction change, by the inverse of the applied
    transform (``p -> R^T (p - c - t) + c``), so a label map stays a label map and can then be
    carried onto FIXED's grid through world coordinates as if the patient had not moved. A refused
    result returns ``image`` unchanged.
    """
    if not result.accepted:
        return image
    rot = _euler_matrix(result.rotation_deg)
    c, t = np.asarray(result.center_mm), np.asarray(result.translation_mm)
    origin = rot.T @ (np.asarray(image.origin) - c - t) + c
    return Image(
        image.array,
        spacing=image.spacing,
        origin=origin,
        direction=rot.T @ image.direction,
        echo_times=image.echo_times,
        meta=dict(image.meta),
        source=image.source,
    )
