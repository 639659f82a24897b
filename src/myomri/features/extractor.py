"""Radiomics feature extraction of one image + mask, with PyRadiomics' pipeline and column names.

The order of operations is PyRadiomics 3.0.1's (``RadiomicsFeatureExtractor.execute``):

1. mask checked (integer labels, ``label`` present) and its grid compared with the image's within
   ``geometryTolerance`` mm (a mismatch is a GeometryError unless ``correctMask`` carries the mask
   onto the image grid, nearest neighbour);
2. ``normalize``: z-score over the whole image, times ``normalizeScale`` (global settings only);
3. ``resampledPixelSpacing``: image interpolated and mask nearest-neighbour resampled onto a grid
   covering the ROI bounding box plus ``padDistance`` (else ``preCrop``: crop to box + pad);
4. each enabled image type is made from that image: ``Original`` as is, ``LBP2D`` by
   :func:`~myomri.preprocess.lbp.filter_lbp2d` over the WHOLE (possibly cropped) image, with the
   type's own settings (e.g. ``LBP2D: {binWidth: 1}``);
5. :func:`myomri.features.compute.compute_features` checks the ROI, re-segments, crops to the ROI
   bounding box, discretises and computes the classes. Re-segmentation (``resegmentRange``) is
   decided on the original image's intensities only; filtered images (LBP2D) use that same ROI,
   as in PyRadiomics.

Columns are ``<imageType>_<class>_<Feature>`` (``original_glcm_Contrast``,
``lbp-2D_firstorder_Mean``) after a few ``diagnostics_*`` columns (myomri version, settings hash,
label, ROI size), as PyRadiomics orders them.

A truly 2-D image and a 3-D image of one slice are the same thing here (an :class:`Image` is always
3-D), so the pyradiomics#710 pitfall (a 2-D SimpleITK image with ``force2D`` drops the wrong axis
and makes GLSZM equal GLRLM) cannot happen: all three ways of giving one slice return the values
PyRadiomics gives for a 3-D one-slice image.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any

import numpy as np

from .. import __version__
from ..config.features import IMAGE_TYPES
from ..errors import InputError, MaskError
from ..io.image import Image
from .params import Params, read_params

__all__ = ["FeatureExtractor"]


class FeatureExtractor:
    """Extract PyRadiomics-compatible features with validated parameters.

    Parameters
    ----------
    params : None, path, mapping or Params
        A PyRadiomics parameter file (YAML), the same layout as a mapping, or None for the defaults
        (Original image, the six classes, binWidth 25).

    Attributes
    ----------
    params : Params
        The validated parameters.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> img = Image(rng.integers(0, 200, (30, 30, 1)).astype(np.int16))
    >>> roi = np.zeros((30, 30, 1), np.uint8); roi[5:25, 8:22] = 1
    >>> ext = FeatureExtractor({"setting": {"binWidth": 10}})
    >>> row = ext.extract(img, img.with_array(roi))
    >>> "original_glcm_Contrast" in row, "diagnostics_settings_hash" in row
    (True, True)
    """

    def __init__(self, params: Any = None):
        self.params: Params = read_params(params)
        self._hash: tuple[str, str] | None = None

    @property
    def settings_hash(self) -> str:
        """Stable hash of the resolved parameters (goes into every row and the batch cache key)."""
        # hashing serialises every setting (~0.3 ms, as long as a small 2-D ROI's features): cache it,
        # keyed on the parameter objects' contents so that edits to ``self.params`` still count
        key = repr((self.params.settings, self.params.image_types, self.params.feature_classes))
        if self._hash is None or self._hash[0] != key:
            self._hash = (key, self.params.hash)
        return self._hash[1]

    def feature_columns(self) -> list[str]:
        """Feature column names this extractor produces, in output order."""
        from .compute import feature_names

        cols = []
        for image_type in self.params.image_types:
            prefix = IMAGE_TYPES[image_type]
            for cls, wanted in self.params.feature_classes.items():
                for name in feature_names([cls]):
                    if wanted is None or name.split("_", 1)[1] in wanted:
                        cols.append(f"{prefix}_{name}")
        return cols

    def preprocess(self, image: Image, mask: Image, *, label: int) -> tuple[Image, Image]:
        """Checks, normalisation and resampling/pre-crop (steps 1-3 of the module docstring)."""
        from ..io.masks import validate_mask
        from ..preprocess.crop import crop_to_mask
        from ..preprocess.geometry import check_same_grid
        from ..preprocess.normalize import normalize_image
        from ..preprocess.resample import resample_image_and_mask

        s = self.params.settings
        if image.array.ndim != 3:
            raise InputError(
                f"{image._where()}image has shape {image.shape}; expected one 3-D volume "
                "(select one echo/volume of a 4-D series first)"
            )
        if not np.issubdtype(image.array.dtype, np.number) or image.array.dtype == bool:
            raise InputError(f"{image._where()}image of type {image.array.dtype}, expected numbers")
        mask = validate_mask(mask, label=label)
        tolerance: dict[str, Any] = {} if s["geometryTolerance"] is None else {"atol": float(s["geometryTolerance"])}
        if s["correctMask"]:
            from ..preprocess.geometry import grid_mismatches, transfer_mask

            if grid_mismatches(mask, image, **tolerance):
                # correctMask: carry the mask onto the image grid (nearest neighbour), as PyRadiomics does
                mask, _ = transfer_mask(mask, image)
                mask = validate_mask(mask, label=label)
        check_same_grid(mask, image, **tolerance)
        if s["normalize"]:
            image = normalize_image(image, scale=s["normalizeScale"], remove_outliers=s["removeOutliers"])
        if s["resampledPixelSpacing"] is not None:
            image, mask = resample_image_and_mask(
                image,
                mask,
                spacing=s["resampledPixelSpacing"],
                interpolator=s["interpolator"],
                label=label,
                pad_distance=s["padDistance"],
            )
            if not np.any(mask.array == label):
                raise MaskError(
                    f"{mask._where()}label {label} vanished after resampling to "
                    f"{s['resampledPixelSpacing']} mm; the ROI is smaller than one new voxel"
                )
        elif s["preCrop"]:
            image, mask = crop_to_mask(image, mask, label=label, pad_distance=s["padDistance"])
        return image, mask

    def _image_of_type(self, image_type: str, image: Image, settings: dict[str, Any]) -> Image:
        if image_type == "Original":
            return image
        if image_type == "LBP2D":
            from ..preprocess.lbp import filter_lbp2d

            return filter_lbp2d(
                image,
                radius=settings["lbp2DRadius"],
                samples=settings["lbp2DSamples"],
                method=settings["lbp2DMethod"],
                force2d_dimension=settings["force2Ddimension"],
            )
        raise InputError(f"image type {image_type!r} not implemented")  # params validation stops this

    def _resegment_on_original(self, image: Image, roi: np.ndarray) -> np.ndarray | None:
        """The ROI re-segmented on the (preprocessed) original image, or None without resegmentRange."""
        s = self.params.settings
        if s["resegmentRange"] is None or list(self.params.image_types) == ["Original"]:
            return None
        # the engine's own rule, so Original and filtered image types use the same ROI
        from .compute import _resegment, resolve_settings

        return _resegment(np.asarray(image.array), roi, resolve_settings(s))

    def extract(self, image: Image, mask: Image, *, label: int | None = None) -> OrderedDict[str, Any]:
        """Features of the ROI ``label`` of ``mask`` in ``image``.

        Parameters
        ----------
        image : Image
            3-D image.
        mask : Image
            Label map on the same grid as ``image``.
        label : int, optional
            ROI label; default the ``label`` setting (1).

        Returns
        -------
        OrderedDict
            ``diagnostics_*`` columns, then one float per feature (PyRadiomics column names).

        Raises
        ------
        MaskError
            Empty mask, label absent, ROI too small (size/dimensions), single voxel.
        GeometryError
            Mask and image grids differ.
        InputError
            NaN inside the ROI, constant image with ``normalize``, wrong shapes.
        """
        from .compute import compute_features

        label = int(self.params.settings["label"] if label is None else label)
        n_roi = int(np.count_nonzero(np.asarray(mask.array) == label))
        pre_image, pre_mask = self.preprocess(image, mask, label=label)
        roi = np.asarray(pre_mask.array) == label
        row: OrderedDict[str, Any] = OrderedDict()
        row["diagnostics_myomri_version"] = __version__
        row["diagnostics_settings_hash"] = self.settings_hash
        row["diagnostics_label"] = label
        row["diagnostics_roi_voxels"] = n_roi
        row["diagnostics_roi_voxels_preprocessed"] = int(roi.sum())
        row["diagnostics_spacing_preprocessed"] = "x".join(f"{v:g}" for v in pre_image.spacing)
        resegmented = self._resegment_on_original(pre_image, roi)
        for image_type in self.params.image_types:
            settings = self.params.settings_for(image_type)
            typed = self._image_of_type(image_type, pre_image, settings)
            type_roi = roi
            if image_type != "Original" and resegmented is not None:
                # PyRadiomics re-segments once, on the original intensities, and filtered images
                # use that ROI; re-segmenting LBP codes by sigma/absolute bounds would be wrong.
                type_roi = resegmented
                settings = {**settings, "resegmentRange": None}
            values = compute_features(
                typed.array,
                type_roi,
                spacing=typed.spacing,
                settings=settings,
                classes=list(self.params.feature_classes),
            )
            prefix = IMAGE_TYPES[image_type]
            for key, value in values.items():
                cls, name = key.split("_", 1)
                wanted = self.params.feature_classes.get(cls)
                if wanted is None or name in wanted:
                    row[f"{prefix}_{key}"] = value
        return row

    def extract_row(self, image: Image, mask: Image, *, label: int | None = None, **ids: Any):
        """:meth:`extract` as a one-row :class:`pandas.DataFrame` of typed columns.

        ``ids`` (``subject=..., reader=...``) come first, then the ``diagnostics_*`` columns, then
        one float64 column per feature, so that rows concatenate into a tidy table
        (``pd.concat(rows, ignore_index=True)``) with numeric feature columns.
        """
        import pandas as pd

        row = self.extract(image, mask, label=label)
        frame = pd.DataFrame([{**ids, **row}])
        features = [k for k in row if not k.startswith("diagnostics_")]
        return frame.astype(dict.fromkeys(features, "float64"))

    def extract_files(
        self, image_path: str | os.PathLike, mask_path: str | os.PathLike, *, label: int | None = None
    ) -> OrderedDict[str, Any]:
        """Read an image and a mask (NIfTI, NRRD, DICOM) and :meth:`extract`."""
        from ..io.read import read_image

        image = read_image(image_path)
        mask = read_image(mask_path)
        return self.extract(image, mask, label=label)
