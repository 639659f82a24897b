"""``myomri view``: a local, offline web page to review and correct label maps.

The viewer is a face, like the CLI: :mod:`~myomri.view.server` is a small HTTP server on
127.0.0.1 guarded by a random token, :mod:`~myomri.view.catalog` finds the subjects to show,
:mod:`~myomri.view.volumes` reads and samples the volumes, :mod:`~myomri.view.corrections`
writes corrected label maps and reader ROIs, :mod:`~myomri.view.learn` runs ``segment refine``
in the background. The page itself (``static/``) is plain JavaScript shipped as package data.
"""

__all__: list[str] = []
