"""``myomri federate serve|push|pull|rollback``: federated learning of the per-muscle segmenter."""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["register", "run"]


def register(subparsers) -> None:
    """Add the ``federate`` command and its four subcommands."""
    from ..config.segment_dl import FEDERATED as F
    from .argtypes import port

    top = subparsers.add_parser(
        "federate", help="federated learning: serve a model, push refined weights, pull the merged model",
        description="Sites exchange model weights only (never images or masks) with a central server that "
                    "authenticates them, gates every upload on its own validation set and keeps a versioned "
                    "history with rollback.",
    )  # fmt: skip
    sub = top.add_subparsers(dest="federate_command", metavar="{serve,push,pull,rollback}")

    s = sub.add_parser("serve", prog="myomri federate serve", help="run the federated server")
    s.add_argument("--store", metavar="DIR", required=True, help="model store folder (versions, log)")
    s.add_argument(
        "--validation",
        metavar="TSV",
        required=True,
        help="case list (image, mask[, scheme, contrast]) the server scores uploads on",
    )
    s.add_argument("--token-file", metavar="F", required=True, help="file of 'SITE TOKEN' lines")
    s.add_argument(
        "--model", metavar="M", default=None, help="initial model of an empty store (default: the shipped weights)"
    )
    s.add_argument(
        "--initial-samples",
        type=int,
        default=1,
        help="data size the initial model represents in the weighted average (default 1)",
    )
    s.add_argument("--host", default=F["host"], help=f"address to listen on (default {F['host']})")
    s.add_argument("--port", type=port, default=F["port"], help=f"port (default {F['port']})")
    s.add_argument(
        "--tolerance",
        type=float,
        default=F["tolerance"],
        help=f"largest accepted drop of validation mean Dice (default {F['tolerance']})",
    )
    s.add_argument(
        "--max-upload-mb",
        type=float,
        default=F["max_upload_mb"],
        help=f"upload size limit in MB (default {F['max_upload_mb']})",
    )
    s.set_defaults(func=run)

    for name, helptext in (("push", "upload locally refined weights"), ("pull", "download the served model")):
        p = sub.add_parser(name, prog=f"myomri federate {name}", help=helptext)
        p.add_argument("--server", metavar="URL", required=True, help="e.g. http://127.0.0.1:8765")
        p.add_argument("--token", metavar="T", required=True, help="this site's token")
        if name == "push":
            p.add_argument("--model", metavar="M", required=True, help="model file to upload (weights only)")
            p.add_argument("--n-samples", type=int, required=True, help="number of local training slices/cases")
            p.add_argument("--base", default=None, help="lineage id it started from (default: the file's parent)")
        else:
            p.add_argument("-o", "--output", metavar="M", required=True, help="where to write the model")
        p.set_defaults(func=run)

    r = sub.add_parser("rollback", prog="myomri federate rollback", help="serve an earlier version again")
    r.add_argument("--store", metavar="DIR", required=True, help="model store folder")
    r.add_argument("--to", type=int, required=True, metavar="VERSION", help="version number to serve")
    r.set_defaults(func=run)
    top.set_defaults(func=lambda args: (top.print_help(), 2)[1])


def run(args: argparse.Namespace) -> int:
    """Dispatch to the subcommand."""
    cmd = args.federate_command
    if cmd == "serve":
        return _serve(args)
    if cmd == "push":
        from ..segment.federated.client import push_model

        ans = push_model(args.server, args.token, args.model, n_samples=args.n_samples, base=args.base)
        print(f"accepted: now serving version {ans.get('version')} (lineage {ans.get('lineage')}); "
              f"validation Dice served {ans.get('dice_served'):.3f}, yours {ans.get('dice_candidate'):.3f}, "
              f"merged {ans.get('dice_merged'):.3f}")  # fmt: skip
        return 0
    if cmd == "pull":
        from ..segment.federated.client import pull_model

        path, info = pull_model(args.server, args.token, args.output)
        print(f"{path}: version {info['version']}, lineage {info['lineage']}")
        return 0
    from ..segment.federated.store import ModelStore

    rec = ModelStore(args.store).rollback(args.to)
    print(json.dumps(rec))
    return 0


def _serve(args) -> int:
    from pathlib import Path

    from ..segment.federated.server import make_app, read_tokens, serve
    from ..segment.federated.store import ModelStore
    from ..segment.infer import default_model_path
    from ..segment.model_io import load_model
    from ..segment.train import load_cases, read_case_list

    tokens = read_tokens(args.token_file)
    # every input is checked before the store is created: a bad validation list must not leave a
    # new store (with its version 1) behind
    cases = read_case_list(args.validation)
    existing = (Path(args.store) / "current.json").is_file()
    model = ModelStore(args.store).load() if existing else load_model(args.model or default_model_path())
    pre = model.preprocess
    validation = load_cases(cases, tile=pre["tile"], pixel_mm=pre["pixel_mm"])
    store = ModelStore(args.store, initial_model=None if existing else model, initial_samples=args.initial_samples)
    app = make_app(store, validation, tokens, tolerance=args.tolerance, max_upload_mb=args.max_upload_mb,
                   log=lambda s: print(s, file=sys.stderr, flush=True))  # fmt: skip
    print(f"serving version {store.current_info()['version']} on http://{args.host}:{args.port} "
          f"to {len(tokens)} sites", file=sys.stderr, flush=True)  # fmt: skip
    serve(app, host=args.host, port=args.port)
    return 0
