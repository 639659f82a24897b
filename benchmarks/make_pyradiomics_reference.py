"""Generate PyRadiomics reference values for cases the stored baselines do not cover.

Run with a Python that has PyRadiomics 3.0.1 (NOT myomri's venv; PyRadiomics is only the anchor)::

    python3 -m venv /tmp/pyrad
    /tmp/pyrad/bin/pip install numpy versioneer wheel setuptools
    /tmp/pyrad/bin/pip install --no-build-isolation pyradiomics==3.0.1 scikit-image
    /tmp/pyrad/bin/python benchmarks/make_pyradiomics_reference.py [OUTDIR]

It writes, under ``tests/data/pyradiomics/`` (or OUTDIR):

* ``<case>_input.npz``: the seeded synthetic image and mask in myomri order ``[i, j, k]`` with
  spacing/origin/direction;
* ``<case>_params.json``: the PyRadiomics parameters used (a parameter-file mapping);
* ``<case>_features.csv``: PyRadiomics' feature values (``feature,value``);
* ``<case>_preprocessed.npz``: PyRadiomics' intermediate images (normalised/resampled image and
  mask, LBP image) in ``[i, j, k]`` order, for the preprocessing tests;
* ``versions.json``: the library versions used.

Cases: LBP2D on a 2-D muscle-like slice with binWidth 1; LBP2D with sigma re-segmentation; normalise + resample to 3x3x3 mm on a
single-slice image as in seed paper 1 (with LBP2D); LBP2D on a normalised (float) multi-slice
volume; and one slice as a true 2-D image, as a 3-D one-slice image, with force2D, and the true
2-D image with force2D (the pyradiomics#710 pitfall, kept to document the deviation).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "tests" / "data" / "pyradiomics"

SIX = {c: [] for c in ("firstorder", "glcm", "gldm", "glrlm", "glszm", "ngtdm")}


def muscle_slice(rng: np.random.Generator, shape: tuple[int, int], *, level: float = 400.0):
    """A thigh-muscle-like slice (int16) and an elliptical ROI inside the muscle, [i, j] order."""
    from scipy import ndimage

    ni, nj = shape
    ii, jj = np.meshgrid(np.arange(ni), np.arange(nj), indexing="ij")
    ci, cj = ni / 2, nj / 2
    body = ((ii - ci) / (0.45 * ni)) ** 2 + ((jj - cj) / (0.42 * nj)) ** 2 <= 1
    muscle = ((ii - ci) / (0.33 * ni)) ** 2 + ((jj - cj) / (0.30 * nj)) ** 2 <= 1
    img = np.where(body, 900.0, 40.0)  # subcutaneous fat is bright on STIR-less T1-like contrast
    img[muscle] = level
    # fibre striation + oedema-like patches + noise, smoothed a little
    img += 40 * np.sin(ii / 2.3 + jj / 5.1) * muscle
    patches = ndimage.gaussian_filter(rng.normal(0, 1, shape), 3.0)
    img += 600 * np.clip(patches, 0, None) * muscle
    img += rng.normal(0, 25, shape)
    img = ndimage.gaussian_filter(img, 0.7)
    roi = ((ii - ci) / (0.28 * ni)) ** 2 + ((jj - cj) / (0.25 * nj)) ** 2 <= 1
    return np.round(img).astype(np.int16), roi.astype(np.uint8)


def to_sitk(arr, spacing, origin, *, true_2d=False):
    import SimpleITK as sitk

    if true_2d:
        img = sitk.GetImageFromArray(np.ascontiguousarray(arr[:, :, 0].T))
        img.SetSpacing([float(s) for s in spacing[:2]])
        img.SetOrigin([float(o) for o in origin[:2]])
    else:
        img = sitk.GetImageFromArray(np.ascontiguousarray(arr.T))
        img.SetSpacing([float(s) for s in spacing])
        img.SetOrigin([float(o) for o in origin])
    return img


def from_sitk(img):
    import SimpleITK as sitk

    arr = sitk.GetArrayFromImage(img).T
    if arr.ndim == 2:
        arr = arr[:, :, np.newaxis]
    return np.ascontiguousarray(arr)


def save_case(name, image, mask, spacing, origin, params, *, true_2d=False, keep_images=False):
    """Run PyRadiomics on one case and store inputs, params and outputs."""
    import SimpleITK as sitk
    from radiomics import featureextractor, imageoperations

    np.savez_compressed(
        OUT / f"{name}_input.npz", image=image, mask=mask, spacing=np.asarray(spacing, float),
        origin=np.asarray(origin, float), direction=np.eye(3), true_2d=np.bool_(true_2d),
    )
    (OUT / f"{name}_params.json").write_text(json.dumps(params, indent=1, sort_keys=True) + "\n")
    s_img = to_sitk(image, spacing, origin, true_2d=true_2d)
    s_msk = to_sitk(mask, spacing, origin, true_2d=true_2d)
    ext = featureextractor.RadiomicsFeatureExtractor(params)
    result = ext.execute(s_img, s_msk)
    with open(OUT / f"{name}_features.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["feature", "value"])
        for key, value in result.items():
            if key.startswith("diagnostics_"):
                continue
            w.writerow([key, repr(float(value))])
    if keep_images:
        settings = dict(ext.settings)
        img2, msk2 = ext.loadImage(s_img, s_msk, None, **settings)
        out = {"image": from_sitk(img2), "mask": from_sitk(msk2),
               "spacing": np.asarray(img2.GetSpacing(), float), "origin": np.asarray(img2.GetOrigin(), float)}
        if "LBP2D" in params.get("imageType", {}):
            lbp_kwargs = dict(settings)
            lbp_kwargs.update(params["imageType"]["LBP2D"] or {})
            lbp_img, _, _ = next(imageoperations.getLBP2DImage(img2, msk2, **lbp_kwargs))
            out["lbp"] = from_sitk(lbp_img)
        np.savez_compressed(OUT / f"{name}_preprocessed.npz", **out)
    print(f"{name}: {sum(not k.startswith('diagnostics_') for k in result)} features")


def main() -> None:
    import radiomics
    import scipy
    import SimpleITK as sitk
    import skimage

    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20240601)

    # 1. LBP2D on a 2-D muscle-like slice, binWidth 1 for the LBP image (values 0..9).
    img, roi = muscle_slice(rng, (96, 80))
    params = {"setting": {"binWidth": 25, "force2D": True, "force2Ddimension": 0, "label": 1},
              "imageType": {"Original": {}, "LBP2D": {"binWidth": 1}}, "featureClass": SIX}
    save_case("lbp2d_slice", img[:, :, None], roi[:, :, None], (0.8, 0.8, 6.0), (-40.0, -30.0, 12.0),
              params, keep_images=True)

    # 2. Seed paper 1: normalise (scale 100), resample to 3x3x3 mm, single-slice ROI, LBP2D.
    img, roi = muscle_slice(rng, (160, 140))
    params = {"setting": {"normalize": True, "normalizeScale": 100, "resampledPixelSpacing": [3, 3, 3],
                          "interpolator": "sitkBSpline", "binWidth": 5, "force2D": True, "label": 1},
              "imageType": {"Original": {}, "LBP2D": {"binWidth": 1}}, "featureClass": SIX}
    save_case("norm_resample_3mm", img[:, :, None], roi[:, :, None], (0.78125, 0.78125, 6.0),
              (-62.5, -54.7, 30.0), params, keep_images=True)

    # 3. LBP2D across slices of a normalised (float) multi-slice volume with preCrop.
    vol = np.stack([muscle_slice(rng, (48, 40))[0] for _ in range(4)], axis=2)
    roi3 = np.stack([muscle_slice(rng, (48, 40))[1]] * 4, axis=2)
    roi3[:, :, 0] = 0
    params = {"setting": {"normalize": True, "normalizeScale": 100, "removeOutliers": 3, "binWidth": 10,
                          "preCrop": True, "padDistance": 3, "force2D": True, "label": 1},
              "imageType": {"Original": {}, "LBP2D": {"binWidth": 1, "lbp2DRadius": 2, "lbp2DSamples": 12}},
              "featureClass": SIX}
    save_case("lbp_volume_norm", vol, roi3, (1.0, 1.0, 4.0), (0.0, 0.0, 0.0), params, keep_images=True)

    # 4. One slice as a true 2-D image, a 3-D one-slice image, with force2D, and the 2-D + force2D pitfall.
    img, roi = muscle_slice(rng, (72, 64))
    base = {"setting": {"binWidth": 25, "label": 1}, "imageType": {"Original": {}}, "featureClass": SIX}
    f2d = json.loads(json.dumps(base))
    f2d["setting"]["force2D"] = True
    sp, org = (0.9, 0.9, 5.0), (10.0, 20.0, 0.0)
    save_case("dims_true2d", img[:, :, None], roi[:, :, None], sp, org, base, true_2d=True)
    save_case("dims_3d_oneslice", img[:, :, None], roi[:, :, None], sp, org, base)
    save_case("dims_3d_force2d", img[:, :, None], roi[:, :, None], sp, org, f2d)
    save_case("dims_true2d_force2d_pitfall", img[:, :, None], roi[:, :, None], sp, org, f2d, true_2d=True)

    # 5. Re-segmentation (sigma) is done once on the original image; the LBP image uses that ROI too.
    img, roi = muscle_slice(rng, (80, 72))
    params = {"setting": {"binWidth": 25, "force2D": True, "resegmentRange": [-1.5, 1.5],
                          "resegmentMode": "sigma", "label": 1},
              "imageType": {"Original": {}, "LBP2D": {"binWidth": 1}}, "featureClass": SIX}
    save_case("lbp_resegment_sigma", img[:, :, None], roi[:, :, None], (0.8, 0.8, 6.0), (0.0, 0.0, 0.0), params)

    # 7. Orientation check: rotation-sensitive LBP ('default' codes) across force2Ddimension 1.
    vol = np.stack([muscle_slice(rng, (40, 36))[0] for _ in range(6)], axis=2)
    roi7 = np.zeros(vol.shape, np.uint8)
    roi7[8:30, 2:4, 1:5] = 1
    params = {"setting": {"binWidth": 25, "force2D": True, "force2Ddimension": 1, "label": 1},
              "imageType": {"Original": {}, "LBP2D": {"binWidth": 8, "lbp2DMethod": "default"}},
              "featureClass": {"firstorder": [], "glcm": []}}
    save_case("lbp_default_dim1", vol, roi7, (1.0, 1.2, 3.0), (0.0, 0.0, 0.0), params, keep_images=True)

    # 6. Real oblique thigh MRI (Huashan IDEAL, read in place from ../shared/reference): seed-paper
    #    settings on label 3. Only PyRadiomics' values are stored, not the image.
    thigh = Path(__file__).resolve().parents[2] / "shared" / "reference" / "muscle" / "huashan_thigh_ideal"
    if (thigh / "Thigh_001_0000.nii.gz").is_file():
        from radiomics import featureextractor

        params = {"setting": {"normalize": True, "normalizeScale": 100, "resampledPixelSpacing": [3, 3, 3],
                              "interpolator": "sitkBSpline", "binWidth": 5, "force2D": True, "label": 3},
                  "imageType": {"Original": {}, "LBP2D": {"binWidth": 1}}, "featureClass": SIX}
        (OUT / "real_thigh001_label3_params.json").write_text(json.dumps(params, indent=1, sort_keys=True) + "\n")
        result = featureextractor.RadiomicsFeatureExtractor(params).execute(
            str(thigh / "Thigh_001_0000.nii.gz"), str(thigh / "Thigh_001_seg.nii.gz"), label=3)
        with open(OUT / "real_thigh001_label3_features.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["feature", "value"])
            for key, value in result.items():
                if not key.startswith("diagnostics_"):
                    w.writerow([key, repr(float(value))])
        print("real_thigh001_label3: done")

    versions = {"pyradiomics": radiomics.__version__, "SimpleITK": sitk.Version_VersionString(),
                "numpy": np.__version__, "scikit-image": skimage.__version__, "scipy": scipy.__version__,
                "python": sys.version.split()[0]}
    (OUT / "versions.json").write_text(json.dumps(versions, indent=1) + "\n")
    print(versions)


if __name__ == "__main__":
    main()
