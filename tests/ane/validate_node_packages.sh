#!/bin/sh
# Every ONNX node case on the ane's passing list compiled for the ane, and
# every package it writes checked by validate_mlpackage.py: Core ML's
# interface, blob storage and op signatures over the programs lathe emits
# for its whole op set (a case with nothing for the ane writes none).
# usage: validate_node_packages.sh LATHE SOURCE_ROOT EXPECTED_LIST WORK_DIR
#   (each case runs as: validate_node_packages.sh --case LATHE SOURCE_ROOT WORK_DIR CASE)
set -eu
data=/usr/share/libonnx-testdata/data
if [ "$1" = "--case" ]; then
  # One case: one line per package it writes ("valid CASE", or its errors).
  lathe=$2 root=$3 work=$4 case=$5
  out="$work/$(echo "$case" | tr / _)"
  "$lathe" compile "$data/$case/model.onnx" --target ane -o "$out.lathe" --emit-mlpackage "$out" \
    >/dev/null 2>&1 || exit 0
  for package in $(ls -d "$out.mlpackage" "$out"/*.mlpackage 2>/dev/null); do
    if result=$(/usr/bin/python3 "$root/tests/ane/validate_mlpackage.py" "$package" "$root" 2>&1); then
      echo "valid $case"
    else
      echo "$result" | grep -v passed | sed "s|^|$case: |"
    fi
  done
  rm -rf "$out" "$out.mlpackage" "$out.lathe"
  exit 0
fi
lathe=$1 root=$2 list=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
grep '^node/' "$list" | xargs -P 2 -n 1 sh "$0" --case "$lathe" "$root" "$work" > "$work/verdicts.txt"
valid=$(grep -c '^valid ' "$work/verdicts.txt" || true)
invalid=$(grep -v '^valid ' "$work/verdicts.txt" | cut -d: -f1 | sort -u | wc -l)
grep -v '^valid ' "$work/verdicts.txt" | head -40 || true
echo "$valid packages valid, $invalid cases with an invalid package"
if [ "$valid" -ge 200 ] && [ "$invalid" -eq 0 ]; then
  echo "1 passed, 0 failed"
else
  echo "0 passed, 1 failed"
  exit 1
fi
