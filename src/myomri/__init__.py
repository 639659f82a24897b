"""myomri: quantitative thigh-muscle MRI for idiopathic inflammatory myopathies.

Stages (data flows one way): ``io -> preprocess -> features | t2 | segment -> tables ->
analysis -> report``; ``cli`` and ``pipeline`` orchestrate on top. Importing the package is cheap
and configures no logging.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
