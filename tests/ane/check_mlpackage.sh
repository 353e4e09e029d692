#!/bin/sh
# Compiles MODEL for the ane with --emit-mlpackage, validates every package
# written (validate_mlpackage.py), and makes sure the validator refuses the
# same package with one blob record broken.
# usage: check_mlpackage.sh LATHE MODEL INPUT_SHAPE SOURCE_ROOT
set -e
lathe=$1 model=$2 shape=$3 root=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$lathe" compile "$model" --target ane --input-shape "$shape" -o "$work/model.lathe" \
  --emit-mlpackage "$work/out"
if [ -d "$work/out.mlpackage" ]; then packages="$work/out.mlpackage"; else packages=$(ls -d "$work"/out/*.mlpackage); fi
for package in $packages; do
  /usr/bin/python3 "$root/tests/ane/validate_mlpackage.py" "$package" "$root" | head -1
done
first=$(echo "$packages" | head -1)
cp -r "$first" "$work/broken"
/usr/bin/python3 - "$work/broken/Data/com.apple.CoreML/weights/weight.bin" <<'PY'
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
if len(data) > 64:
    data[64] ^= 0xFF  # the first blob's sentinel
else:
    data[4] ^= 0xFF   # no blob: the header's version
open(path, "wb").write(bytes(data))
PY
if /usr/bin/python3 "$root/tests/ane/validate_mlpackage.py" "$work/broken" "$root" > "$work/broken.log"; then
  echo "the validator accepted a broken weight.bin"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "1 passed, 0 failed"
