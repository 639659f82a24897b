"""Small synthetic images with known oblique geometry for the I/O tests."""

from __future__ import annotations

import numpy as np

from myomri.io.image import Image


def rotation(ax: float, ay: float, az: float) -> np.ndarray:
    """Rotation matrix from three angles in degrees (x, then y, then z)."""
    ax, ay, az = np.deg2rad([ax, ay, az])
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    return rz @ ry @ rx


def oblique_image(n_echoes: int = 0) -> Image:
    """A 5x4x3 (x n_echoes) int16 image, 0.7x0.9x5 mm, rotated about all three axes."""
    shape = (5, 4, 3) + ((n_echoes,) if n_echoes else ())
    array = (np.arange(int(np.prod(shape))).reshape(shape) + 1).astype(np.int16)
    return Image(
        array,
        spacing=(0.7, 0.9, 5.0),
        origin=(-12.5, 40.25, -101.0),
        direction=rotation(12.0, -7.0, 20.0),
        echo_times=tuple(10.0 * (e + 1) for e in range(n_echoes)) if n_echoes else None,
    )
