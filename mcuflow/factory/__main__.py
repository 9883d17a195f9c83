"""``python -m mcuflow.factory OUT_DIR [--seed N] [NAME ...]``: write factory models."""

import argparse

from . import MODELS, write_all


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m mcuflow.factory", description=__doc__)
    ap.add_argument("out_dir")
    ap.add_argument("names", nargs="*",
                    help=f"models to write (default: all of {', '.join(MODELS)})")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    unknown = [n for n in args.names if n not in MODELS]
    if unknown:
        ap.error(f"unknown model(s) {', '.join(unknown)}")
    for p in write_all(args.out_dir, args.seed, args.names or None):
        print(p, p.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
