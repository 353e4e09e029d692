#!/usr/bin/env bash
# Writes the fuzz targets' seed corpora into tests/fuzz/corpus/ from models
# the repository already has (the lit inputs, ONNX's node test cases): small
# artifacts for every target, the ane partitions' Core ML programs, tensor
# files, ONNX models. Run from the repository root after a build; the
# fuzzers grow the corpora from there.
set -euo pipefail
lathe=build/compiler/tools/lathe
node=/usr/share/libonnx-testdata/data/node
out=tests/fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p $out/{artifact,ane-program,tensor-files,onnx-import}

# Artifacts: the lit models for the cpu and the ane, one for hexagon, and
# node cases whose ops the ane emits.
n=0
for model in test/lit/driver/Inputs/*.onnxtext test/lit/targets/ane/Inputs/*.onnxtext; do
  for target in cpu ane; do
    $lathe compile "$model" --target $target -o $tmp/a.lathe --emit-mlpackage $tmp/pkg$n 2>/dev/null ||
      $lathe compile "$model" --target $target -o $tmp/a.lathe 2>/dev/null || continue
    cp $tmp/a.lathe $out/artifact/seed-$(basename "$model" .onnxtext)-$target.lathe
    n=$((n + 1))
  done
done
$lathe compile test/lit/targets/hexagon/Inputs/pow_between.onnxtext --target hexagon \
  -o $out/artifact/seed-pow_between-hexagon.lathe
# Two entries sharing their constants.
$lathe compile test/lit/driver/Inputs/add_relu_rows.onnxtext --entry two:x=2,3 --entry four:x=4,3 \
  -o $out/artifact/seed-add_relu_rows-entries-cpu.lathe
# A key/value cache in the session, written by two entries.
$lathe compile tests/unit/Inputs/running_sum_cache.onnxtext --kv-cache 8 --entry three:x=1,3,4 \
  --entry one:x=1,1,4 -o $out/artifact/seed-running_sum_cache-cpu.lathe
for case in test_conv_with_strides_padding test_maxpool_2d_pads test_averagepool_2d_ceil \
            test_matmul_3d test_softmax_axis_1 test_layer_normalization_4d_axis1 \
            test_batchnorm_example test_instancenorm_example test_transpose_all_permutations_3 \
            test_concat_3d_axis_1 test_slice test_resize_upsample_scales_linear \
            test_reduce_mean_keepdims_example test_convtranspose test_gemm_default_matrix_bias \
            test_clip_default_min test_elu test_leakyrelu test_gelu_default_1 test_pow_bcast_array; do
  [ -f $node/$case/model.onnx ] || continue
  $lathe compile $node/$case/model.onnx --target ane -o $tmp/a.lathe --emit-mlpackage $tmp/pkg$n \
    2>/dev/null || continue
  cp $tmp/a.lathe $out/artifact/seed-$case-ane.lathe
  n=$((n + 1))
done

# Core ML programs: u32 size of model.mlmodel, model.mlmodel, weight.bin.
for model in $(find $tmp -name model.mlmodel); do
  weights=$(dirname "$model")/weights/weight.bin
  name=$(echo "$model" | sed "s|$tmp/||; s|/Data/com.apple.CoreML/model.mlmodel||; s|/|-|g")
  /usr/bin/python3 -c "
import struct, sys, os
m = open(sys.argv[1], 'rb').read()
w = open(sys.argv[2], 'rb').read() if os.path.exists(sys.argv[2]) else b''
open(sys.argv[3], 'wb').write(struct.pack('<I', len(m)) + m + w)" "$model" "$weights" $out/ane-program/seed-$name
done

# Tensor files: a first byte 0 for .npy, 1 for .pb.
for case in test_abs test_cast_FLOAT_to_FLOAT16 test_argmax_default_axis_example test_and2d \
            test_gather_0 test_equal test_cast_FLOAT_to_DOUBLE test_where_example; do
  for pb in $node/$case/test_data_set_0/*.pb; do
    { printf '\001'; cat "$pb"; } > $out/tensor-files/seed-$case-$(basename "$pb")
  done
done
/usr/bin/python3 - $out/tensor-files <<'PY'
import io, sys
import numpy as np
for name, a in [("f32", np.arange(6, dtype=np.float32).reshape(2, 3)), ("i64", np.array([1, -2], np.int64)),
                ("bool", np.array([[True, False]])), ("u8", np.zeros((2, 2, 2), np.uint8)),
                ("scalar", np.float32(3.5)), ("f16", np.ones(3, np.float16))]:
    b = io.BytesIO()
    np.save(b, a)
    open("%s/seed-%s.npy" % (sys.argv[1], name), "wb").write(b"\0" + b.getvalue())
PY

# ONNX models: node cases of at most 2 KB (their op spread, little data).
for model in $node/*/model.onnx; do
  [ "$(stat -c %s "$model")" -le 2048 ] || continue
  cp "$model" $out/onnx-import/seed-$(basename "$(dirname "$model")").onnx
done
ls $out/* | wc -l
