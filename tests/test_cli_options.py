"""Option values of every command are checked while the command line is parsed (issue 16 item
15): ``--jobs 0``, ``--seed -1``, ``--lr -1``, ``-o ""`` and ``-o`` naming a folder where a file
is expected (or a file where a folder is) give one line naming the option and what was
expected, exit code 2, and nothing is read, computed or written."""

from __future__ import annotations

import pytest

from myomri.cli import main


def _rc(argv):
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


# each: argv (with {d} for an existing folder, {f} for an existing file), the option named
CASES = [
    (["extract", "{f}", "{f}", "-o", ""], "-o/--out"),
    (["extract", "{f}", "{f}", "-o", "{d}"], "-o/--out"),
    (["extract", "--manifest", "{f}", "-o", "{d}/x.csv", "--jobs", "0"], "--jobs"),
    (["robustness", "{f}", "{f}", "-o", "{d}"], "-o/--out"),
    (["robustness", "{f}", "{f}", "-o", "{d}/r.csv", "--seed", "-1"], "--seed"),
    (["roi-stats", "{f}", "{f}", "-o", "{d}"], "-o/--output"),
    (["roi-stats", "{f}", "{f}", "-o", ""], "-o/--output"),
    (["segment", "{f}", "-o", "{d}"], "-o/--output"),
    (["register", "{f}", "{f}", "-o", "{d}"], "-o/--output"),
    (["init", "{d}", "-o", "{d}"], "-o/--output"),
    (["register", "{f}", "{f}", "-o", "{d}/t.json", "--max-rotation", "-1"], "--max-rotation"),
    (["segment", "train", "--images", "{f}", "--masks", "{f}", "--lr", "-1", "-o", "{d}/m.pt"], "--lr"),
    (["segment", "train", "--images", "{f}", "--masks", "{f}", "--seed", "-1", "-o", "{d}/m.pt"], "--seed"),
    (["segment", "refine", "--model", "{f}", "--images", "{f}", "--masks", "{f}", "--lr", "0",
      "-o", "{d}/m.pt"], "--lr"),
    (["segment", "train", "--images", "{f}", "--masks", "{f}", "-o", "{d}"], "-o/--output"),
    (["demo-data", "{d}/new", "--seed", "-1"], "--seed"),
    (["demo-data", "{d}/new", "--jobs", "0"], "--jobs"),
    (["demo-data", "{f}"], "OUTDIR"),
    (["demo", "-o", ""], "-o/--output"),
    (["demo", "-o", "{d}/demo", "--seed", "-1"], "--seed"),
    (["demo", "-o", "{d}/demo", "--jobs", "0"], "--jobs"),
    (["run", "{f}", "-o", ""], "-o/--output"),
    (["run", "{f}", "-o", "{f}"], "-o/--output"),
    (["run", "{f}", "-o", "{d}/out", "--jobs", "0"], "--jobs"),
    (["study", "run", "{f}", "-o", ""], "-o/--output"),
    (["study", "run", "{f}", "-o", "{d}/s", "--jobs", "0"], "--jobs"),
    (["view", "{f}", "--port", "99999"], "--port"),
    (["view", "{f}", "--port", "-1"], "--port"),
    (["federate", "serve", "--store", "{d}/s", "--port", "70000"], "--port"),
    (["t2fit", "{f}", "-o", "{d}/m", "--noise-threshold", "-1"], "--noise-threshold"),
    (["t2fit", "{f}", "-o", "{d}/m", "--noise-threshold", "nan"], "--noise-threshold"),
]


@pytest.mark.parametrize("argv, option", CASES, ids=[" ".join(c[0][:2]) + " " + c[1] for c in CASES])
def test_bad_option_value_is_one_line_exit_2_nothing_written(tmp_path, monkeypatch, capsys, argv, option):
    monkeypatch.chdir(tmp_path)  # '-o ""' used to mean the working directory: keep it in tmp_path
    folder = tmp_path / "existing"
    folder.mkdir()
    existing = tmp_path / "input.nii.gz"
    existing.write_bytes(b"not read: the options are refused first")
    argv = [a.format(d=folder, f=existing) for a in argv]
    rc = _rc(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1, err
    assert f"argument {option}" in err[0] and "expected" in err[0]
    assert "Traceback" not in err[0] and "internal error" not in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing", "input.nii.gz"]
    assert not any(folder.iterdir())


def test_jobs_minus_one_still_means_all_cores():
    from myomri.cli.argtypes import n_jobs

    assert n_jobs("-1") == -1 and n_jobs("3") == 3
