"""``myomri init DATASET -o study.yaml``: a study file from a DICOM tree or a BIDS / ORMIR-MIDS folder (thin face)."""

from __future__ import annotations

import argparse
import sys

__all__ = ["register", "run", "parse_roles"]


def register(subparsers) -> None:
    """Add the ``init`` subcommand."""
    from ..config.init import KEY_FILE, ROLES
    from .argtypes import output_file

    p = subparsers.add_parser(
        "init",
        help="write a study file for 'myomri run' from a folder of DICOM exports or a BIDS / ORMIR-MIDS folder",
        description=(
            "Group the DICOM files under DATASET into series (SeriesInstanceUID) and subjects (PatientID), "
            "classify each series from its headers (STIR, MESE, Dixon water/fat/in/out-of-phase, T1, vendor "
            "T2 map) and write STUDY (accepted by 'myomri run' as is) with manifest.csv, participants.tsv and "
            "series.csv (role and why per series; ambiguous, skipped and unreadable ones) beside it. Subjects "
            f"get pseudonymous ids sub-001...; {KEY_FILE} beside STUDY links them to PatientID and is the only "
            "file holding a patient field: keep it local. A BIDS or ORMIR-MIDS folder (dataset_description.json "
            "and/or sub-<label>/ folders of NIfTI files with JSON sidecars) is read by file-name suffix, entities "
            "and sidecar fields instead; its sub- labels are the subject ids (already pseudonymous, no key file), "
            "its participants.tsv the default clinical table, and --role takes the file's path relative to DATASET."
        ),
    )
    p.add_argument(
        "dataset", metavar="DATASET", help="folder of DICOM files (any layout) or a BIDS / ORMIR-MIDS folder"
    )
    p.add_argument("-o", "--output", required=True, type=output_file, help="study file to write (study.yaml)")
    p.add_argument(
        "--clinical",
        default=None,
        metavar="TABLE",
        help="clinical table (.csv, .tsv, or .xlsx with openpyxl) with an id column matching "
        "PatientID or the pseudonymous ids (default for a BIDS / ORMIR-MIDS folder: its participants.tsv)",
    )
    p.add_argument(
        "--role",
        action="append",
        default=[],
        metavar="SERIES=ROLE",
        help="force the role of a series (repeatable): SERIES is the SeriesInstanceUID, or for a BIDS / "
        f"ORMIR-MIDS folder the file's path relative to DATASET; ROLE one of {', '.join(ROLES)}",
    )
    p.add_argument(
        "--rois",
        default=None,
        metavar="DIR",
        help="reader ROIs on the STIR series: DIR/<PatientID or sub-id>/<anything>[_ses-<N>]_reader-<ID>"
        "_roi.nii.gz; turns the study's radiomics on",
    )
    p.set_defaults(func=run)


def parse_roles(items: list[str]) -> dict[str, str]:
    """``['1.2.3=mese']`` -> ``{'1.2.3': 'mese'}`` (the key may be a relative file path); a bad item is a
    ConfigError listing every problem."""
    from ..config.init import ROLES
    from ..errors import ConfigError

    out, problems = {}, []
    for item in items:
        uid, _, role = item.rpartition("=")
        if not uid or role not in ROLES:
            problems.append(f"--role {item!r}: expected SERIES=ROLE with ROLE in {', '.join(ROLES)}")
        else:
            out[uid.strip()] = role
    if problems:
        raise ConfigError(problems)
    return out


def run(args: argparse.Namespace) -> int:
    """Write the study; 0, or 1 when a series is ambiguous or a file is unreadable (both listed)."""
    from ..io.init_study import init_study

    roles = parse_roles(args.role)
    result = init_study(args.dataset, args.output, clinical=args.clinical, roles=roles, rois=args.rois)
    n_amb, n_skip = result.count("ambiguous"), result.count("skipped")
    print(
        f"init: {len(result.subjects)} subject(s), {result.count('used')} series used, {n_amb} ambiguous, "
        f"{n_skip} skipped (see series.csv); written {result.study}",
        file=sys.stderr,
    )
    if result.key_file is None:
        print(
            "init: subject ids are the dataset's sub- labels (already pseudonymous): no key file written",
            file=sys.stderr,
        )
    else:
        print(
            f"init: warning: {result.key_file} links the pseudonymous ids to PatientID: keep it local, never "
            "share it with the results",
            file=sys.stderr,
        )
    return 1 if n_amb else 0
