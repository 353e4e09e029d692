// RUN: %lathe-opt %s --split-input-file --pass-pipeline='builtin.module(convert-lathe-to-linalg,func.func(canonicalize,lathe-form-kernels,canonicalize))' | FileCheck %s

// A convolution, its zero fill and its activation become one loop nest over
// (n, c) (the unit n loop folds away): each iteration computes one output
// channel (the output dims after the reductions stay whole) and applies the
// relu to it.
// CHECK-LABEL: func.func @conv_relu
// CHECK-NOT: linalg.
// CHECK: scf.for
// CHECK-NOT: scf.for
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}}"reduction"
// CHECK: arith.maximumf
// CHECK: tensor.insert_slice
// CHECK: scf.yield
// CHECK-NEXT: }
// CHECK-NEXT: return
func.func @conv_relu(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %0 = lathe.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  %1 = lathe.relu %0 : tensor<1x4x6x6xf32>
  return %1 : tensor<1x4x6x6xf32>
}

// -----

// The convolution's result is also returned: it is not fused into the relu
// (that would compute it twice); it still becomes a kernel with its fill,
// and the relu stays a kernel of its own.
// CHECK-LABEL: func.func @conv_second_user
// CHECK: %[[CONV:.+]] = scf.for
// CHECK: linalg.fill
// CHECK: "reduction"
// CHECK: %[[RELU:.+]] = linalg.generic {{.*}} ins(%[[CONV]]
// CHECK: arith.maximumf
// CHECK: return %[[RELU]], %[[CONV]]
func.func @conv_second_user(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) {
  %0 = lathe.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  %1 = lathe.relu %0 : tensor<1x4x6x6xf32>
  return %1, %0 : tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>
}

// -----

// A reduction read through a broadcast (a channel sum scaling every pixel)
// is not fused into the pixel kernel: each tile would recompute the sum. The
// sum becomes a kernel of its own with its fill, looping over channels (its
// innermost loop is a reduction, so the channel dim is tiled).
// CHECK-LABEL: func.func @broadcast_read
// CHECK: %[[SUM:.+]] = scf.for %{{.+}} = %c0 to %c4
// CHECK: linalg.fill
// CHECK: "reduction"
// CHECK: %[[SUM_4D:.+]] = tensor.expand_shape %[[SUM]]
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[SUM_4D]]
// CHECK: arith.mulf
func.func @broadcast_read(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %0 = lathe.reduce_sum %x {axes = array<i64: 2, 3>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x1x1xf32>
  %1 = lathe.mul %x, %0 : (tensor<1x4x8x8xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  return %1 : tensor<1x4x8x8xf32>
}
