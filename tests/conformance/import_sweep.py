#!/usr/bin/env python3
"""Imports every model of ONNX's backend test data with `lathe import` and
checks the outcome against the checked-in list of cases that import.

Each case either imports (verified IR), or is refused with one
"lathe: error: ..." line and exit code 1. Anything else (a signal, another
exit code, a multi-line error) is a crash and fails. A case on the expected
list that no longer imports is a regression and fails. Cases that newly import
are reported; `--update` rewrites the list.

Prints one line per failure, per-suite counts, and `N passed, M failed`.
"""
import argparse
import concurrent.futures
import os
import subprocess
import sys

SUITES = ["node", "pytorch-converted", "pytorch-operator", "simple"]


def run_case(lathe, case_dir):
    proc = subprocess.run(
        [lathe, "import", os.path.join(case_dir, "model.onnx"), "-o", os.devnull],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
    err = proc.stderr.decode(errors="replace").strip()
    if proc.returncode == 0:
        return "imported", err
    clean = proc.returncode == 1 and err.startswith("lathe: error: ") and "\n" not in err
    return ("refused" if clean else "crashed"), f"exit {proc.returncode}: {err[:400]}"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lathe", required=True)
    parser.add_argument("--data", default="/usr/share/libonnx-testdata/data")
    parser.add_argument("--expected", required=True, help="file listing suite/case that import")
    parser.add_argument("--update", action="store_true", help="rewrite the expected list")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()

    cases = []
    for suite in SUITES:
        root = os.path.join(args.data, suite)
        if not os.path.isdir(root):
            print(f"missing test data: {root} (install libonnx-testdata)")
            print("0 passed, 1 failed")
            return 1
        for name in sorted(os.listdir(root)):
            if os.path.isfile(os.path.join(root, name, "model.onnx")):
                cases.append(f"{suite}/{name}")

    with open(args.expected) as f:
        expected = {line.strip() for line in f if line.strip() and not line.startswith("#")}

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        outcomes = dict(zip(cases, pool.map(
            lambda c: run_case(args.lathe, os.path.join(args.data, c)), cases)))

    failed = []
    for case, (outcome, detail) in outcomes.items():
        if outcome == "crashed":
            failed.append(f"CRASH {case}: {detail}")
        elif outcome == "refused" and case in expected:
            failed.append(f"REGRESSION {case}: {detail}")
    imported = sorted(c for c, (o, _) in outcomes.items() if o == "imported")
    newly = [c for c in imported if c not in expected]

    for line in failed:
        print(line)
    for suite in SUITES:
        in_suite = [c for c in cases if c.startswith(suite + "/")]
        ok = [c for c in in_suite if outcomes[c][0] == "imported"]
        print(f"{suite}: {len(ok)} of {len(in_suite)} import")
    if newly:
        print(f"{len(newly)} cases import that the expected list lacks "
              f"(run with --update to add them): {' '.join(newly[:20])}")
    if args.update:
        with open(args.expected, "w") as f:
            f.write("# ONNX backend test cases `lathe import` turns into verified IR.\n")
            f.write("# Written by tests/conformance/import_sweep.py --update.\n")
            f.write("\n".join(imported) + "\n")
    print(f"{len(cases) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
