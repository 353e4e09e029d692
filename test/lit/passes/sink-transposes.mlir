// RUN: %lathe-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(lathe-sink-transposes))' | FileCheck %s

// Two channels-last convolutions with a relu between: the relu runs channels
// last and the transposes between the convolutions cancel. One transpose is
// left at each end.
// CHECK-LABEL: func.func @conv_chain
// CHECK-SAME: (%[[X:.+]]: tensor<1x2x4x4xf32>, %[[W:.+]]: tensor<1x1x2x2xf32>)
// CHECK: %[[IN:.+]] = lathe.transpose %[[X]] {perm = array<i64: 0, 2, 3, 1>}
// CHECK: %[[C1:.+]] = lathe.conv_nhwc %[[IN]], %[[W]]
// CHECK: %[[R:.+]] = lathe.relu %[[C1]] : tensor<1x4x4x2xf32>
// CHECK: %[[C2:.+]] = lathe.conv_nhwc %[[R]], %[[W]]
// CHECK: %[[OUT:.+]] = lathe.transpose %[[C2]] {perm = array<i64: 0, 3, 1, 2>}
// CHECK: return %[[OUT]]
func.func @conv_chain(%x: tensor<1x2x4x4xf32>, %w: tensor<1x1x2x2xf32>) -> tensor<1x2x4x4xf32> {
  %t0 = lathe.transpose %x {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x4x4x2xf32>
  %c1 = lathe.conv_nhwc %t0, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x4x4x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x4x4x2xf32>
  %t1 = lathe.transpose %c1 {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x4x4xf32>
  %r = lathe.relu %t1 : tensor<1x2x4x4xf32>
  %t2 = lathe.transpose %r {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x4x4x2xf32>
  %c2 = lathe.conv_nhwc %t2, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x4x4x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x4x4x2xf32>
  %t3 = lathe.transpose %c2 {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x4x4xf32>
  return %t3 : tensor<1x2x4x4xf32>
}

// -----

// A per-channel constant (C, 1, 1) is brought to the full rank and laid out
// channels last at compile time, (1, 1, 1, C); two operands transposed alike
// sink together (a residual add).
// CHECK-LABEL: func.func @broadcast_operands
// CHECK-SAME: (%[[A:.+]]: tensor<1x3x3x2xf32>, %[[B:.+]]: tensor<1x3x3x2xf32>)
// CHECK: %[[K:.+]] = lathe.constant dense<{{\[}}[{{\[}}[1.000000e+00, 2.000000e+00]]]]> : tensor<1x1x1x2xf32>
// CHECK: %[[S:.+]] = lathe.add %[[A]], %[[K]]
// CHECK: %[[T:.+]] = lathe.add %[[S]], %[[B]] : (tensor<1x3x3x2xf32>, tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xf32>
// CHECK: %[[R:.+]] = lathe.transpose %[[T]] {perm = array<i64: 0, 3, 1, 2>}
// CHECK: return %[[R]]
func.func @broadcast_operands(%a: tensor<1x3x3x2xf32>, %b: tensor<1x3x3x2xf32>) -> tensor<1x2x3x3xf32> {
  %ta = lathe.transpose %a {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x3x3x2xf32>) -> tensor<1x2x3x3xf32>
  %tb = lathe.transpose %b {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x3x3x2xf32>) -> tensor<1x2x3x3xf32>
  %k = lathe.constant dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32>
  %s = lathe.add %ta, %k : (tensor<1x2x3x3xf32>, tensor<2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %t = lathe.add %s, %tb : (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  return %t : tensor<1x2x3x3xf32>
}

// -----

// Operands transposed differently, or an operand that is neither transposed
// nor constant: nothing moves.
// CHECK-LABEL: func.func @mismatched_operands
// CHECK: %[[TA:.+]] = lathe.transpose
// CHECK: %[[TB:.+]] = lathe.transpose
// CHECK: lathe.mul %[[TA]], %[[TB]]
// CHECK: lathe.mul %[[TA]], %arg2
func.func @mismatched_operands(%a: tensor<2x2x2xf32>, %b: tensor<2x2x2xf32>, %c: tensor<2x2x2xf32>) -> (tensor<2x2x2xf32>, tensor<2x2x2xf32>) {
  %ta = lathe.transpose %a {perm = array<i64: 0, 2, 1>} : (tensor<2x2x2xf32>) -> tensor<2x2x2xf32>
  %tb = lathe.transpose %b {perm = array<i64: 1, 0, 2>} : (tensor<2x2x2xf32>) -> tensor<2x2x2xf32>
  %m = lathe.mul %ta, %tb : (tensor<2x2x2xf32>, tensor<2x2x2xf32>) -> tensor<2x2x2xf32>
  %n = lathe.mul %ta, %c : (tensor<2x2x2xf32>, tensor<2x2x2xf32>) -> tensor<2x2x2xf32>
  return %m, %n : tensor<2x2x2xf32>, tensor<2x2x2xf32>
}

// -----

// Concat on channels (axis 1) of channels-last values concatenates on axis 3;
// a resize's scales follow their dims; a global average pool becomes a mean
// over the spatial dims, and the transpose left after it only moves unit
// dims, so it becomes a reshape.
// CHECK-LABEL: func.func @concat_resize_pool
// CHECK: %[[CAT:.+]] = lathe.concat %arg0, %arg1 {axis = 3 : i64} : (tensor<1x2x2x3xf32>, tensor<1x2x2x1xf32>) -> tensor<1x2x2x4xf32>
// CHECK: %[[UP:.+]] = lathe.resize %[[CAT]] {{.*}}scales = array<f32: 1.000000e+00, 2.000000e+00, 2.000000e+00, 1.000000e+00>{{.*}} -> tensor<1x4x4x4xf32>
// CHECK: %[[MEAN:.+]] = lathe.reduce_mean %[[UP]] {axes = array<i64: 1, 2>} : (tensor<1x4x4x4xf32>) -> tensor<1x1x1x4xf32>
// CHECK: %[[R:.+]] = lathe.reshape %[[MEAN]] {{.*}} -> tensor<1x4x1x1xf32>
// CHECK-NOT: lathe.transpose
// CHECK: return %[[R]]
func.func @concat_resize_pool(%a: tensor<1x2x2x3xf32>, %b: tensor<1x2x2x1xf32>) -> tensor<1x4x1x1xf32> {
  %ta = lathe.transpose %a {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x2x3xf32>) -> tensor<1x3x2x2xf32>
  %tb = lathe.transpose %b {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x2x1xf32>) -> tensor<1x1x2x2xf32>
  %cat = lathe.concat %ta, %tb {axis = 1 : i64} : (tensor<1x3x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x4x2x2xf32>
  %up = lathe.resize %cat {sizes = array<i64: 1, 4, 4, 4>, scales = array<f32: 1.0, 1.0, 2.0, 2.0>, mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor", cubic_coeff_a = -0.75 : f32, exclude_outside = false, extrapolation_value = 0.0 : f32} : (tensor<1x4x2x2xf32>) -> tensor<1x4x4x4xf32>
  %p = lathe.global_average_pool %up : (tensor<1x4x4x4xf32>) -> tensor<1x4x1x1xf32>
  return %p : tensor<1x4x1x1xf32>
}

// -----

// An op with no channels-last form (softmax over dim 1) keeps the transpose
// in front of it.
// CHECK-LABEL: func.func @layout_bound_op
// CHECK: %[[T:.+]] = lathe.transpose %arg0
// CHECK: lathe.softmax %[[T]]
func.func @layout_bound_op(%a: tensor<1x2x2x3xf32>) -> tensor<1x3x2x2xf32> {
  %t = lathe.transpose %a {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x2x3xf32>) -> tensor<1x3x2x2xf32>
  %s = lathe.softmax %t {axis = 1 : i64} : (tensor<1x3x2x2xf32>) -> tensor<1x3x2x2xf32>
  return %s : tensor<1x3x2x2xf32>
}

// -----

// A transformer block kept in (B, C, S): the layer norm over the last dim of
// (B, S, C) becomes one over the channels, its gamma and beta laid out as
// (1, C, 1), and the transposes around it cancel.
// CHECK-LABEL: func.func @layer_norm_over_channels
// CHECK-SAME: (%[[X:.+]]: tensor<1x3x5xf32>)
// CHECK-DAG: %[[G:.+]] = lathe.constant dense<{{\[}}[{{\[}}1.000000e+00], [2.000000e+00], [3.000000e+00]]]> : tensor<1x3x1xf32>
// CHECK-DAG: %[[B:.+]] = lathe.constant dense<{{\[}}[{{\[}}5.000000e-01], [0.000000e+00], [-5.000000e-01]]]> : tensor<1x3x1xf32>
// CHECK: %[[N:.+]] = lathe.layer_norm %[[X]], %[[G]], %[[B]] {axes = array<i64: 1>, epsilon = 9.99999974E-6 : f32} : (tensor<1x3x5xf32>, tensor<1x3x1xf32>, tensor<1x3x1xf32>) -> tensor<1x3x5xf32>
// CHECK-NOT: lathe.transpose
// CHECK: return %[[N]]
func.func @layer_norm_over_channels(%x: tensor<1x3x5xf32>) -> tensor<1x3x5xf32> {
  %g = lathe.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %b = lathe.constant dense<[0.5, 0.0, -0.5]> : tensor<3xf32>
  %t = lathe.transpose %x {perm = array<i64: 0, 2, 1>} : (tensor<1x3x5xf32>) -> tensor<1x5x3xf32>
  %n = lathe.layer_norm %t, %g, %b {axes = array<i64: 2>, epsilon = 1.0e-5 : f32} : (tensor<1x5x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x5x3xf32>
  %r = lathe.transpose %n {perm = array<i64: 0, 2, 1>} : (tensor<1x5x3xf32>) -> tensor<1x3x5xf32>
  return %r : tensor<1x3x5xf32>
}

// -----

// The transpose stays in front where the normalized dims would not be
// adjacent after the move, or where gamma is not a constant.
// CHECK-LABEL: func.func @layer_norm_stays
// CHECK: %[[T:.+]] = lathe.transpose %arg0 {perm = array<i64: 0, 2, 3, 1>}
// CHECK: lathe.layer_norm %[[T]], %{{.+}} {axes = array<i64: 2, 3>
// CHECK: %[[U:.+]] = lathe.transpose %arg1 {perm = array<i64: 0, 2, 1>}
// CHECK: lathe.layer_norm %[[U]], %arg2 {axes = array<i64: 2>
func.func @layer_norm_stays(%x: tensor<2x3x4x5xf32>, %y: tensor<1x3x5xf32>, %g: tensor<3xf32>) -> (tensor<2x4x5x3xf32>, tensor<1x5x3xf32>) {
  %k = lathe.constant dense<1.0> : tensor<5x3xf32>
  %t = lathe.transpose %x {perm = array<i64: 0, 2, 3, 1>} : (tensor<2x3x4x5xf32>) -> tensor<2x4x5x3xf32>
  %n = lathe.layer_norm %t, %k {axes = array<i64: 2, 3>, epsilon = 1.0e-5 : f32} : (tensor<2x4x5x3xf32>, tensor<5x3xf32>) -> tensor<2x4x5x3xf32>
  %u = lathe.transpose %y {perm = array<i64: 0, 2, 1>} : (tensor<1x3x5xf32>) -> tensor<1x5x3xf32>
  %m = lathe.layer_norm %u, %g {axes = array<i64: 2>, epsilon = 1.0e-5 : f32} : (tensor<1x5x3xf32>, tensor<3xf32>) -> tensor<1x5x3xf32>
  return %n, %m : tensor<2x4x5x3xf32>, tensor<1x5x3xf32>
}

// -----

// Two integer layers channels last: the requantized result goes back to
// channels first, is dequantized per channel (axis 1), rectified and
// quantized again, and the next layer takes it channels last. The
// quantization ops move below the transpose with their axis (1 -> 3) and the
// two transposes cancel.
// CHECK-LABEL: func.func @integer_layers
// CHECK-SAME: (%[[ACC:.+]]: tensor<1x2x2x3xi32>)
// CHECK: %[[Q:.+]] = lathe.requantize %[[ACC]], %{{.+}}, %{{.+}} {axis = 3 : i64} : (tensor<1x2x2x3xi32>, tensor<3xf32>, tensor<ui8>) -> tensor<1x2x2x3xui8>
// CHECK: %[[D:.+]] = lathe.dequantize_linear %[[Q]], %{{.+}}, %{{.+}} {axis = 3 : i64} : (tensor<1x2x2x3xui8>, tensor<3xf32>, tensor<3xui8>) -> tensor<1x2x2x3xf32>
// CHECK: %[[R:.+]] = lathe.relu %[[D]]
// CHECK: %[[Y:.+]] = lathe.quantize_linear %[[R]], %{{.+}}, %{{.+}} {axis = 3 : i64} : (tensor<1x2x2x3xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x2x2x3xui8>
// CHECK-NOT: lathe.transpose
// CHECK: return %[[Y]]
func.func @integer_layers(%acc: tensor<1x2x2x3xi32>) -> tensor<1x2x2x3xui8> {
  %m = lathe.constant dense<[0.5, 0.25, 0.125]> : tensor<3xf32>
  %z = lathe.constant dense<3> : tensor<ui8>
  %s3 = lathe.constant dense<[0.5, 0.5, 0.25]> : tensor<3xf32>
  %z3 = lathe.constant dense<[1, 2, 3]> : tensor<3xui8>
  %s = lathe.constant dense<0.5> : tensor<f32>
  %q = lathe.requantize %acc, %m, %z {axis = 3 : i64} : (tensor<1x2x2x3xi32>, tensor<3xf32>, tensor<ui8>) -> tensor<1x2x2x3xui8>
  %t = lathe.transpose %q {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x2x3xui8>) -> tensor<1x3x2x2xui8>
  %d = lathe.dequantize_linear %t, %s3, %z3 {axis = 1 : i64} : (tensor<1x3x2x2xui8>, tensor<3xf32>, tensor<3xui8>) -> tensor<1x3x2x2xf32>
  %r = lathe.relu %d : tensor<1x3x2x2xf32>
  %y = lathe.quantize_linear %r, %s, %z {axis = 1 : i64} : (tensor<1x3x2x2xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x3x2x2xui8>
  %back = lathe.transpose %y {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x3x2x2xui8>) -> tensor<1x2x2x3xui8>
  return %back : tensor<1x2x2x3xui8>
}
