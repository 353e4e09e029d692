#!/bin/sh
# One of make_core_ml_rule_models.py's models compiled for the ane: the
# package it writes must pass validate_mlpackage.py (Core ML's op rules
# among its checks), and where the model breaks a rule Core ML's op
# definitions set, --stats must name the rule for the op left on the cpu.
# usage: check_core_ml_rule.sh LATHE MODEL SOURCE_ROOT REASON|- [--input-shape NAME=DIMS]...
set -e
lathe=$1 model=$2 root=$3 reason=$4
shift 4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$lathe" compile "$model" --target ane "$@" -o "$work/model.lathe" --stats "$work/stats.json" \
  --emit-mlpackage "$work/out" || [ "$reason" != "-" ]  # nothing on the ane: no package
if [ -d "$work/out.mlpackage" ] || [ -d "$work/out" ]; then
  if [ -d "$work/out.mlpackage" ]; then packages="$work/out.mlpackage"; else packages=$(ls -d "$work"/out/*.mlpackage); fi
  for package in $packages; do
    /usr/bin/python3 "$root/tests/ane/validate_mlpackage.py" "$package" "$root" | head -1
  done
fi
if [ "$reason" != "-" ]; then
  [ -f "$work/stats.json" ] || "$lathe" compile "$model" --target ane "$@" -o "$work/model.lathe" --stats "$work/stats.json"
  if ! grep -q "runs on the cpu: $reason" "$work/stats.json"; then
    echo "--stats does not say: runs on the cpu: $reason"
    cat "$work/stats.json"
    echo "0 passed, 1 failed"
    exit 1
  fi
  echo "--stats: runs on the cpu: $reason"
fi
echo "1 passed, 0 failed"
