"""`python -m bench [--rows N]` (what `make bench` runs)."""

import argparse

from bench.run import DEFAULT_SPEND_ROWS, run_benchmark

parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
parser.add_argument("--rows", type=int, default=DEFAULT_SPEND_ROWS,
                    help="ad spend rows (default 5,000,000; contacts, deals, touchpoints scale with it)")
# A benchmark is not a test: a missed target is reported in the table, not as a failure (exit 0).
run_benchmark(parser.parse_args().rows)
