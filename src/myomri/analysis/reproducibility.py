"""Intraclass correlation (ICC), vectorised over features, with 95% confidence intervals.

The six Shrout & Fleiss / McGraw & Wong forms are computed from one two-way ANOVA per feature,
for all features at once. Forms are named as in ``config.analysis.ICC_FORMS``: ``1``, ``A1``,
``C1``, ``1k``, ``Ak``, ``Ck``; the values and F-based interval limits are those of pingouin 0.7's
``intraclass_corr`` (pingouin's ICC2 is ICC(A,1) and ICC3 is ICC(C,1)).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import f as f_dist

from ..config import analysis as cfg
from ..errors import InputError

__all__ = ["compute_icc", "ratings_from_table", "icc_table"]


def compute_icc(ratings: np.ndarray, *, form: str = cfg.ICC_FORM, ci_level: float = cfg.ICC_CI_LEVEL):
    """ICC of every feature of a balanced ratings array.

    Parameters
    ----------
    ratings : ndarray, shape (n_subjects, n_raters) or (n_subjects, n_raters, n_features)
        Complete (no NaN) ratings: each subject rated once by each rater.
    form : str
        One of ``config.analysis.ICC_FORMS`` (``"A1"`` = ICC(A,1) by default).
    ci_level : float
        Confidence level of the interval.

    Returns
    -------
    icc, ci_low, ci_high : ndarray, shape (n_features,) (scalars for 2-D input)

    Examples
    --------
    >>> x = np.array([[1.0, 1.1], [2.0, 2.1], [3.0, 2.9], [4.0, 4.2]])
    >>> round(float(compute_icc(x, form="C1")[0]), 4)
    0.9953
    """
    if form not in cfg.ICC_FORMS:
        raise InputError(f"ICC form {form!r} is not one of {sorted(cfg.ICC_FORMS)}")
    x = np.asarray(ratings, dtype=float)
    squeeze = x.ndim == 2
    if squeeze:
        x = x[:, :, None]
    if x.ndim != 3:
        raise InputError(f"ratings must be (subjects, raters[, features]); got shape {x.shape}")
    n, k = x.shape[0], x.shape[1]
    if n < 2 or k < 2:
        raise InputError(f"ICC needs at least 2 subjects and 2 raters; got {n} subjects, {k} raters")
    if not np.isfinite(x).all():
        raise InputError("ICC ratings contain NaN or infinite values; the design must be complete")
    grand = x.mean(axis=(0, 1))
    ss_total = ((x - grand) ** 2).sum(axis=(0, 1))
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum(axis=0)
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum(axis=0)
    ss_err = ss_total - ss_rows - ss_cols
    df_rows, df_err, df_within = n - 1, (n - 1) * (k - 1), n * (k - 1)
    msb = ss_rows / df_rows
    msj = ss_cols / (k - 1)
    mse = ss_err / df_err
    msw = (ss_total - ss_rows) / df_within
    alpha = 1.0 - ci_level
    q = 1.0 - alpha / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        if form in ("1", "1k", "C1", "Ck"):
            # one-way (within-subject) and consistency forms differ only in the error mean square
            ms_e, df_e = (msw, df_within) if form in ("1", "1k") else (mse, df_err)
            single = form in ("1", "C1")
            icc = (msb - ms_e) / (msb + (k - 1) * ms_e) if single else (msb - ms_e) / msb
            f = msb / ms_e
            fl = f / f_dist.ppf(q, df_rows, df_e)
            fu = f * f_dist.ppf(q, df_e, df_rows)
            if single:
                lo, hi = (fl - 1) / (fl + (k - 1)), (fu - 1) / (fu + (k - 1))
            else:
                lo, hi = 1 - 1 / fl, 1 - 1 / fu
        else:
            icc_a1 = (msb - mse) / (msb + (k - 1) * mse + k * (msj - mse) / n)
            # Satterthwaite degrees of freedom of the absolute-agreement interval (McGraw & Wong).
            fj = msj / mse
            vn = df_err * (k * icc_a1 * fj + n * (1 + (k - 1) * icc_a1) - k * icc_a1) ** 2
            vd = df_rows * k**2 * icc_a1**2 * fj**2 + (n * (1 + (k - 1) * icc_a1) - k * icc_a1) ** 2
            v = vn / vd
            f2u = f_dist.ppf(q, n - 1, v)
            f2l = f_dist.ppf(q, v, n - 1)
            lo = n * (msb - f2u * mse) / (f2u * (k * msj + (k * n - k - n) * mse) + n * msb)
            hi = n * (f2l * msb - mse) / (k * msj + (k * n - k - n) * mse + n * f2l * msb)
            if form == "A1":
                icc = icc_a1
            else:
                icc = (msb - mse) / (msb + (msj - mse) / n)
                lo, hi = lo * k / (1 + lo * (k - 1)), hi * k / (1 + hi * (k - 1))
    if squeeze:
        return float(icc[0]), float(lo[0]), float(hi[0])
    return icc, lo, hi


def ratings_from_table(
    table: pd.DataFrame, *, readers: Sequence[str], feature_names: Sequence[str], source: str = "features table"
) -> tuple[np.ndarray, list[str]]:
    """Balanced (subjects, readers, features) array from a tidy ``subject, reader, features`` table.

    Raises
    ------
    InputError
        A reader is absent, a (subject, reader) pair is duplicated, or the design is unbalanced
        (subjects rated by some readers only: they are listed by id, never dropped silently).
    """
    present = set(table["reader"].astype(str))
    absent = [r for r in readers if r not in present]
    if absent:
        raise InputError(
            f"{source}: reader(s) {absent} named for the ICC are absent; readers present: {sorted(present)}"
        )
    sub = table[table["reader"].astype(str).isin(list(readers))]
    dup = sub.duplicated(["subject", "reader"], keep=False)
    if dup.any():
        pairs = sorted(set(zip(sub.loc[dup, "subject"].astype(str), sub.loc[dup, "reader"].astype(str))))
        raise InputError(f"{source}: (subject, reader) rows repeated: {pairs[:10]}; expected one row each")
    by_reader = {r: set(sub.loc[sub["reader"].astype(str) == r, "subject"].astype(str)) for r in readers}
    everyone = set().union(*by_reader.values())
    problems = [f"{r} lacks {sorted(everyone - s)}" for r, s in by_reader.items() if everyone - s]
    if problems:
        raise InputError(
            f"{source}: unbalanced readers for the ICC ({'; '.join(problems)}); "
            "every subject must be rated by every reader of the analysis"
        )
    subjects = sorted(everyone)
    cube = np.empty((len(subjects), len(readers), len(feature_names)))
    for j, r in enumerate(readers):
        rows = sub[sub["reader"].astype(str) == r].set_index(
            sub.loc[sub["reader"].astype(str) == r, "subject"].astype(str)
        )
        cube[:, j, :] = rows.loc[subjects, list(feature_names)].to_numpy(dtype=float)
    return cube, subjects


def icc_table(
    table: pd.DataFrame,
    *,
    analyses: dict[str, Sequence[str]],
    feature_names: Sequence[str],
    form: str = cfg.ICC_FORM,
    ci_level: float = cfg.ICC_CI_LEVEL,
    source: str = "features table",
) -> pd.DataFrame:
    """Tidy ICC table: one row per (analysis, feature) with icc, ci_low, ci_high, n_subjects, readers."""
    frames = []
    for name, readers in analyses.items():
        cube, subjects = ratings_from_table(table, readers=readers, feature_names=feature_names, source=source)
        icc, lo, hi = compute_icc(cube, form=form, ci_level=ci_level)
        frames.append(
            pd.DataFrame(
                {
                    "analysis": name,
                    "feature": list(feature_names),
                    "form": form,
                    "icc": icc,
                    "ci_low": lo,
                    "ci_high": hi,
                    "n_subjects": len(subjects),
                    "readers": "+".join(readers),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
