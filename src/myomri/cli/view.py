"""``myomri view``: review and correct label maps in the browser (local server, offline page)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["register", "run", "build_catalog"]


def register(subparsers) -> None:
    """Add the ``view`` subcommand."""
    from .argtypes import port

    p = subparsers.add_parser(
        "view",
        help="review and correct label maps in the browser (local, offline)",
        description=(
            "Serve a local web page (127.0.0.1 only, random access token in the URL) to page through "
            "a subject's slices with its label map over the image, fix the labels with a brush and save "
            "them beside the original as <name>_corrected.nii.gz (never over it; listed in "
            "corrections.csv). PATH is an image (with --labels/--map) or the output folder of "
            "'myomri run' / 'myomri demo'. Ctrl-C stops the server."
        ),
    )
    p.add_argument("path", nargs="?", default=None, help="an image file, or a run/demo output folder")
    p.add_argument("--labels", default=None, help="label map of IMAGE (any grid of the same patient space)")
    p.add_argument(
        "--map",
        dest="value_map",
        default=None,
        help="quantitative map (e.g. water T2) for per-label mean +- SD and to show alongside",
    )
    p.add_argument("--manifest", default=None, help="cohort manifest (manifest.csv of demo-data) instead of PATH")
    p.add_argument("--label-table", default=None, help="ITK-SNAP label file for names and colours")
    p.add_argument(
        "--model",
        default=None,
        help="segmentation model that 'learn from corrections' refines (default: the shipped one)",
    )
    p.add_argument("--port", type=port, default=0, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--no-browser", action="store_true", help="print the URL only; do not open a browser")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    p.set_defaults(func=run)


def build_catalog(args: argparse.Namespace):
    """The :class:`~myomri.view.catalog.Catalog` the arguments name (raises ``InputError``)."""
    from ..errors import InputError
    from ..view.catalog import catalog_manifest, catalog_run, catalog_single

    if args.manifest and args.path:
        raise InputError("give PATH or --manifest, not both")
    if args.manifest:
        return catalog_manifest(args.manifest, model=args.model, label_file=args.label_table)
    if not args.path:
        raise InputError("nothing to show: give an IMAGE (with --labels), a run output folder or --manifest M.csv")
    path = Path(args.path)
    if path.is_dir():
        if args.labels or args.value_map:
            raise InputError(f"{path} is a folder: --labels/--map apply to a single image")
        return catalog_run(path, model=args.model, label_file=args.label_table)
    return catalog_single(path, args.labels, args.value_map, label_file=args.label_table, model=args.model)


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C; returns 0."""
    from ..view.api import ViewerApi
    from ..view.server import ViewerServer

    catalog = build_catalog(args)
    if len(catalog.entries) == 1:  # fail now, in the terminal, when the one subject cannot be shown
        api = ViewerApi(catalog)
        api.meta(catalog.entries[0].subject, "labels")
    else:
        api = ViewerApi(catalog)
    try:
        server = ViewerServer(api, port=args.port, verbose=args.verbose)
    except OSError as exc:
        raise OSError(f"cannot listen on 127.0.0.1:{args.port} ({exc.strerror}); pick another --port") from exc
    print(f"myomri view: {len(catalog.entries)} subject(s); open {server.url}", flush=True)
    print("myomri view: press Ctrl-C to stop", file=sys.stderr, flush=True)
    if not args.no_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("myomri view: stopped", file=sys.stderr)
    finally:
        server.server_close()
        api.close()
    return 0
