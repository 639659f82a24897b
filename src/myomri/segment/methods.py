"""The one table of segmentation methods, used by ``myomri segment`` and by ``myomri run``.

Each method takes the image to segment (and, for ``classical``, an optional Dixon fat image) and
returns its own output: the tissue-class map (``classical``: values of
:data:`myomri.config.segment.TISSUE_LABELS`) or the per-muscle label map (``dl``: values 0..24 of
:mod:`myomri.config.labels`). :func:`muscle_labels` reduces either to what T2 statistics average
over: muscle labels, or a 0/1 muscle mask for the classical method.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..io.image import Image

__all__ = ["METHODS", "segment", "muscle_labels"]


def _classical(image: Image, *, fat: Image | None = None, model=None) -> Image:
    from .classical import segment_classical

    return segment_classical(image, fat=fat)


def _dl(image: Image, *, fat: Image | None = None, model=None) -> Image:
    from .infer import segment_dl

    if fat is not None:
        raise InputError("the dl method segments one image; a Dixon water/fat pair goes to the classical method")
    return segment_dl(image, model=model)


#: Method name -> function(image, *, fat, model) returning the method's label map.
METHODS = {"classical": _classical, "dl": _dl}


def segment(image: Image, method: str, *, fat: Image | None = None, model=None) -> Image:
    """Segment ``image`` with ``method`` (a key of :data:`METHODS`)."""
    if method not in METHODS:
        raise InputError(f"segmentation method {method!r} is unknown; expected one of {sorted(METHODS)}")
    return METHODS[method](image, fat=fat, model=model)


def muscle_labels(image: Image, method: str, *, fat: Image | None = None, model=None) -> Image:
    """The map T2 is averaged in: the dl method's muscle labels, or the classical muscle mask (0/1)."""
    out = segment(image, method, fat=fat, model=model)
    if method == "classical":
        from .classical import muscle_mask

        return out.with_array(muscle_mask(out).astype(np.uint8))
    return out
