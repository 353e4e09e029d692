// RUN: %lathe-opt %s --split-input-file --lathe-conv-transpose-as-conv | FileCheck %s

// A 2x2, stride-2 transposed convolution from 3 to 2 channels: a 1x1
// convolution to 2 x 2 x 2 = 8 filters, filter (co, a, b) taking weight
// (ci, co, a, b) and bias co, then each pixel's 8 values placed in its 2x2
// block of each output channel.
// CHECK-LABEL: func.func @upsample
// CHECK-SAME: (%[[X:.+]]: tensor<1x3x4x5xf32>)
// CHECK-DAG: %[[W:.+]] = lathe.constant dense<{{\[\[\[\[}}0.000000e+00]], {{\[\[}}8.000000e+00]], {{\[\[}}1.600000e+01]]], {{\[\[\[}}1.000000e+00]]{{.*}} : tensor<8x3x1x1xf32>
// CHECK-DAG: %[[B:.+]] = lathe.constant dense<[5.000000e-01, 5.000000e-01, 5.000000e-01, 5.000000e-01, -1.000000e+00, -1.000000e+00, -1.000000e+00, -1.000000e+00]> : tensor<8xf32>
// CHECK: %[[C:.+]] = lathe.conv %[[X]], %[[W]], %[[B]] {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : {{.*}} -> tensor<1x8x4x5xf32>
// CHECK: %[[R:.+]] = lathe.reshape %[[C]] {shape = array<i64: 1, 2, 2, 2, 4, 5>}
// CHECK: %[[T:.+]] = lathe.transpose %[[R]] {perm = array<i64: 0, 1, 4, 2, 5, 3>}
// CHECK: %[[Y:.+]] = lathe.reshape %[[T]] {shape = array<i64: 1, 2, 8, 10>}
// CHECK: return %[[Y]]
func.func @upsample(%x: tensor<1x3x4x5xf32>) -> tensor<1x2x8x10xf32> {
  %w = lathe.constant dense<[[[[0.0, 1.0], [2.0, 3.0]], [[4.0, 5.0], [6.0, 7.0]]],
                             [[[8.0, 9.0], [10.0, 11.0]], [[12.0, 13.0], [14.0, 15.0]]],
                             [[[16.0, 17.0], [18.0, 19.0]], [[20.0, 21.0], [22.0, 23.0]]]]> : tensor<3x2x2x2xf32>
  %b = lathe.constant dense<[0.5, -1.0]> : tensor<2xf32>
  %y = lathe.conv_transpose %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 0, 0>, group = 1} : (tensor<1x3x4x5xf32>, tensor<3x2x2x2xf32>, tensor<2xf32>) -> tensor<1x2x8x10xf32>
  return %y : tensor<1x2x8x10xf32>
}

// -----

// Overlapping blocks (a 3x3 kernel at stride 2) and padded ones are left as
// they are.
// CHECK-LABEL: func.func @overlapping
// CHECK: lathe.conv_transpose
// CHECK-LABEL: func.func @padded
// CHECK: lathe.conv_transpose
func.func @overlapping(%x: tensor<1x3x4x4xf32>) -> tensor<1x2x9x9xf32> {
  %w = lathe.constant dense<1.0> : tensor<3x2x3x3xf32>
  %y = lathe.conv_transpose %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 0, 0>, group = 1} : (tensor<1x3x4x4xf32>, tensor<3x2x3x3xf32>) -> tensor<1x2x9x9xf32>
  return %y : tensor<1x2x9x9xf32>
}
func.func @padded(%x: tensor<1x3x4x4xf32>) -> tensor<1x2x6x6xf32> {
  %w = lathe.constant dense<1.0> : tensor<3x2x2x2xf32>
  %y = lathe.conv_transpose %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, output_padding = array<i64: 0, 0>, group = 1} : (tensor<1x3x4x4xf32>, tensor<3x2x2x2xf32>) -> tensor<1x2x6x6xf32>
  return %y : tensor<1x2x6x6xf32>
}

// -----

// Weights computed at run time stay a transposed convolution.
// CHECK-LABEL: func.func @runtime_weights
// CHECK: lathe.conv_transpose
func.func @runtime_weights(%x: tensor<1x3x4x4xf32>, %w: tensor<3x2x2x2xf32>) -> tensor<1x2x8x8xf32> {
  %y = lathe.conv_transpose %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, output_padding = array<i64: 0, 0>, group = 1} : (tensor<1x3x4x4xf32>, tensor<3x2x2x2xf32>) -> tensor<1x2x8x8xf32>
  return %y : tensor<1x2x8x8xf32>
}
