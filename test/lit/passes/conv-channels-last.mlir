// RUN: %lathe-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(lathe-conv-channels-last))' | FileCheck %s

// The input goes channels last, the weights (M=2, C=1, 1x2) are re-laid out
// to (1, 2, C, M) at compile time: W'[0, k, 0, m] = W[m, 0, 0, k], and the
// result comes back channels first. The bias is unchanged.
// CHECK-LABEL: func.func @conv
// CHECK-SAME: (%[[X:.+]]: tensor<1x1x3x4xf32>)
// CHECK-DAG: %[[W:.+]] = lathe.constant dense<{{\[}}[{{\[}}[1.000000e+00, 3.000000e+00]], {{\[}}[2.000000e+00, 4.000000e+00]]]]> : tensor<1x2x1x2xf32>
// CHECK-DAG: %[[B:.+]] = lathe.constant dense<[5.000000e-01, 2.500000e-01]>
// CHECK: %[[T:.+]] = lathe.transpose %[[X]] {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x1x3x4xf32>) -> tensor<1x3x4x1xf32>
// CHECK: %[[C:.+]] = lathe.conv_nhwc %[[T]], %[[W]], %[[B]] {{.*}}pads = array<i64: 0, 1, 0, 0>{{.*}} -> tensor<1x3x4x2xf32>
// CHECK: %[[Y:.+]] = lathe.transpose %[[C]] {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x3x4x2xf32>) -> tensor<1x2x3x4xf32>
// CHECK: return %[[Y]]
func.func @conv(%x: tensor<1x1x3x4xf32>) -> tensor<1x2x3x4xf32> {
  %w = lathe.constant dense<[[[[1.0, 2.0]]], [[[3.0, 4.0]]]]> : tensor<2x1x1x2xf32>
  %b = lathe.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %y = lathe.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 1, 0, 0>, group = 1} : (tensor<1x1x3x4xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x2x3x4xf32>
  return %y : tensor<1x2x3x4xf32>
}

// -----

// A depthwise convolution's weights (C, 1, kh, kw) become (kh, kw, 1, C).
// CHECK-LABEL: func.func @depthwise
// CHECK: lathe.conv_nhwc {{.*}}group = 3 : i64{{.*}} : (tensor<1x5x5x3xf32>, tensor<3x3x1x3xf32>) -> tensor<1x5x5x3xf32>
func.func @depthwise(%x: tensor<1x3x5x5xf32>) -> tensor<1x3x5x5xf32> {
  %w = lathe.constant dense<1.0> : tensor<3x1x3x3xf32>
  %y = lathe.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 3} : (tensor<1x3x5x5xf32>, tensor<3x1x3x3xf32>) -> tensor<1x3x5x5xf32>
  return %y : tensor<1x3x5x5xf32>
}

// -----

// Weights that are a graph input cannot be re-laid out at compile time: the
// convolution keeps its layout.
// CHECK-LABEL: func.func @runtime_weights
// CHECK-NOT: lathe.transpose
// CHECK: lathe.conv %
// CHECK-NOT: lathe.conv_nhwc
func.func @runtime_weights(%x: tensor<1x1x3x3xf32>, %w: tensor<1x1x1x1xf32>) -> tensor<1x1x3x3xf32> {
  %y = lathe.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x1x3x3xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x3x3xf32>
  return %y : tensor<1x1x3x3xf32>
}

// -----

// f16 weights are not re-laid out (the pass reads f32 constants only).
// CHECK-LABEL: func.func @f16_weights
// CHECK: lathe.conv %
func.func @f16_weights(%x: tensor<1x1x3x3xf16>) -> tensor<1x1x3x3xf16> {
  %w = lathe.constant dense<1.0> : tensor<1x1x1x1xf16>
  %y = lathe.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x1x3x3xf16>, tensor<1x1x1x1xf16>) -> tensor<1x1x3x3xf16>
  return %y : tensor<1x1x3x3xf16>
}

// -----

// A max pool after a convolution and its activation pools channels last:
// between the two transposes that lathe-sink-transposes cancels with the
// convolution's. A pool of a graph input stays channels first.
// CHECK-LABEL: func.func @pool_after_conv
// CHECK: %[[C:.+]] = lathe.conv_nhwc
// CHECK: %[[F:.+]] = lathe.transpose %[[C]] {perm = array<i64: 0, 3, 1, 2>}
// CHECK: %[[R:.+]] = lathe.relu %[[F]]
// CHECK: %[[L:.+]] = lathe.transpose %[[R]] {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x8x8x4xf32>
// CHECK: %[[P:.+]] = lathe.max_pool %[[L]] {ceil_mode = false, channels_last, {{.+}}} : (tensor<1x8x8x4xf32>) -> tensor<1x4x4x4xf32>
// CHECK: %[[Y:.+]] = lathe.transpose %[[P]] {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
// CHECK: %[[Q:.+]] = lathe.average_pool %{{.+}} {ceil_mode = false, count_include_pad = false, dilations
// CHECK-NOT: channels_last
// CHECK-SAME: -> tensor<1x3x4x4xf32>
// CHECK: return %[[Y]], %[[Q]]
func.func @pool_after_conv(%x: tensor<1x3x8x8xf32>) -> (tensor<1x4x4x4xf32>, tensor<1x3x4x4xf32>) {
  %w = lathe.constant dense<1.0> : tensor<4x3x3x3xf32>
  %c = lathe.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  %r = lathe.relu %c : tensor<1x4x8x8xf32>
  %p = lathe.max_pool %r {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, ceil_mode = false} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  %q = lathe.average_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : (tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32>
  return %p, %q : tensor<1x4x4x4xf32>, tensor<1x3x4x4xf32>
}

// -----

// A max pool of a quantized layer's result (requantized channels last,
// dequantized, rectified in float) pools channels last too.
// CHECK-LABEL: func.func @pool_after_quantized_layer
// CHECK: lathe.max_pool %{{.+}} {ceil_mode = false, channels_last, {{.+}}} : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
func.func @pool_after_quantized_layer(%acc: tensor<1x4x4x2xi32>) -> tensor<1x2x2x2xf32> {
  %m = lathe.constant dense<0.5> : tensor<f32>
  %z = lathe.constant dense<3> : tensor<ui8>
  %q = lathe.requantize %acc, %m, %z {axis = 3 : i64} : (tensor<1x4x4x2xi32>, tensor<f32>, tensor<ui8>) -> tensor<1x4x4x2xui8>
  %t = lathe.transpose %q {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x2xui8>) -> tensor<1x2x4x4xui8>
  %d = lathe.dequantize_linear %t, %m, %z {axis = 1 : i64} : (tensor<1x2x4x4xui8>, tensor<f32>, tensor<ui8>) -> tensor<1x2x4x4xf32>
  %r = lathe.relu %d : tensor<1x2x4x4xf32>
  %p = lathe.max_pool %r {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  return %p : tensor<1x2x2x2xf32>
}
