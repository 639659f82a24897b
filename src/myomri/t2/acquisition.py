"""Model defaults that follow from how the series was acquired: the slice-profile choice.

A 2-D multi-slice multi-echo spin echo excites and refocuses each slice with slice-selective
pulses. Across the slice their flip angles fall off, so the echo train is a sum over a range of
flips and decays faster than one nominal-flip EPG train predicts: fitted without the profile,
water T2 reads several ms high (on the MyoQMRI calf series a median 6.7 ms above MyoQMRI's own
slice-profile fit). A 3-D acquisition refocuses the whole slab with a non-selective or slab pulse,
so there is no profile to model. This is how MyoQMRI (Santini et al., Front Neurol 2021) models
2-D MESE, and what ``myomri t2fit`` and ``myomri run`` now do by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SliceProfileChoice", "choose_slice_profile"]


@dataclass(frozen=True)
class SliceProfileChoice:
    """Whether the EPG model weighs the slice profile, where that came from and why."""

    enabled: bool
    source: str  # "option", "MRAcquisitionType" or "default"
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON form written to summaries."""
        return {"enabled": self.enabled, "source": self.source, "reason": self.reason}


def choose_slice_profile(meta: dict | None, requested: bool | None = None, *, model: str = "epg") -> SliceProfileChoice:
    """The slice-profile setting for a series with acquisition metadata ``meta``.

    Parameters
    ----------
    meta : dict or None
        ``Image.meta`` of the multi-echo series (DICOM allow-listed header fields or the JSON
        sidecar's); ``MRAcquisitionType`` ("2D" / "3D") decides.
    requested : bool or None
        An explicit ``--slice-profile`` (True) / ``--no-slice-profile`` (False); None: automatic.
    model : str
        The T2 model; only the EPG model has a slice profile.

    Examples
    --------
    >>> choose_slice_profile({"MRAcquisitionType": "2D"}).enabled
    True
    >>> choose_slice_profile({"MRAcquisitionType": "3D"}).enabled
    False
    >>> choose_slice_profile({}).source
    'default'
    """
    if model != "epg":
        return SliceProfileChoice(False, "model", f"the {model} model has no slice profile")
    if requested is not None:
        flag = "--slice-profile" if requested else "--no-slice-profile"
        return SliceProfileChoice(bool(requested), "option", f"{flag} given")
    kind = str((meta or {}).get("MRAcquisitionType") or "").strip().upper()
    if kind == "2D":
        return SliceProfileChoice(
            True,
            "MRAcquisitionType",
            "2-D multi-slice acquisition (MRAcquisitionType 2D): slice-selective pulses give a range of "
            "flip angles across each slice, modelled as MyoQMRI does (Hann-sinc TBW 2)",
        )
    if kind == "3D":
        return SliceProfileChoice(
            False,
            "MRAcquisitionType",
            "3-D acquisition (MRAcquisitionType 3D): the slab is refocused as a whole, no slice profile",
        )
    found = f"is {kind!r}, not 2D or 3D" if kind else "is not recorded"
    return SliceProfileChoice(
        True,
        "default",
        f"MRAcquisitionType {found}: assumed 2-D multi-slice, as clinical multi-echo spin-echo T2 "
        "protocols nearly always are, so the slice profile is on; pass --no-slice-profile "
        "(t2.slice_profile: false in a study file) for a 3-D acquisition",
    )
