"""joblib's worker-restart warning is silenced for the CLI's own process, and only that warning.

Known answers: the filtered text is the one loky really emits (read from its installed source, so a
reworded warning fails here instead of printing again), and after ``main`` runs that warning is
dropped while any other UserWarning still shows.
"""

from __future__ import annotations

import inspect
import warnings

from myomri.cli import main
from myomri.cores import WORKER_RESTART_WARNING

LOKY_TEXT = ("A worker stopped while some jobs were given to the executor. This can be caused by a too short "
             "worker timeout or by a memory leak.")  # fmt: skip


def test_the_filtered_text_is_what_loky_emits():
    from joblib.externals.loky import process_executor

    src = " ".join(inspect.getsource(process_executor).replace('"', " ").split())
    assert " ".join(WORKER_RESTART_WARNING.split()) in src
    assert LOKY_TEXT.startswith(WORKER_RESTART_WARNING)


def test_cli_drops_the_restart_warning_and_keeps_others(capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        main([])  # prints the help; the filter is set before parsing
        warnings.warn(LOKY_TEXT, UserWarning, stacklevel=1)
        warnings.warn("some other problem", UserWarning, stacklevel=1)
    messages = [str(w.message) for w in caught]
    assert messages == ["some other problem"]
    capsys.readouterr()
