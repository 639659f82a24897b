"""The one exit-code rule of the command line, shared by every command that can partly fail.

* ``0`` (:data:`EXIT_OK`): everything asked for was produced. A voxel-wise fit may hold a few
  failed voxels (at most :data:`myomri.config.outcome.MAX_FAILED_VOXEL_FRACTION` of the voxels it
  tried to fit); they are counted in the output.
* ``1`` (:data:`EXIT_PARTIAL`): the command ran to the end and wrote what it could, but a part
  failed and is listed: a case or subject failed, or a fit failed as a whole (no voxel fitted,
  or more than the allowed fraction of its voxels failed, see :func:`fit_failure`).
* ``2`` (:data:`EXIT_ERROR`): nothing was computed, because an input or an option is unusable
  (one line naming the file or option and what was expected).
* ``130`` (:data:`EXIT_INTERRUPTED`): interrupted (Ctrl-C); nothing partial is left.
"""

from __future__ import annotations

from .config import outcome as cfg

__all__ = ["EXIT_OK", "EXIT_PARTIAL", "EXIT_ERROR", "EXIT_INTERRUPTED", "fit_failure", "exit_code"]

EXIT_OK, EXIT_PARTIAL, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


def fit_failure(n_fitted: int, n_failed: int, *, max_failed_fraction: float | None = None) -> str | None:
    """Why a voxel-wise fit counts as failed as a whole, or None when it succeeded.

    Parameters
    ----------
    n_fitted : int
        Voxels that hold fitted values (including those at a range bound).
    n_failed : int
        Voxels whose fit was tried and failed. Voxels left out on purpose (outside the mask,
        below the noise threshold, invalid samples) count in neither.
    max_failed_fraction : float, optional
        Largest accepted ``n_failed / (n_fitted + n_failed)``; default
        :data:`myomri.config.outcome.MAX_FAILED_VOXEL_FRACTION`.

    Returns
    -------
    str or None
        A sentence giving the counts, or None.

    Examples
    --------
    >>> fit_failure(124_005 - 12, 12) is None
    True
    >>> fit_failure(0, 0)
    'no voxel was fitted'
    """
    limit = cfg.MAX_FAILED_VOXEL_FRACTION if max_failed_fraction is None else float(max_failed_fraction)
    n_fitted, n_failed = int(n_fitted), int(n_failed)
    if n_fitted == 0:
        return "no voxel was fitted" + (f" ({n_failed} failed)" if n_failed else "")
    tried = n_fitted + n_failed
    if n_failed > limit * tried:
        return (
            f"{n_failed} of the {tried} voxels tried ({n_failed / tried:.2%}) failed to fit, "
            f"more than the {limit:.2%} accepted"
        )
    return None


def exit_code(*, failed_parts: int = 0) -> int:
    """:data:`EXIT_PARTIAL` when any case, subject, stage or whole fit failed, else :data:`EXIT_OK`.

    Examples
    --------
    >>> exit_code(failed_parts=0), exit_code(failed_parts=3)
    (0, 1)
    """
    return EXIT_PARTIAL if int(failed_parts) > 0 else EXIT_OK
