#!/bin/sh
# The runtime library exports exactly the functions lathe.h declares with
# LATHE_API: its internals (lathe_fail, the ane program reader, the
# backends) stay hidden. usage: check_runtime_exports.sh LIBRARY lathe.h
set -eu
exported=$(nm -D --defined-only "$1" | awk '$2 == "T" { print $3 }' | sort)
declared=$(grep -v '^#' "$2" | grep -o 'LATHE_API [^(]*(' | sed 's/($//; s/.* \**//' | sort)
if [ "$exported" != "$declared" ]; then
  echo "exported but not declared:"; echo "$exported" | grep -vxF "$declared" || true
  echo "declared but not exported:"; echo "$declared" | grep -vxF "$exported" || true
  exit 1
fi
echo "$(echo "$exported" | wc -l) functions exported, all declared in lathe.h"
