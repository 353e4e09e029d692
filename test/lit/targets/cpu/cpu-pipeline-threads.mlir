// RUN: %lathe-opt %s --lathe-cpu-pipeline="cpu=x86-64-v3" | FileCheck %s

// The cpu pipeline splits a convolution with its bias and relu (32 x 2
// tiles of 32 x 16 outputs, each a 3 x 3 x 8 reduction: too few channels
// for Winograd) across the session's threads: the entry takes the kernel
// services, the tiles are a private function of [begin, end), and the
// entry hands them to the runtime through the declaration emitting the
// object defines. The tiles keep their register tile (fused multiply-adds
// on 16 floats).
// CHECK-LABEL: llvm.func @conv_relu
// CHECK-SAME: %{{.+}}: !llvm.ptr {lathe.constants}, %[[S:.+]]: !llvm.ptr {lathe.services}, %{{.+}}: !llvm.ptr {lathe.arena})
// CHECK: llvm.call @lathe_parallel_for.conv_relu.tiles0(%[[S]],
// CHECK: llvm.func internal @conv_relu.tiles0(
// CHECK-SAME: i64, %{{.+}}: i64)
// CHECK: llvm.intr.fmuladd{{.*}}vector<16xf32>
// CHECK: llvm.func @lathe_parallel_for.conv_relu.tiles0(!llvm.ptr, {{.*}}, i64, i64)
func.func @conv_relu(%x: tensor<1x8x32x32xf32>) -> tensor<1x32x32x32xf32> {
  %w = arith.constant dense<0.5> : tensor<32x8x3x3xf32>
  %b = arith.constant dense<0.1> : tensor<32xf32>
  %0 = lathe.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x8x32x32xf32>, tensor<32x8x3x3xf32>, tensor<32xf32>) -> tensor<1x32x32x32xf32>
  %1 = lathe.relu %0 : tensor<1x32x32x32xf32>
  return %1 : tensor<1x32x32x32xf32>
}
