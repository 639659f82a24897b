"""Reading and writing images, masks and cohorts (NIfTI, NRRD, DICOM, BIDS/ORMIR-MIDS sidecars).

An image is an :class:`Image` (array + spacing, origin, direction in LPS, and allow-listed
acquisition metadata). :func:`read_image` reads any supported format; :func:`read_mask` reads and
validates a label map; :func:`require_echo_times` checks a multi-echo series.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "Image": ".image",
        "read_image": ".read",
        "read_mask": ".read",
        "write_image": ".read",
        "require_echo_times": ".read",
        "missing_echo_times": ".read",
        "image_kind": ".read",
        "read_nifti": ".nifti",
        "write_nifti": ".nifti",
        "read_dicom": ".dicom",
        "list_dicom_series": ".dicom",
        "read_label_table": ".labels",
        "describe_path": ".describe",
        "describe_image": ".describe",
        "atomic_path": ".atomic",
        "atomic_dir": ".atomic",
        "atomic_write_text": ".atomic",
    },
)
