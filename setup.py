"""Build the optional C extension of the feature kernels; everything else is in pyproject.toml.

``optional=True``: where no C compiler is available the install still succeeds and
:mod:`myomri.features._engine` runs the numba versions of the same kernels (same numbers, but a
fresh process then pays ~0.6 s to load numba).
"""

import sys

from setuptools import Extension, setup

# IEEE arithmetic as numba's (fastmath off): no fused multiply-add, so each sum rounds the same way
_FLAGS = [] if sys.platform == "win32" else ["-O2", "-ffp-contract=off", "-fno-fast-math"]

setup(
    ext_modules=[
        Extension(
            "myomri.features._ckernels",
            ["src/myomri/features/_ckernels.c", "src/myomri/features/_csums.c", "src/myomri/features/_cselect.c"],
            depends=["src/myomri/features/_ckernels.h"],
            extra_compile_args=_FLAGS,
            optional=True,
        )
    ]
)
