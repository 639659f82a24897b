"""Defaults of the synthetic demo cohort generator (``myomri.demo``).

Every number the generator uses that is not drawn at random lives here. Group-level values come
from the two seed papers: the composition (19 PM, 22 DM, 14 ADM, 19 non-IIM; Nagawa et al. 2021)
plus 10 healthy controls, the STIR protocol (TR 6500, TE 65, TI 190 ms, 8 mm slice, 1.5 T), and
the muscle water T2 (IIM 47.4 +/- 9.0 ms, healthy 33.9 +/- 0.9 ms) and the MESE protocol
(TE 10..100 ms, 5 mm slices with 1 mm gap, 3 T) of the T2-mapping paper.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError

__all__ = ["GROUPS", "DEFAULT_COMPOSITION", "GroupParams", "GROUP_PARAMS", "GridSpec", "DemoConfig"]

#: Group codes in output order.
GROUPS: tuple[str, ...] = ("PM", "DM", "ADM", "nonIIM", "HC")

#: Subjects per group of the default cohort (84 in all).
DEFAULT_COMPOSITION: dict[str, int] = {"PM": 19, "DM": 22, "ADM": 14, "nonIIM": 19, "HC": 10}


@dataclass(frozen=True)
class GroupParams:
    """Per-group distributions of the planted effects.

    ``t2_mean``/``t2_sd``: subject mean muscle water T2 (ms), drawn from a normal truncated
    below at ``t2_min``. ``pattern``: Dirichlet concentration of the oedema pattern weights
    (diffuse, fascial, patchy) - overlapping between groups on purpose so the STIR texture is
    learnable but not trivially separable. ``ff``: subject muscle fat fraction (mean, sd).
    ``age``: (mean, sd) years; ``female``: probability of female sex. ``ild_prob``: probability
    of ILD (score >= 1). ``antibody_tested``: probability that anti-Jo-1/anti-ARS status is known.
    ``ars_prob``: probability of anti-ARS positivity among the tested.
    """

    t2_mean: float
    t2_sd: float
    t2_min: float
    pattern: tuple[float, float, float]
    ff: tuple[float, float]
    age: tuple[float, float]
    female: float
    ild_prob: float
    antibody_tested: float
    ars_prob: float
    log_ck_offset: float = 0.0


GROUP_PARAMS: dict[str, GroupParams] = {
    # IIM groups share the paper's 47.4 +/- 9.0 ms overall; ADM milder (less weakness, lower CK).
    "PM": GroupParams(49.0, 8.5, 35.5, (1.0, 0.8, 2.2), (0.09, 0.04), (55, 13), 0.6, 0.45, 0.75, 0.45),
    "DM": GroupParams(50.0, 8.5, 35.5, (2.0, 1.8, 0.8), (0.07, 0.03), (52, 14), 0.65, 0.5, 0.7, 0.3),
    "ADM": GroupParams(41.5, 5.0, 35.0, (1.0, 2.0, 0.7), (0.05, 0.02), (45, 12), 0.65, 0.65, 0.7, 0.25,
                       log_ck_offset=-1.0),
    "nonIIM": GroupParams(39.5, 4.5, 34.0, (1.0, 1.0, 1.5), (0.07, 0.03), (55, 14), 0.55, 0.3, 0.5, 0.3),
    "HC": GroupParams(33.9, 0.9, 31.0, (1.0, 1.0, 1.0), (0.04, 0.015), (36.6, 11), 0.9, 0.0, 0.0, 0.0),
}  # fmt: skip


@dataclass(frozen=True)
class GridSpec:
    """An acquisition grid: matrix ``shape`` (i, j, k), ``spacing`` (mm) and centre offset (mm)."""

    shape: tuple[int, int, int]
    spacing: tuple[float, float, float]
    centre: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class DemoConfig:
    """All settings of the demo cohort generator. Construct with keywords; ``validate()`` checks.

    Examples
    --------
    >>> DemoConfig().n_subjects
    84
    >>> DemoConfig.small(2).n_subjects
    10
    """

    seed: int = 0
    composition: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_COMPOSITION))
    groups: dict[str, GroupParams] = field(default_factory=lambda: dict(GROUP_PARAMS))

    # --- anatomy (mm) ---
    thigh_radius: tuple[float, float] = (84.0, 8.0)  # fascia+fat outline radius (mean, sd)
    thigh_aspect: tuple[float, float] = (1.05, 0.05)  # AP / ML radius ratio
    leg_gap: tuple[float, float] = (14.0, 6.0)  # skin-to-skin gap between thighs
    fat_thickness: tuple[float, float] = (10.0, 4.0)  # subcutaneous fat (female +40 %)
    skin_thickness: float = 1.5
    femur_radius: tuple[float, float] = (13.0, 1.0)
    cortex_thickness: float = 5.0
    septum_width: float = 0.9  # intermuscular fat septa, in mm
    taper_per_mm: float = 0.0025  # thigh radius shrinks distally (relative per mm of z)
    max_thigh_radius: float = 100.0  # so both thighs fit every field of view

    # --- grids (centres in LPS mm; thigh slab centred at z = 0) ---
    stir_grid: GridSpec = GridSpec((384, 256, 1), (1.2, 1.2, 8.0), (0.0, 8.0, 0.0))
    dixon_grid: GridSpec = GridSpec((224, 136, 7), (2.0, 2.0, 6.0), (0.0, 6.0, 0.0))
    mese_grid: GridSpec = GridSpec((256, 144, 5), (1.7, 1.7, 6.0), (0.0, 4.0, 0.0))
    mese_max_rotation_deg: float = 4.0  # per-subject in-plane rotation of the MESE grid
    mese_max_tilt_deg: float = 2.0  # per-subject tilt about the L-R axis
    mese_max_shift_mm: float = 4.0
    mese_slice_thickness: float = 5.0  # 1 mm gap: slice spacing 6 mm (as in the T2 paper)

    # --- MESE physics ---
    n_echoes: int = 10
    echo_spacing: float = 10.0  # ms, TE 10..100
    repetition_time: float = 6690.0
    field_strength_mese: float = 3.0
    t1_water: float = 1400.0
    t1_fat: float = 365.0
    t2_fat: float = 151.0
    b1_range: tuple[float, float] = (0.75, 1.1)
    mese_m0: float = 1000.0
    mese_snr: float | None = 50.0  # first-echo SNR of pure healthy muscle; None: noiseless
    #: True: a 2-D multi-slice MESE whose echo trains carry the slice profile (headers: MRAcquisitionType
    #: 2D). False (default): ideal refocusing across the slice, as a 3-D acquisition has (headers: 3D), so
    #: the fit's automatic choice (no profile) matches. Why not 2D by default: with the profile and FF free,
    #: 10 echoes to 100 ms at SNR 50 leave T2, FF and B1 poorly separable; water T2 then reads a median
    #: ~8 ms low at 50 ms (FF read high), against ~1 ms without the profile; a known FF removes it.
    mese_slice_profile: bool = False

    # --- STIR physics (1.5 T) ---
    stir_tr: float = 6500.0
    stir_te: float = 65.0
    stir_ti: float = 190.0
    field_strength_stir: float = 1.5
    stir_t1_water: float = 1000.0
    stir_t1_fat: float = 260.0
    stir_t2_fat: float = 80.0
    stir_m0: float = 1000.0
    stir_snr: float | None = 25.0  # relative to healthy muscle signal; None: noiseless
    bias_amplitude: float = 0.15  # smooth multiplicative bias field, +/- fraction

    # --- Dixon (3 T T2w Dixon, TE 51 ms) ---
    dixon_te: float = 51.0
    dixon_m0: float = 1000.0
    dixon_snr: float | None = 40.0

    # --- tissue properties ---
    t2_skin: float = 40.0
    t2_marrow_water: float = 40.0
    ff_subcutaneous: float = 0.95
    ff_marrow: float = 0.85
    ff_septum: float = 0.9
    oedema_t2_cap: float = 120.0  # no voxel's water T2 exceeds this (ms)
    texture_sd: float = 0.8  # fine within-muscle T2 texture (ms, healthy muscle)

    # --- readers (ROI perturbation, mm) ---
    reader_bias: dict[str, float] = field(
        default_factory=lambda: {"R1": -0.4, "R2": 0.5, "R1b": -0.4}
    )  # signed outline offset: negative = erodes
    reader_jitter: dict[str, float] = field(
        default_factory=lambda: {"R1": 0.8, "R2": 1.2, "R1b": 0.8}
    )  # amplitude of smooth contour jitter
    reader_max_shift: float = 1.2

    # --- clinical links: log(enzyme) = a + b * (T2 - 34 ms) / 10 + noise ---
    enzyme_intercepts: dict[str, float] = field(default_factory=lambda: {"CK": 4.6, "ALT": 3.0, "AST": 3.1, "LDH": 5.3})
    enzyme_slopes: dict[str, float] = field(default_factory=lambda: {"CK": 0.5, "ALT": 0.25, "AST": 0.3, "LDH": 0.2})
    # noise chosen so Spearman rho(T2, enzyme) is about 0.4 among patients, in the range the
    # T2 paper's p-values (0.003-0.016 with n = 64) imply
    enzyme_noise_sd: dict[str, float] = field(
        default_factory=lambda: {"CK": 1.0, "ALT": 0.55, "AST": 0.55, "LDH": 0.35}
    )
    ars_oedema_boost: float = 0.5  # anti-ARS positives get more patchy, heterogeneous oedema
    jo1_fraction_of_ars: float = 0.55  # anti-Jo-1 is the commonest anti-ARS antibody
    ild_ars_extra_prob: float = 0.35  # anti-synthetase syndrome: ILD more likely ...
    ild_ars_score_boost: float = 0.8  # ... and more severe/extensive (per sub-score)

    # --- oedema patterns ---
    patches_mean: float = 10.0  # Poisson mean number of oedema foci over both thighs
    patch_sigma_mm: tuple[float, float] = (4.0, 12.0)  # Gaussian radius range of a focus
    patch_gain: float = 12.0  # peak of a focus relative to the diffuse pattern (before scaling)
    fascial_gain: float = 4.0  # fascial pattern at the fascia relative to the diffuse pattern
    fascial_width_mm: tuple[float, float] = (2.5, 6.0)  # decay length of fascial oedema

    @property
    def n_subjects(self) -> int:
        """Total number of subjects."""
        return int(sum(self.composition.values()))

    @classmethod
    def small(cls, n_per_group: int = 2, **changes) -> DemoConfig:
        """A cohort with ``n_per_group`` subjects in every group (for tests and quick looks)."""
        return cls(composition={g: int(n_per_group) for g in GROUPS}, **changes)

    def validate(self) -> DemoConfig:
        """Check the settings; raise :class:`ConfigError` listing every problem. Returns self."""
        problems = []
        unknown = set(self.composition) - set(GROUPS)
        if unknown:
            problems.append(f"unknown group(s) {sorted(unknown)}; expected some of {list(GROUPS)}")
        for g, n in self.composition.items():
            if int(n) != n or n < 0:
                problems.append(f"composition[{g!r}] = {n!r}: expected a non-negative integer")
        if self.n_subjects < 1:
            problems.append("composition has no subjects: expected at least one")
        if self.n_subjects > 999:
            problems.append(f"{self.n_subjects} subjects: at most 999 are supported")
        missing = set(self.composition) - set(self.groups)
        if missing:
            problems.append(f"no group parameters for {sorted(missing)}")
        if self.n_echoes < 2 or self.echo_spacing <= 0:
            problems.append(f"n_echoes {self.n_echoes} / echo_spacing {self.echo_spacing}: need >= 2 echoes, ESP > 0")
        lo, hi = self.b1_range
        if not 0.3 <= lo <= hi <= 1.3:
            problems.append(f"b1_range {self.b1_range}: expected 0.3 <= low <= high <= 1.3")
        for name in ("mese_snr", "stir_snr", "dixon_snr"):
            v = getattr(self, name)
            if v is not None and v <= 0:
                problems.append(f"{name} = {v}: expected > 0 or None (noiseless)")
        if not isinstance(self.seed, int) or self.seed < 0:
            problems.append(f"seed {self.seed!r}: expected a non-negative integer")
        for r in self.reader_bias:
            if r not in self.reader_jitter:
                problems.append(f"reader {r!r} has a bias but no jitter setting")
        if problems:
            raise ConfigError(problems)
        return self


#: Anatomical layout of one (right) thigh at mid-proximal level, in coordinates normalised to
#: the fascia outline: ``u`` points laterally, ``v`` anteriorly (1 = on the fascia). Per muscle:
#: centre ``(u, v)`` and size weight ``w`` of a multiplicatively weighted Voronoi cell
#: (cells compete by distance / w, which gives the rounded, nested shapes of real muscles).
#: Drawn from standard cross-sectional anatomy at 1/3 to 1/2 thigh length.
MUSCLE_LAYOUT: dict[str, tuple[float, float, float]] = {
    "VL": (0.66, 0.22, 0.42),
    "VM": (-0.30, 0.52, 0.28),
    "VI": (0.12, 0.43, 0.24),
    "RF": (0.08, 0.80, 0.25),
    "SAR": (-0.58, 0.46, 0.13),
    "GRA": (-0.86, -0.10, 0.12),
    "AM": (-0.35, -0.32, 0.40),
    "SM": (-0.36, -0.74, 0.20),
    "ST": (-0.04, -0.86, 0.19),
    "BFL": (0.36, -0.72, 0.22),
    "BFS": (0.50, -0.36, 0.17),
    "AL": (-0.58, 0.08, 0.20),
}

#: Femur centre in the same normalised coordinates (slightly lateral and anterior).
FEMUR_CENTRE: tuple[float, float] = (0.12, 0.10)
