// RUN: %lathe-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(func.func(lathe-integer-qdq-groups))' | FileCheck %s

// A matmul group with a per-column weight scale, an int32 bias in the
// accumulator's scale and a ReLU: multipliers 0.5 * [0.25, 0.125] / 0.25.
// CHECK-LABEL: func.func @matmul_group
// CHECK-SAME: (%[[A:.+]]: tensor<2x4xui8>, %[[B:.+]]: tensor<4x2xi8>)
// CHECK-DAG: %[[ZA:.+]] = lathe.constant dense<3> : tensor<ui8>
// CHECK-DAG: %[[ZB:.+]] = lathe.constant dense<0> : tensor<i8>
// CHECK-DAG: %[[BIAS:.+]] = lathe.constant dense<[7, -5]> : tensor<2xi32>
// CHECK-DAG: %[[ZERO:.+]] = lathe.constant dense<0> : tensor<i32>
// CHECK-DAG: %[[M:.+]] = lathe.constant dense<[5.000000e-01, 2.500000e-01]> : tensor<2xf32>
// CHECK-DAG: %[[ZY:.+]] = lathe.constant dense<10> : tensor<ui8>
// CHECK: %[[ACC:.+]] = lathe.matmul_integer %[[A]], %[[B]], %[[ZA]], %[[ZB]] : (tensor<2x4xui8>, tensor<4x2xi8>, tensor<ui8>, tensor<i8>) -> tensor<2x2xi32>
// CHECK: %[[SUM:.+]] = lathe.add %[[ACC]], %[[BIAS]]
// CHECK: %[[RELU:.+]] = lathe.max %[[SUM]], %[[ZERO]]
// CHECK: %[[Y:.+]] = lathe.requantize %[[RELU]], %[[M]], %[[ZY]] {axis = 1 : i64} : (tensor<2x2xi32>, tensor<2xf32>, tensor<ui8>) -> tensor<2x2xui8>
// CHECK-NOT: lathe.dequantize_linear
// CHECK: return %[[Y]]
func.func @matmul_group(%a: tensor<2x4xui8>, %b: tensor<4x2xi8>) -> tensor<2x2xui8> {
  %sa = lathe.constant dense<0.5> : tensor<f32>
  %za = lathe.constant dense<3> : tensor<ui8>
  %sb = lathe.constant dense<[0.25, 0.125]> : tensor<2xf32>
  %zb = lathe.constant dense<0> : tensor<2xi8>
  %bq = lathe.constant dense<[7, -5]> : tensor<2xi32>
  %sbias = lathe.constant dense<[0.125, 0.0625]> : tensor<2xf32>
  %zbias = lathe.constant dense<0> : tensor<2xi32>
  %sy = lathe.constant dense<0.25> : tensor<f32>
  %zy = lathe.constant dense<10> : tensor<ui8>
  %da = lathe.dequantize_linear %a, %sa, %za {axis = 1 : i64} : (tensor<2x4xui8>, tensor<f32>, tensor<ui8>) -> tensor<2x4xf32>
  %db = lathe.dequantize_linear %b, %sb, %zb {axis = 1 : i64} : (tensor<4x2xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<4x2xf32>
  %bias = lathe.dequantize_linear %bq, %sbias, %zbias {axis = 0 : i64} : (tensor<2xi32>, tensor<2xf32>, tensor<2xi32>) -> tensor<2xf32>
  %m = lathe.matmul %da, %db : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
  %s = lathe.add %m, %bias : (tensor<2x2xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  %r = lathe.relu %s : tensor<2x2xf32>
  %y = lathe.quantize_linear %r, %sy, %zy {axis = 1 : i64} : (tensor<2x2xf32>, tensor<f32>, tensor<ui8>) -> tensor<2x2xui8>
  return %y : tensor<2x2xui8>
}

// -----

// A 1x1 convolution with a fake-quantized constant weight (PyTorch's form:
// QuantizeLinear of the float weight, quantized at compile time to [4, -1]
// with zero point 1) and a float bias rounded into the accumulator's scale
// 0.5 * 0.25: [1.0, -0.3] -> [8, -2]. It runs as a matmul of the pixels,
// channels last, by the weight matrix (C, M), and comes back to NCHW after
// the requantization.
// CHECK-LABEL: func.func @conv_group
// CHECK-SAME: (%[[X:.+]]: tensor<1x1x3x3xi8>)
// CHECK-DAG: %[[M:.+]] = lathe.constant dense<1.250000e-01> : tensor<f32>
// CHECK-DAG: %[[BIAS:.+]] = lathe.constant dense<[8, -2]> : tensor<2xi32>
// CHECK-DAG: %[[W:.+]] = lathe.constant dense<{{\[}}[4, -1]]> : tensor<1x2xi8>
// CHECK-DAG: %[[ZX:.+]] = lathe.constant dense<-4> : tensor<i8>
// CHECK-DAG: %[[ZW:.+]] = lathe.constant dense<1> : tensor<i8>
// CHECK: %[[NHWC:.+]] = lathe.transpose %[[X]] {perm = array<i64: 0, 2, 3, 1>}
// CHECK: %[[ROWS:.+]] = lathe.reshape %[[NHWC]] {shape = array<i64: 1, 9, 1>}
// CHECK: %[[ACC:.+]] = lathe.matmul_integer %[[ROWS]], %[[W]], %[[ZX]], %[[ZW]] : (tensor<1x9x1xi8>, tensor<1x2xi8>, tensor<i8>, tensor<i8>) -> tensor<1x9x2xi32>
// CHECK: %[[SUM:.+]] = lathe.add %[[ACC]], %[[BIAS]]
// CHECK: %[[Q:.+]] = lathe.requantize %[[SUM]], %[[M]], %{{.+}} {axis = 2 : i64} : (tensor<1x9x2xi32>, tensor<f32>, tensor<i8>) -> tensor<1x9x2xi8>
// CHECK: %[[IMAGE:.+]] = lathe.reshape %[[Q]] {shape = array<i64: 1, 3, 3, 2>}
// CHECK: %[[Y:.+]] = lathe.transpose %[[IMAGE]] {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x3x3x2xi8>) -> tensor<1x2x3x3xi8>
// CHECK-NOT: lathe.quantize_linear
// CHECK: return %[[Y]]
func.func @conv_group(%x: tensor<1x1x3x3xi8>) -> tensor<1x2x3x3xi8> {
  %sx = lathe.constant dense<0.5> : tensor<f32>
  %zx = lathe.constant dense<-4> : tensor<i8>
  %wf = lathe.constant dense<[[[[0.75]]], [[[-0.5]]]]> : tensor<2x1x1x1xf32>
  %sw = lathe.constant dense<0.25> : tensor<f32>
  %zw = lathe.constant dense<1> : tensor<i8>
  %b = lathe.constant dense<[1.0, -0.3]> : tensor<2xf32>
  %sy = lathe.constant dense<1.0> : tensor<f32>
  %zy = lathe.constant dense<0> : tensor<i8>
  %dx = lathe.dequantize_linear %x, %sx, %zx {axis = 1 : i64} : (tensor<1x1x3x3xi8>, tensor<f32>, tensor<i8>) -> tensor<1x1x3x3xf32>
  %wq = lathe.quantize_linear %wf, %sw, %zw {axis = 1 : i64} : (tensor<2x1x1x1xf32>, tensor<f32>, tensor<i8>) -> tensor<2x1x1x1xi8>
  %dw = lathe.dequantize_linear %wq, %sw, %zw {axis = 1 : i64} : (tensor<2x1x1x1xi8>, tensor<f32>, tensor<i8>) -> tensor<2x1x1x1xf32>
  %c = lathe.conv %dx, %dw, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x1x3x3xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  %y = lathe.quantize_linear %c, %sy, %zy {axis = 1 : i64} : (tensor<1x2x3x3xf32>, tensor<f32>, tensor<i8>) -> tensor<1x2x3x3xi8>
  return %y : tensor<1x2x3x3xi8>
}

// -----

// A 3x3 convolution at stride 2 with padding 1: the input channels last,
// padded with its zero point, one strided slice per kernel tap side by side,
// as rows of 9 * C bytes (one per output pixel) for a matmul by the (9 * C, M)
// weight matrix.
// CHECK-LABEL: func.func @conv_windows
// CHECK-SAME: (%[[X:.+]]: tensor<1x2x5x5xui8>)
// CHECK: %[[IMAGE:.+]] = lathe.transpose %[[X]] {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x5x5xui8>) -> tensor<1x5x5x2xui8>
// CHECK: %[[PADDED:.+]] = lathe.pad %[[IMAGE]] {mode = "constant", pads = array<i64: 0, 1, 1, 0, 0, 1, 1, 0>, value = 7.000000e+00 : f64} : (tensor<1x5x5x2xui8>) -> tensor<1x7x7x2xui8>
// CHECK: lathe.slice %[[PADDED]] {ends = array<i64: 1, 5, 5, 2>, starts = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 2, 2, 1>} : (tensor<1x7x7x2xui8>) -> tensor<1x3x3x2xui8>
// CHECK-COUNT-8: lathe.slice %[[PADDED]]
// CHECK: %[[TAPS:.+]] = lathe.concat {{.*}} {axis = 3 : i64} : {{.*}} -> tensor<1x3x3x18xui8>
// CHECK: %[[ROWS:.+]] = lathe.reshape %[[TAPS]] {shape = array<i64: 1, 9, 18>}
// CHECK: lathe.matmul_integer %[[ROWS]], %{{.+}}, %{{.+}}, %{{.+}} : (tensor<1x9x18xui8>, tensor<18x4xi8>, tensor<ui8>, tensor<i8>) -> tensor<1x9x4xi32>
// CHECK: lathe.requantize {{.*}} {axis = 2 : i64}
// CHECK: lathe.transpose {{.*}} -> tensor<1x4x3x3xui8>
func.func @conv_windows(%x: tensor<1x2x5x5xui8>) -> tensor<1x4x3x3xui8> {
  %sx = lathe.constant dense<0.5> : tensor<f32>
  %zx = lathe.constant dense<7> : tensor<ui8>
  %w = lathe.constant dense<3> : tensor<4x2x3x3xi8>
  %sw = lathe.constant dense<0.25> : tensor<f32>
  %zw = lathe.constant dense<0> : tensor<i8>
  %dx = lathe.dequantize_linear %x, %sx, %zx {axis = 1 : i64} : (tensor<1x2x5x5xui8>, tensor<f32>, tensor<ui8>) -> tensor<1x2x5x5xf32>
  %dw = lathe.dequantize_linear %w, %sw, %zw {axis = 1 : i64} : (tensor<4x2x3x3xi8>, tensor<f32>, tensor<i8>) -> tensor<4x2x3x3xf32>
  %c = lathe.conv %dx, %dw {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x2x5x5xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x3x3xf32>
  %y = lathe.quantize_linear %c, %sx, %zx {axis = 1 : i64} : (tensor<1x4x3x3xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x4x3x3xui8>
  return %y : tensor<1x4x3x3xui8>
}

// -----

// Weights known only at run time (ONNX's QLinearConv tests): an i32
// convolution of the centered operands.
// CHECK-LABEL: func.func @conv_runtime_weight
// CHECK-SAME: (%[[X:.+]]: tensor<1x1x3x3xui8>, %[[W:.+]]: tensor<2x1x1x1xui8>)
// CHECK-DAG: %[[ZX:.+]] = lathe.constant dense<5> : tensor<i32>
// CHECK-DAG: %[[ZW:.+]] = lathe.constant dense<{{\[}}[{{\[}}[1]]], [{{\[}}[2]]]]> : tensor<2x1x1x1xi32>
// CHECK: %[[XW:.+]] = lathe.cast %[[X]] {to = i32}
// CHECK: %[[XC:.+]] = lathe.sub %[[XW]], %[[ZX]]
// CHECK: %[[WW:.+]] = lathe.cast %[[W]] {to = i32}
// CHECK: %[[WC:.+]] = lathe.sub %[[WW]], %[[ZW]]
// CHECK: %[[ACC:.+]] = lathe.conv %[[XC]], %[[WC]] {{.*}} -> tensor<1x2x3x3xi32>
// CHECK: lathe.requantize %[[ACC]], %{{.+}}, %{{.+}} {axis = 1 : i64}
func.func @conv_runtime_weight(%x: tensor<1x1x3x3xui8>, %w: tensor<2x1x1x1xui8>) -> tensor<1x2x3x3xui8> {
  %sx = lathe.constant dense<0.5> : tensor<f32>
  %zx = lathe.constant dense<5> : tensor<ui8>
  %sw = lathe.constant dense<[0.25, 0.5]> : tensor<2xf32>
  %zw = lathe.constant dense<[1, 2]> : tensor<2xui8>
  %dx = lathe.dequantize_linear %x, %sx, %zx {axis = 1 : i64} : (tensor<1x1x3x3xui8>, tensor<f32>, tensor<ui8>) -> tensor<1x1x3x3xf32>
  %dw = lathe.dequantize_linear %w, %sw, %zw {axis = 0 : i64} : (tensor<2x1x1x1xui8>, tensor<2xf32>, tensor<2xui8>) -> tensor<2x1x1x1xf32>
  %c = lathe.conv %dx, %dw {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x1x3x3xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x3x3xf32>
  %y = lathe.quantize_linear %c, %sx, %zx {axis = 1 : i64} : (tensor<1x2x3x3xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x2x3x3xui8>
  return %y : tensor<1x2x3x3xui8>
}

// -----

// Scales known only at run time: the group stays in float.
// CHECK-LABEL: func.func @runtime_scale
// CHECK: lathe.matmul %{{.+}}, %{{.+}} : (tensor<2x4xf32>, tensor<4x2xf32>)
// CHECK: lathe.quantize_linear
func.func @runtime_scale(%a: tensor<2x4xui8>, %b: tensor<4x2xui8>, %sa: tensor<f32>) -> tensor<2x2xui8> {
  %z = lathe.constant dense<0> : tensor<ui8>
  %s = lathe.constant dense<0.5> : tensor<f32>
  %da = lathe.dequantize_linear %a, %sa, %z {axis = 1 : i64} : (tensor<2x4xui8>, tensor<f32>, tensor<ui8>) -> tensor<2x4xf32>
  %db = lathe.dequantize_linear %b, %s, %z {axis = 1 : i64} : (tensor<4x2xui8>, tensor<f32>, tensor<ui8>) -> tensor<4x2xf32>
  %m = lathe.matmul %da, %db : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
  // expected-remark @+1 {{stays in float: a scale or zero point is not a constant}}
  %y = lathe.quantize_linear %m, %s, %z {axis = 1 : i64} : (tensor<2x2xf32>, tensor<f32>, tensor<ui8>) -> tensor<2x2xui8>
  return %y : tensor<2x2xui8>
}

// -----

// A matmul weight quantized per row (axis 0, the reduction) cannot be
// taken out of the sum.
// CHECK-LABEL: func.func @weight_axis
// CHECK: lathe.matmul %{{.+}}, %{{.+}} : (tensor<2x4xf32>, tensor<4x4xf32>)
func.func @weight_axis(%a: tensor<2x4xui8>, %b: tensor<4x4xi8>) -> tensor<2x4xui8> {
  %z = lathe.constant dense<0> : tensor<ui8>
  %s = lathe.constant dense<0.5> : tensor<f32>
  %sb = lathe.constant dense<[0.5, 0.25, 0.5, 0.25]> : tensor<4xf32>
  %zb = lathe.constant dense<0> : tensor<4xi8>
  %da = lathe.dequantize_linear %a, %s, %z {axis = 1 : i64} : (tensor<2x4xui8>, tensor<f32>, tensor<ui8>) -> tensor<2x4xf32>
  %db = lathe.dequantize_linear %b, %sb, %zb {axis = 0 : i64} : (tensor<4x4xi8>, tensor<4xf32>, tensor<4xi8>) -> tensor<4x4xf32>
  %m = lathe.matmul %da, %db : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  // expected-remark @+1 {{stays in float: the weight is quantized along axis 0, not along its output channels (axis 1)}}
  %y = lathe.quantize_linear %m, %s, %z {axis = 1 : i64} : (tensor<2x4xf32>, tensor<f32>, tensor<ui8>) -> tensor<2x4xui8>
  return %y : tensor<2x4xui8>
}

// -----

// Activations quantized per channel have no one zero point to fold.
// CHECK-LABEL: func.func @activation_per_axis
func.func @activation_per_axis(%x: tensor<1x2x3x3xui8>) -> tensor<1x1x3x3xui8> {
  %sx = lathe.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %zx = lathe.constant dense<[1, 2]> : tensor<2xui8>
  %w = lathe.constant dense<1> : tensor<1x2x1x1xui8>
  %s = lathe.constant dense<0.5> : tensor<f32>
  %z = lathe.constant dense<0> : tensor<ui8>
  %dx = lathe.dequantize_linear %x, %sx, %zx {axis = 1 : i64} : (tensor<1x2x3x3xui8>, tensor<2xf32>, tensor<2xui8>) -> tensor<1x2x3x3xf32>
  %dw = lathe.dequantize_linear %w, %s, %z {axis = 1 : i64} : (tensor<1x2x1x1xui8>, tensor<f32>, tensor<ui8>) -> tensor<1x2x1x1xf32>
  %c = lathe.conv %dx, %dw {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x2x3x3xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x3x3xf32>
  // expected-remark @+1 {{stays in float: activations are quantized per axis, not per tensor}}
  %y = lathe.quantize_linear %c, %s, %z {axis = 1 : i64} : (tensor<1x1x3x3xf32>, tensor<f32>, tensor<ui8>) -> tensor<1x1x3x3xui8>
  return %y : tensor<1x1x3x3xui8>
}

// -----

// The float product is also a graph output: it has to exist in float.
// CHECK-LABEL: func.func @second_user
func.func @second_user(%a: tensor<2x4xui8>, %b: tensor<4x2xui8>) -> (tensor<2x2xui8>, tensor<2x2xf32>) {
  %z = lathe.constant dense<0> : tensor<ui8>
  %s = lathe.constant dense<0.5> : tensor<f32>
  %da = lathe.dequantize_linear %a, %s, %z {axis = 1 : i64} : (tensor<2x4xui8>, tensor<f32>, tensor<ui8>) -> tensor<2x4xf32>
  %db = lathe.dequantize_linear %b, %s, %z {axis = 1 : i64} : (tensor<4x2xui8>, tensor<f32>, tensor<ui8>) -> tensor<4x2xf32>
  %m = lathe.matmul %da, %db : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
  // expected-remark @+1 {{stays in float: a float result inside the group has other users}}
  %y = lathe.quantize_linear %m, %s, %z {axis = 1 : i64} : (tensor<2x2xf32>, tensor<f32>, tensor<ui8>) -> tensor<2x2xui8>
  return %y, %m : tensor<2x2xui8>, tensor<2x2xf32>
}

// -----

// A residual add of two dequantized tensors is no product: no group, and
// nothing to say.
// CHECK-LABEL: func.func @not_a_group
// CHECK: lathe.add
func.func @not_a_group(%a: tensor<4xui8>, %b: tensor<4xui8>) -> tensor<4xui8> {
  %z = lathe.constant dense<0> : tensor<ui8>
  %s = lathe.constant dense<0.5> : tensor<f32>
  %da = lathe.dequantize_linear %a, %s, %z {axis = 0 : i64} : (tensor<4xui8>, tensor<f32>, tensor<ui8>) -> tensor<4xf32>
  %db = lathe.dequantize_linear %b, %s, %z {axis = 0 : i64} : (tensor<4xui8>, tensor<f32>, tensor<ui8>) -> tensor<4xf32>
  %c = lathe.add %da, %db : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %y = lathe.quantize_linear %c, %s, %z {axis = 0 : i64} : (tensor<4xf32>, tensor<f32>, tensor<ui8>) -> tensor<4xui8>
  return %y : tensor<4xui8>
}
