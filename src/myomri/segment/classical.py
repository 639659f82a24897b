"""Classical whole-muscle segmentation of axial thigh MRI: thresholds and morphology, no training.

From a Dixon pair (water + fat) or one T1/T2-weighted image (fat bright), slice by slice:

1. body mask: signal above a fraction of the Otsu background/tissue threshold, opened, holes
   filled, the (at most two) largest components of at least thigh size kept;
2. fat vs lean: Otsu threshold of the fat fraction ``fat / (fat + water)`` (or of the normalised
   intensity) inside the body;
3. legs: split at the narrowest point of the body's left-right profile, so touching thighs are
   handled separately;
4. muscle compartment per leg: the convex hull of the lean components that lie deep below the skin
   (lean tissue opened first, so skin and vessels drop out); the thigh's fascia is close to convex;
5. femur: compact components of dark cortex plus the marrow it encloses, inside the compartment;
6. labels: lean in the compartment = muscle, fat in the compartment = inter/intramuscular fat,
   fat outside it = subcutaneous fat (values in :data:`myomri.config.segment.TISSUE_LABELS`).

Fat-infiltrated muscle (dystrophy, chronic myositis) is labelled as intramuscular fat, not muscle:
the union of labels 1 and 4 is the muscle compartment.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from ..config import segment as cfg
from ..errors import ConfigError, GeometryError, InputError
from ..io.image import Image

__all__ = ["segment_classical", "compute_fat_fraction", "compute_dice", "muscle_mask"]

MUSCLE, SUBCUT, BONE, IMFAT, OTHER = 1, 2, 3, 4, 5


def _where(image: Image) -> str:
    return image.source or "image"


def _check_input(image: Image, role: str) -> np.ndarray:
    """3-D finite, non-empty float array of ``image`` or a typed error naming the file."""
    if image.array.ndim != 3:
        raise InputError(
            f"{_where(image)}: {role} image has shape {image.shape} (4-D); expected one 3-D volume "
            "[i, j, k] (choose one echo or volume first)"
        )
    arr = np.asarray(image.array, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise InputError(
            f"{_where(image)}: {role} image holds {int((~np.isfinite(arr)).sum())} "
            "NaN/inf voxels; expected finite intensities"
        )
    if not np.any(arr != 0) or np.ptp(arr) == 0:
        raise InputError(f"{_where(image)}: {role} image is constant ({arr.flat[0]:g} everywhere); expected image data")
    return arr


def _check_grids(water: Image, fat: Image) -> None:
    from ..preprocess.geometry import grid_mismatches

    diffs = grid_mismatches(fat, water)
    if diffs:
        raise GeometryError(
            f"fat image {_where(fat)} ({fat.describe_grid()}) and water image {_where(water)} "
            f"({water.describe_grid()}) are on different grids [{'; '.join(diffs)}]; expected the "
            "two Dixon images of one series"
        )


def _settings(options: dict) -> dict:
    unknown = sorted(set(options) - set(cfg.CLASSICAL))
    if unknown:
        raise ConfigError(
            [f"unknown classical segmentation setting {k!r}" for k in unknown]
            + [f"valid settings: {sorted(cfg.CLASSICAL)}"]
        )
    return {**cfg.CLASSICAL, **options}


def _otsu(values: np.ndarray) -> float:
    from skimage.filters import threshold_otsu

    return float(threshold_otsu(values)) if np.ptp(values) > 0 else float(values.flat[0])


def _disk(radius_mm: float, pixel_mm: float) -> np.ndarray:
    r = max(1, int(round(radius_mm / pixel_mm)))
    y, x = np.ogrid[-r : r + 1, -r : r + 1]
    return x * x + y * y <= r * r


def compute_fat_fraction(water: np.ndarray, fat: np.ndarray) -> np.ndarray:
    """Signal fat fraction ``fat / (fat + water)`` (magnitudes; 0 where both are 0)."""
    water, fat = np.abs(water), np.abs(fat)
    total = water + fat
    return np.divide(fat, total, out=np.zeros_like(total, dtype=float), where=total > 0)


def compute_dice(a: np.ndarray, b: np.ndarray) -> float:
    """Dice overlap ``2|A n B| / (|A| + |B|)`` of two binary masks (1.0 when both are empty)."""
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    denom = a.sum() + b.sum()
    return 1.0 if denom == 0 else float(2.0 * np.logical_and(a, b).sum() / denom)


def muscle_mask(tissue: Image | np.ndarray, *, compartment: bool = False) -> np.ndarray:
    """Binary muscle mask of a tissue label map (``compartment`` adds intramuscular fat)."""
    arr = tissue.array if isinstance(tissue, Image) else np.asarray(tissue)
    return np.isin(arr, (MUSCLE, IMFAT)) if compartment else arr == MUSCLE


def _lr_axis(image: Image) -> int:
    """In-plane array axis (0 or 1) closest to the patient's left-right direction."""
    return int(np.argmax(np.abs(image.direction[0, :2])))


def _body_slice(signal2d: np.ndarray, threshold: float, px: float, s: dict) -> np.ndarray:
    body = ndi.binary_opening(signal2d > threshold, _disk(s["body_opening_mm"], px))
    body = ndi.binary_fill_holes(body)
    lab, n = ndi.label(body)
    if n == 0:
        return body
    areas = ndi.sum(body, lab, np.arange(1, n + 1)) * px * px
    order = np.argsort(areas)[::-1][: int(s["max_legs"])]
    keep = [i + 1 for i in order if areas[i] >= s["min_leg_area_mm2"]]
    return np.isin(lab, keep)


def _split_legs(body: np.ndarray, lr_axis: int, px: float, s: dict) -> list[np.ndarray]:
    """Masks of the two legs, cut at the narrowest point of the middle of the body profile.

    One mask (the whole body) when the body is no wider than one thigh and its profile has no
    waist: a single thigh is not cut in half. Two thighs pressed together (or the pelvis level)
    are wider than one thigh and are still cut at their narrowest point.
    """
    profile = body.sum(axis=1 - lr_axis)
    cols = np.flatnonzero(profile)
    lo, hi = int(cols[0]), int(cols[-1])
    a, b = lo + int(0.3 * (hi - lo)), lo + int(0.7 * (hi - lo))
    cut = a + int(np.argmin(profile[a : b + 1]))
    narrow = profile[cut] < s["leg_waist_ratio"] * min(
        profile[lo:cut].max(initial=0), profile[cut : hi + 1].max(initial=0)
    )
    if not narrow and (hi - lo + 1) * px < s["single_leg_max_width_mm"]:
        return [body]
    index = np.arange(body.shape[lr_axis])
    left = (index < cut)[:, None] if lr_axis == 0 else (index < cut)[None, :]
    left = np.broadcast_to(left, body.shape)
    return [body & left, body & ~left]


def _compartment(lean: np.ndarray, depth: np.ndarray, side: np.ndarray, s: dict) -> np.ndarray:
    lab, n = ndi.label(lean & side)
    if n == 0:
        return np.zeros_like(lean)
    idx = np.arange(1, n + 1)
    on = lab > 0
    areas = np.bincount(lab[on], minlength=n + 1)[1:]
    deepest = np.zeros(n + 1)
    np.maximum.at(deepest, lab[on], depth[on])  # far cheaper than ndi.maximum's argsort
    keep = idx[(areas >= s["min_component_fraction"] * areas.max()) & (deepest[1:] >= s["min_muscle_depth_mm"])]
    if keep.size == 0:
        return np.zeros_like(lean)
    sl, hull = _hull_in_box(np.isin(lab, keep))
    out = np.zeros_like(lean)
    out[sl] = hull
    return out & side


def _hull_in_box(mask: np.ndarray) -> tuple[tuple[slice, slice], np.ndarray]:
    from skimage.morphology import convex_hull_image

    sl = ndi.find_objects(mask.astype(np.int8))[0]
    return sl, convex_hull_image(mask[sl])


def _femur(dark: np.ndarray, fat: np.ndarray, comp: np.ndarray, side: np.ndarray, px: float, s: dict) -> np.ndarray:
    """The femur of one leg: the convex hull of one or two pieces of dark cortex around marrow.

    The cortex is the only dark ring inside the compartment; partial volume and chemical shift
    often break it into two arcs, so single pieces and pairs of pieces are tried. A candidate
    hull must be femur-sized, round, mostly not dark (it encloses marrow) and the enclosed part
    must be fat (marrow), which rules out dark vessels around a patch of muscle.
    """
    out = np.zeros_like(comp)
    if not (comp & side).any():
        return out
    # Only the compartment's box (plus a margin) can hold the femur.
    ci, cj = ndi.find_objects((comp & side).astype(np.int8))[0]
    crop = (slice(max(ci.start - 3, 0), ci.stop + 3), slice(max(cj.start - 3, 0), cj.stop + 3))
    out[crop] = _femur_in_box(dark[crop], fat[crop], (comp & side)[crop], px, s)
    return out & comp


def _femur_in_box(dark: np.ndarray, fat: np.ndarray, comp: np.ndarray, px: float, s: dict) -> np.ndarray:
    ring = ndi.binary_closing(dark & comp, _disk(1.0, px))
    lab, n = ndi.label(ring)
    out = np.zeros_like(ring)
    if n == 0:
        return out
    idx = np.arange(1, n + 1)
    sizes = ndi.sum(ring, lab, idx) * px * px
    pieces = idx[sizes >= s["bone_min_piece_mm2"]]
    pieces = pieces[np.argsort(sizes[pieces - 1])[::-1][: int(s["bone_max_pieces"])]]
    lo, hi = s["bone_area_mm2"]
    best = None
    groups = [(a,) for a in pieces] + [(a, b) for i, a in enumerate(pieces) for b in pieces[i + 1 :]]
    boxes = ndi.find_objects(lab)
    max_extent = 2.0 * np.sqrt(hi / np.pi) / px  # diameter (pixels) of the largest femur disc
    for group in groups:
        # Pieces too far apart to lie on one femur are rejected before any image work.
        lo_i = min(boxes[g - 1][0].start for g in group)
        hi_i = max(boxes[g - 1][0].stop for g in group)
        lo_j = min(boxes[g - 1][1].start for g in group)
        hi_j = max(boxes[g - 1][1].stop for g in group)
        if max(hi_i - lo_i, hi_j - lo_j) > max_extent:
            continue
        # The group's box plus a margin for the opening and the rim's dilation.
        m = int(np.ceil(s["bone_rim_tolerance_mm"] / px)) + 2
        box = (slice(max(lo_i - m, 0), hi_i + m), slice(max(lo_j - m, 0), hi_j + m))
        cortex = np.isin(lab[box], group)
        # Thin dark lines (fascia, vessel walls) touching the cortex would stretch the hull;
        # the cortex itself is thicker and survives a small opening.
        core = ndi.binary_opening(cortex, _disk(s["bone_core_opening_mm"], px))
        cortex = core if core.any() else cortex
        local, hull = _hull_in_box(cortex)
        cortex = cortex[local]
        sl = tuple(slice(b.start + c.start, b.start + c.stop) for b, c in zip(box, local))
        area = hull.sum() * px * px
        if not lo <= area <= hi or hull.sum() < s["bone_min_fill_ratio"] * cortex.sum():
            continue
        ev = np.linalg.eigvalsh(np.cov(np.argwhere(hull).T.astype(float)))
        if np.sqrt(ev[0] / ev[1]) < s["bone_min_axis_ratio"]:
            continue
        # Most of the hull's outline must run along cortex: a femur arc paired with a distant
        # vessel gives a hull with long edges through muscle.
        rim = hull & ~ndi.binary_erosion(hull)
        near = ndi.binary_dilation(cortex, _disk(s["bone_rim_tolerance_mm"], px))
        if near[rim].mean() < s["bone_min_rim_cortex"]:
            continue
        inside = hull & ~cortex
        if fat[sl][inside].mean() < s["bone_min_marrow_fat"]:
            continue
        if best is None or area > best[0]:
            best = (area, sl, hull)
    if best is not None:
        out[best[1]] |= best[2]
    return out


def _levels(water: Image, fat: Image | None, s: dict):
    """Signal, fatness, body masks and the body / fat thresholds of the whole volume."""
    w = _check_input(water, "water" if fat is not None else "input")
    if fat is not None:
        _check_grids(water, fat)
        f = _check_input(fat, "fat")
        signal = np.abs(w) + np.abs(f)
        fatness = compute_fat_fraction(w, f)
    else:
        signal = np.abs(w)
        fatness = None
    positive = signal[signal > 0]
    # Otsu separates background from tissue but may land anywhere in the empty gap between the
    # two modes (noise-free backgrounds); the median tissue level above it is stable.
    above = positive[positive > _otsu(positive)]
    tissue_level = float(np.median(above if above.size else positive))
    body_thr = s["body_fraction"] * tissue_level
    px = float(np.sqrt(water.spacing[0] * water.spacing[1]))
    bodies = np.stack([_body_slice(signal[:, :, k], body_thr, px, s) for k in range(signal.shape[2])], axis=2)
    if not bodies.any():
        raise InputError(
            f"{_where(water)}: no body of at least {s['min_leg_area_mm2']:g} mm2 found in any slice; "
            "expected an axial thigh image"
        )
    if fatness is None:
        # Single weighted image: intensity normalised to its robust maximum inside the body.
        top = np.percentile(signal[bodies], 99.5)
        fatness = np.clip(signal / top, 0.0, 1.0) if top > 0 else np.zeros_like(signal)
    if s["fat_threshold"] is not None:
        fat_thr = float(s["fat_threshold"])
    else:
        lo, hi = s["fat_threshold_range"]
        tissue = bodies & (signal > body_thr)
        fat_thr = float(np.clip(_otsu(fatness[tissue]), lo, hi))
    return signal, fatness, bodies, body_thr, fat_thr


def _label_slice(out, k, signal, fatness, bodies, body_thr, fat_thr, px, lr, s) -> None:
    """Tissue classes of slice ``k`` written into ``out`` (in place)."""
    # Work in the body's bounding box (plus a margin for the morphology): same result, less area.
    bi, bj = ndi.find_objects(bodies[:, :, k].astype(np.int8))[0]
    box = (slice(max(bi.start - 2, 0), bi.stop + 2), slice(max(bj.start - 2, 0), bj.stop + 2), k)
    body = bodies[box]
    tissue = body & (signal[box] > body_thr)
    fat_k = tissue & (fatness[box] >= fat_thr)
    lean = tissue & ~fat_k
    dark = body & ~tissue
    depth = ndi.distance_transform_edt(body) * px
    lean_open = ndi.binary_opening(lean, _disk(s["lean_opening_mm"], px))
    comp = np.zeros_like(body)
    bone = np.zeros_like(body)
    for side in _split_legs(body, lr, px, s):
        c = _compartment(lean_open, depth, side, s)
        comp |= c
        femur = _femur(dark, fat_k, c, side, px, s)
        if not femur.any():
            # Thin cortex seen with partial volume is grey, not black: try a laxer cut.
            dim = body & (signal[box] <= s["bone_retry_factor"] * body_thr)
            femur = _femur(dim, fat_k & ~dim, c, side, px, s)
        bone |= femur
    sl = out[box]
    sl[body] = OTHER
    sl[body & ~comp & fat_k] = SUBCUT
    sl[comp & fat_k] = IMFAT
    sl[comp & ~fat_k] = MUSCLE
    sl[bone] = BONE


def segment_classical(water: Image, *, fat: Image | None = None, **options) -> Image:
    """Segment muscle, subcutaneous fat and bone/marrow in an axial thigh volume.

    Parameters
    ----------
    water : Image
        Dixon water image, or a single T1- or T2-weighted image (fat bright) when ``fat`` is None.
    fat : Image, optional
        Dixon fat image on the same grid as ``water``.
    **options
        Overrides of :data:`myomri.config.segment.CLASSICAL` (unknown names raise ConfigError).

    Returns
    -------
    Image
        uint8 tissue label map on the input grid; values in
        :data:`myomri.config.segment.TISSUE_LABELS`. ``meta`` records the thresholds used.

    Raises
    ------
    InputError
        4-D, constant (e.g. all-zero) or non-finite input, or no thigh-sized body found.
    GeometryError
        ``fat`` and ``water`` are on different grids.
    """
    s = _settings(options)
    signal, fatness, bodies, body_thr, fat_thr = _levels(water, fat, s)
    px = float(np.sqrt(water.spacing[0] * water.spacing[1]))
    lr = _lr_axis(water)
    out = np.zeros(signal.shape, dtype=np.uint8)
    for k in range(signal.shape[2]):
        if bodies[:, :, k].any():
            _label_slice(out, k, signal, fatness, bodies, body_thr, fat_thr, px, lr, s)
    meta = {
        "SegmentationMethod": "classical",
        "FatThreshold": fat_thr,
        "BodyThreshold": body_thr,
        "FatMeasure": "fat fraction" if fat is not None else "normalised intensity",
        "TissueLabels": {str(k): v for k, v in cfg.TISSUE_LABELS.items()},
    }
    return Image(out, spacing=water.spacing, origin=water.origin, direction=water.direction, meta=meta)
