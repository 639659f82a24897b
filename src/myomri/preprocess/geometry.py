"""Grid checks and mask transfer between series through world (LPS) coordinates.

Seed paper 2 drew the muscles on the Dixon series and carried the masks to the T2 map through
the DICOM geometry; :func:`transfer_mask` does that, nearest neighbour, for any pair of grids
(oblique, differently spaced, 2-D single-slice ROIs onto 3-D grids).
"""

from __future__ import annotations

import numpy as np

from ..config import io as cfg
from ..errors import GeometryError
from ..io.image import Image
from ..io.masks import mask_labels, validate_mask

__all__ = ["grid_mismatches", "check_same_grid", "transfer_mask"]


def grid_mismatches(a: Image, b: Image, *, atol: float = cfg.GRID_ATOL_MM) -> list[str]:
    """What differs between the spatial grids of ``a`` and ``b`` (empty list when they match).

    Spacing and origin are compared in mm with ``atol``; direction cosines with ``atol`` too.
    """
    out = []
    if a.spatial_shape != b.spatial_shape:
        out.append(f"shape {a.spatial_shape} vs {b.spatial_shape}")
    if not np.allclose(a.spacing, b.spacing, rtol=0, atol=atol):
        out.append(f"spacing {np.round(a.spacing, 4).tolist()} vs {np.round(b.spacing, 4).tolist()} mm")
    if not np.allclose(a.origin, b.origin, rtol=0, atol=atol):
        out.append(f"origin {np.round(a.origin, 3).tolist()} vs {np.round(b.origin, 3).tolist()} mm")
    if not np.allclose(a.direction, b.direction, rtol=0, atol=atol):
        out.append(
            f"direction {a.orientation} vs {b.orientation} "
            f"(max cosine difference {np.max(np.abs(a.direction - b.direction)):.2g})"
        )
    return out


def check_same_grid(
    a: Image, b: Image, *, atol: float = cfg.GRID_ATOL_MM, names: tuple[str, str] = ("mask", "image")
) -> None:
    """Raise :class:`GeometryError` naming both grids (and files) unless they match within ``atol``.

    Examples
    --------
    >>> img = Image(np.zeros((4, 4, 1)))
    >>> check_same_grid(img, img)  # silent when the grids match
    """
    diffs = grid_mismatches(a, b, atol=atol)
    if not diffs:
        return
    where_a = f" ({a.source})" if a.source else ""
    where_b = f" ({b.source})" if b.source else ""
    raise GeometryError(
        f"{names[0]} grid {a.describe_grid()}{where_a} does not match {names[1]} grid "
        f"{b.describe_grid()}{where_b} [{'; '.join(diffs)}]; expected the same grid, or the "
        f"{names[0]} carried onto the {names[1]} grid through world coordinates (transfer_mask)"
    )


def _round(x: np.ndarray) -> np.ndarray:
    # floor(x + 0.5): ties go the same way everywhere (np.round would go to even)
    return np.floor(x + 0.5).astype(np.int64)


def _slab_half(image: Image, slab_thickness: float | None) -> float | None:
    """Half slab thickness in units of the k index for a single-slice grid, else None."""
    if image.spatial_shape[2] != 1:
        return None
    thick = slab_thickness or image.meta.get("SliceThickness") or image.spacing[2]
    return 0.5 * float(thick) / image.spacing[2]


def _inside(idx: np.ndarray, shape, slab_half: float | None) -> tuple[np.ndarray, np.ndarray]:
    """(rounded indices, inside-grid flag) for fractional indices ``idx`` (n, 3)."""
    r = _round(idx)
    n = np.asarray(shape)
    if slab_half is None:
        ok = np.all((r >= 0) & (r < n), axis=1)
    else:
        # single slice: in plane as usual; across, the voxel centre must fall within the slice
        # thickness around the plane (which may be wider or narrower than one k step)
        ok = np.all((r[:, :2] >= 0) & (r[:, :2] < n[:2]), axis=1)
        ok &= np.abs(idx[:, 2]) <= slab_half + 1e-9
        r[:, 2] = 0
    return r, ok


def _pull_labels(src: np.ndarray, tgt_shape, t2s: np.ndarray, src_half: float | None) -> np.ndarray:
    """The label map on a ``tgt_shape`` grid, each voxel taking its nearest ``src`` voxel (0 outside).

    ``t2s`` is the 4x4 index->index affine (target voxel -> fractional ``src`` voxel), composed
    once by the caller; ``src_half`` is :func:`_slab_half` of a single-slice ``src``, else None.
    """
    # one target slice at a time so the coordinate arrays stay small even for 512 x 512 x 200 grids
    out = np.zeros(tgt_shape, dtype=src.dtype)
    ti = np.arange(tgt_shape[0], dtype=float)[:, np.newaxis]
    tj = np.arange(tgt_shape[1], dtype=float)[np.newaxis, :]
    # per mask axis, the in-plane part of the affine as a (ni, nj) array: computed once, the
    # slices only add a constant (no (n, 3) coordinate arrays, no matrix products per slice)
    planes = [ti * t2s[a, 0] + tj * t2s[a, 1] for a in range(3)]
    flat_src = src.reshape(-1)  # C order: flat = (i * nj + j) * nk + k
    n0, n1, n2 = src.shape[:3]
    for k in range(tgt_shape[2]):
        f0, f1, f2 = (planes[a] + (k * t2s[a, 2] + t2s[a, 3]) for a in range(3))
        r0, r1 = _round(f0), _round(f1)
        inside = (r0 >= 0) & (r0 < n0) & (r1 >= 0) & (r1 < n1)
        if src_half is None:
            r2 = _round(f2)
            inside &= (r2 >= 0) & (r2 < n2)
        else:  # single-slice mask: a slab around its plane (see transfer_mask's docstring)
            r2 = np.zeros_like(r0)
            inside &= np.abs(f2) <= src_half + 1e-9
        if inside.any():
            flat = (r0[inside] * n1 + r1[inside]) * n2 + r2[inside]
            out[:, :, k][inside] = flat_src[flat]
    return out


def transfer_mask(
    mask: Image, target: Image, *, slab_thickness: float | None = None, min_overlap: float = 0.0
) -> tuple[Image, float]:
    """Carry a label map onto ``target``'s spatial grid through world (LPS) coordinates.

    Every target voxel centre is mapped into the mask's index space and takes the label of the
    nearest mask voxel (nearest neighbour; labels are never blended). Centres outside the mask
    grid get 0.

    A **single-slice** mask (a 2-D ROI, one slice) is a slab: a target voxel takes a label only
    when its centre lies within half the slice thickness of the ROI plane (thickness from
    ``slab_thickness``, else ``mask.meta['SliceThickness']``, else the mask's k spacing). A
    single-slice *target* likewise collects the mask voxels within its own slab when the overlap
    is computed.

    Parameters
    ----------
    mask : Image
        Integer label map (validated with :func:`myomri.io.masks.validate_mask`).
    target : Image
        Image whose spatial grid the mask is carried onto (3-D or 4-D; only the grid is used).
    slab_thickness : float, optional
        Thickness (mm) of a single-slice mask's slab.
    min_overlap : float
        Raise when the overlap fraction is at or below this (0: raise only when nothing lands).

    Returns
    -------
    (Image, float)
        The label map on ``target``'s grid (same dtype as the validated mask; ``meta`` gains
        ``TransferOverlap`` and, when labels vanished, ``TransferLostLabels``) and the **overlap
        fraction**: the fraction of the mask's labelled voxel centres that fall inside the target
        grid (inside its voxel extent; within its slab for a single-slice target). 1.0 means no
        labelled voxel lies outside the target's field of view.

    Raises
    ------
    MaskError
        The mask is not a valid label map.
    GeometryError
        No labelled voxel lands on the target grid (overlap at or below ``min_overlap``).
    """
    mask = validate_mask(mask)
    src = mask.array
    tgt_shape = target.spatial_shape
    src_half = _slab_half(mask, slab_thickness)
    tgt_half = _slab_half(target, None)

    # overlap: forward-map the labelled source voxel centres into the target's index space
    labelled = np.argwhere(src != 0)
    _, ok = _inside(target.world_to_index(mask.index_to_world(labelled)), tgt_shape, tgt_half)
    overlap = float(ok.mean()) if labelled.size else 0.0

    # transfer: pull a label for every target voxel centre through the index->index affine
    # (target voxel -> fractional mask voxel), composed once for the whole grid
    out = _pull_labels(src, tgt_shape, np.linalg.solve(mask.affine_lps, target.affine_lps), src_half)

    if overlap <= min_overlap or not out.any():
        raise GeometryError(
            f"mask grid {mask.describe_grid()} ({mask.source or 'mask'}) does not overlap the target "
            f"grid {target.describe_grid()} ({target.source or 'target'}): overlap fraction "
            f"{overlap:.3f}, no labelled voxel lands on the target (different patient space?)"
        )
    meta = dict(mask.meta)
    meta["TransferOverlap"] = overlap
    lost = sorted(set(mask_labels(src)) - set(mask_labels(out)))
    if lost:
        meta["TransferLostLabels"] = lost
    result = Image(
        out, spacing=target.spacing, origin=target.origin, direction=target.direction, meta=meta, source=mask.source
    )
    return result, overlap
