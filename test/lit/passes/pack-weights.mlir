// RUN: %lathe-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(lathe-pack-weights{tile-columns=4}))' | FileCheck %s
// RUN: %lathe-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(lathe-pack-weights{tile-columns=32}))' | FileCheck %s --check-prefix=WIDE

// B (3x5) in panels of 4 columns: panel 0 holds columns 0-3 of every row,
// panel 1 column 4 and three columns of zeros.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.+]]: tensor<2x3xf32>)
// CHECK: %[[P:.+]] = lathe.constant dense<{{\[}}{{\[}}[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00], [6.000000e+00, 7.000000e+00, 8.000000e+00, 9.000000e+00], [1.100000e+01, 1.200000e+01, 1.300000e+01, 1.400000e+01]], {{\[}}[5.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [1.000000e+01, 0.000000e+00, 0.000000e+00, 0.000000e+00], [1.500000e+01, 0.000000e+00, 0.000000e+00, 0.000000e+00]]]> : tensor<2x3x4xf32>
// CHECK: %[[Y:.+]] = lathe.matmul_packed %[[A]], %[[P]] {columns = 5 : i64} : (tensor<2x3xf32>, tensor<2x3x4xf32>) -> tensor<2x5xf32>
// CHECK: return %[[Y]]
func.func @matmul(%a: tensor<2x3xf32>) -> tensor<2x5xf32> {
  %b = lathe.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0], [6.0, 7.0, 8.0, 9.0, 10.0], [11.0, 12.0, 13.0, 14.0, 15.0]]> : tensor<3x5xf32>
  %y = lathe.matmul %a, %b : (tensor<2x3xf32>, tensor<3x5xf32>) -> tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// -----

// Batch dims of a stay on a; the weights are one matrix for every batch.
// CHECK-LABEL: func.func @batched
// CHECK: lathe.matmul_packed %{{.+}}, %{{.+}} {columns = 4 : i64} : (tensor<2x7x3xf32>, tensor<1x3x4xf32>) -> tensor<2x7x4xf32>
func.func @batched(%a: tensor<2x7x3xf32>) -> tensor<2x7x4xf32> {
  %b = lathe.constant dense<1.0> : tensor<3x4xf32>
  %y = lathe.matmul %a, %b : (tensor<2x7x3xf32>, tensor<3x4xf32>) -> tensor<2x7x4xf32>
  return %y : tensor<2x7x4xf32>
}

// -----

// A batch of constant matrices, one per matrix of a, is packed panel-major:
// (panels, batch, K, tile), panel 0 of both matrices before panel 1.
// CHECK-LABEL: func.func @batch_of_matrices
// CHECK: %[[P:.+]] = lathe.constant dense<{{\[\[\[\[}}1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]], {{\[\[}}6.000000e+00, 7.000000e+00, 8.000000e+00, 9.000000e+00]]], {{\[\[\[}}5.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]], {{\[\[}}1.000000e+01, 0.000000e+00, 0.000000e+00, 0.000000e+00]]]]> : tensor<2x2x1x4xf32>
// CHECK: lathe.matmul_packed %{{.+}}, %[[P]] {columns = 5 : i64} : (tensor<2x3x1xf32>, tensor<2x2x1x4xf32>) -> tensor<2x3x5xf32>
func.func @batch_of_matrices(%a: tensor<2x3x1xf32>) -> tensor<2x3x5xf32> {
  %b = lathe.constant dense<[[[1.0, 2.0, 3.0, 4.0, 5.0]], [[6.0, 7.0, 8.0, 9.0, 10.0]]]> : tensor<2x1x5xf32>
  %y = lathe.matmul %a, %b : (tensor<2x3x1xf32>, tensor<2x1x5xf32>) -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}

// -----

// Gemm: transB and alpha go into the panels (B^T * 2), the bias stays an
// add after the product.
// CHECK-LABEL: func.func @gemm
// CHECK-SAME: (%[[A:.+]]: tensor<1x2xf32>, %[[C:.+]]: tensor<4xf32>)
// CHECK: %[[P:.+]] = lathe.constant dense<{{\[}}{{\[}}[2.000000e+00, 6.000000e+00, 1.000000e+01, 1.400000e+01], [4.000000e+00, 8.000000e+00, 1.200000e+01, 1.600000e+01]]]> : tensor<1x2x4xf32>
// CHECK: %[[Y:.+]] = lathe.matmul_packed %[[A]], %[[P]] {columns = 4 : i64}
// CHECK: %[[S:.+]] = lathe.add %[[Y]], %[[C]] : (tensor<1x4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
// CHECK: return %[[S]]
func.func @gemm(%a: tensor<1x2xf32>, %c: tensor<4xf32>) -> tensor<1x4xf32> {
  %b = lathe.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]> : tensor<4x2xf32>
  %y = lathe.gemm %a, %b, %c {alpha = 2.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<1x2xf32>, tensor<4x2xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// beta scales a constant bias at compile time.
// CHECK-LABEL: func.func @gemm_beta
// CHECK: %[[C:.+]] = lathe.constant dense<[5.000000e-01, 1.000000e+00, 1.500000e+00, 2.000000e+00]>
// CHECK: %[[Y:.+]] = lathe.matmul_packed
// CHECK: lathe.add %[[Y]], %[[C]]
func.func @gemm_beta(%a: tensor<3x2xf32>) -> tensor<3x4xf32> {
  %b = lathe.constant dense<1.0> : tensor<2x4xf32>
  %c = lathe.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %y = lathe.gemm %a, %b, %c {alpha = 1.0 : f32, beta = 0.5 : f32, trans_a = false, trans_b = false} : (tensor<3x2xf32>, tensor<2x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// Not packed: weights that are a graph input, f16 weights, one matrix of
// weights broadcast over a's batch as a batch of its own, a single column (a panel of 4 would be three quarters
// padding), a transposed a, and a runtime bias scaled by beta.
// CHECK-LABEL: func.func @kept
// CHECK-NOT: lathe.matmul_packed
// CHECK-COUNT-4: lathe.matmul %
// CHECK-COUNT-2: lathe.gemm %
// CHECK-NOT: lathe.matmul_packed
func.func @kept(%a: tensor<2x3xf32>, %w: tensor<3x4xf32>, %h: tensor<2x3xf16>, %bt: tensor<2x2x3xf32>,
                %at: tensor<3x2xf32>, %c: tensor<4xf32>)
    -> (tensor<2x4xf32>, tensor<2x4xf16>, tensor<2x2x4xf32>, tensor<2x1xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %y0 = lathe.matmul %a, %w : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %wh = lathe.constant dense<1.0> : tensor<3x4xf16>
  %y1 = lathe.matmul %h, %wh : (tensor<2x3xf16>, tensor<3x4xf16>) -> tensor<2x4xf16>
  %wb = lathe.constant dense<1.0> : tensor<1x3x4xf32>
  %y2 = lathe.matmul %bt, %wb : (tensor<2x2x3xf32>, tensor<1x3x4xf32>) -> tensor<2x2x4xf32>
  %w1 = lathe.constant dense<1.0> : tensor<3x1xf32>
  %y3 = lathe.matmul %a, %w1 : (tensor<2x3xf32>, tensor<3x1xf32>) -> tensor<2x1xf32>
  %wc = lathe.constant dense<1.0> : tensor<3x4xf32>
  %y4 = lathe.gemm %at, %wc, %c {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = true, trans_b = false} : (tensor<3x2xf32>, tensor<3x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %y5 = lathe.gemm %a, %wc, %c {alpha = 1.0 : f32, beta = 2.0 : f32, trans_a = false, trans_b = false} : (tensor<2x3xf32>, tensor<3x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %y0, %y1, %y2, %y3, %y4, %y5 : tensor<2x4xf32>, tensor<2x4xf16>, tensor<2x2x4xf32>, tensor<2x1xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// A channels-last convolution's weights (1x2 kernel, C=1, M=5) are a (2, 5)
// matrix: packed in panels of 4 filters, (2, 1, 2, 1, 4), and the op keeps
// its filter count.
// CHECK-LABEL: func.func @conv
// CHECK: %[[P:.+]] = lathe.constant dense<{{\[}}{{\[}}{{\[}}{{\[}}[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]], {{\[}}[6.000000e+00, 7.000000e+00, 8.000000e+00, 9.000000e+00]]]], {{\[}}{{\[}}{{\[}}[5.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]], {{\[}}[1.000000e+01, 0.000000e+00, 0.000000e+00, 0.000000e+00]]]]]> : tensor<2x1x2x1x4xf32>
// CHECK: lathe.conv_nhwc %{{.+}}, %[[P]] {dilations = array<i64: 1, 1>, filters = 5 : i64, group = 1 : i64
// CHECK-SAME: -> tensor<1x3x3x5xf32>
func.func @conv(%x: tensor<1x3x4x1xf32>) -> tensor<1x3x3x5xf32> {
  %w = lathe.constant dense<[[[[1.0, 2.0, 3.0, 4.0, 5.0]], [[6.0, 7.0, 8.0, 9.0, 10.0]]]]> : tensor<1x2x1x5xf32>
  %y = lathe.conv_nhwc %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x3x4x1xf32>, tensor<1x2x1x5xf32>) -> tensor<1x3x3x5xf32>
  return %y : tensor<1x3x3x5xf32>
}

// -----

// Not packed: a depthwise convolution (its filters do not share an input
// row), runtime weights, and one filter (three quarters of a panel would be padding).
// CHECK-LABEL: func.func @conv_kept
// CHECK-NOT: filters =
// CHECK-COUNT-3: lathe.conv_nhwc
// CHECK-NOT: filters =
func.func @conv_kept(%x: tensor<1x4x4x4xf32>, %w: tensor<1x1x4x8xf32>) -> (tensor<1x4x4x4xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x1xf32>) {
  %dw = lathe.constant dense<1.0> : tensor<3x3x1x4xf32>
  %y0 = lathe.conv_nhwc %x, %dw {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 4} : (tensor<1x4x4x4xf32>, tensor<3x3x1x4xf32>) -> tensor<1x4x4x4xf32>
  %y1 = lathe.conv_nhwc %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x4x4x4xf32>, tensor<1x1x4x8xf32>) -> tensor<1x4x4x8xf32>
  %w2 = lathe.constant dense<1.0> : tensor<1x1x4x1xf32>
  %y2 = lathe.conv_nhwc %x, %w2 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x4x4x4xf32>, tensor<1x1x4x1xf32>) -> tensor<1x4x4x1xf32>
  return %y0, %y1, %y2 : tensor<1x4x4x4xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x1xf32>
}

// -----

// Products narrower than half the register tile take narrower panels (half,
// a quarter, ... of it, at least 4 columns) rather than their plain form: at
// 32 columns, 12 filters take one panel of 16 and 4 filters one of 8; at 4
// columns, three panels and one.
// CHECK-LABEL: func.func @narrow
// CHECK: lathe.matmul_packed %{{.+}}, %{{.+}} {columns = 12 : i64} : (tensor<2x3xf32>, tensor<3x3x4xf32>)
// CHECK: lathe.conv_nhwc {{.*}} filters = 4 : i64{{.*}} : (tensor<1x4x4x3xf32>, tensor<1x1x1x3x4xf32>)
// WIDE-LABEL: func.func @narrow
// WIDE: lathe.matmul_packed %{{.+}}, %{{.+}} {columns = 12 : i64} : (tensor<2x3xf32>, tensor<1x3x16xf32>)
// WIDE: lathe.conv_nhwc {{.*}} filters = 4 : i64{{.*}} : (tensor<1x4x4x3xf32>, tensor<1x1x1x3x8xf32>)
func.func @narrow(%a: tensor<2x3xf32>, %x: tensor<1x4x4x3xf32>) -> (tensor<2x12xf32>, tensor<1x4x4x4xf32>) {
  %w = lathe.constant dense<1.0> : tensor<3x12xf32>
  %y = lathe.matmul %a, %w : (tensor<2x3xf32>, tensor<3x12xf32>) -> tensor<2x12xf32>
  %f = lathe.constant dense<1.0> : tensor<1x1x3x4xf32>
  %z = lathe.conv_nhwc %x, %f {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x4x4x3xf32>, tensor<1x1x3x4xf32>) -> tensor<1x4x4x4xf32>
  return %y, %z : tensor<2x12xf32>, tensor<1x4x4x4xf32>
}

// -----

// Weight-only int8 (zero points 0, a scale per column): the int8 values go
// into the panels as they are, and the scales multiply the product.
// CHECK-LABEL: func.func @int8_weights
// CHECK-SAME: (%[[A:.+]]: tensor<2x3xf32>)
// CHECK-DAG: %[[P:.+]] = lathe.constant dense<{{\[}}{{\[}}[1, -2, 3, 4], [6, 7, -8, 9], [11, 12, 13, -128]], {{\[}}[5, 0, 0, 0], [127, 0, 0, 0], [15, 0, 0, 0]]]> : tensor<2x3x4xi8>
// CHECK-DAG: %[[S:.+]] = lathe.constant dense<[1.000000e-01, 2.000000e-01, 3.000000e-01, 4.000000e-01, 5.000000e-01]> : tensor<5xf32>
// CHECK: %[[Y:.+]] = lathe.matmul_packed %[[A]], %[[P]] {columns = 5 : i64} : (tensor<2x3xf32>, tensor<2x3x4xi8>) -> tensor<2x5xf32>
// CHECK: %[[R:.+]] = lathe.mul %[[Y]], %[[S]] : (tensor<2x5xf32>, tensor<5xf32>) -> tensor<2x5xf32>
// CHECK: return %[[R]]
// CHECK-NOT: lathe.dequantize_linear
func.func @int8_weights(%a: tensor<2x3xf32>) -> tensor<2x5xf32> {
  %q = lathe.constant dense<[[1, -2, 3, 4, 5], [6, 7, -8, 9, 127], [11, 12, 13, -128, 15]]> : tensor<3x5xi8>
  %s = lathe.constant dense<[0.1, 0.2, 0.3, 0.4, 0.5]> : tensor<5xf32>
  %z = lathe.constant dense<0> : tensor<5xi8>
  %b = lathe.dequantize_linear %q, %s, %z {axis = 1 : i64} : (tensor<3x5xi8>, tensor<5xf32>, tensor<5xi8>) -> tensor<3x5xf32>
  %y = lathe.matmul %a, %b : (tensor<2x3xf32>, tensor<3x5xf32>) -> tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// -----

// Gemm with transB: the weights (N, K) carry their scales on axis 0, and
// alpha goes into the scales; the bias is added after them.
// CHECK-LABEL: func.func @int8_gemm
// CHECK-SAME: (%[[A:.+]]: tensor<1x2xf32>, %[[C:.+]]: tensor<4xf32>)
// CHECK-DAG: %[[P:.+]] = lathe.constant dense<{{\[}}{{\[}}[1, 3, 5, 7], [2, 4, 6, 8]]]> : tensor<1x2x4xi8>
// CHECK-DAG: %[[S:.+]] = lathe.constant dense<[5.000000e-01, 1.000000e+00, 1.500000e+00, 2.000000e+00]> : tensor<4xf32>
// CHECK: %[[Y:.+]] = lathe.matmul_packed %[[A]], %[[P]] {columns = 4 : i64}
// CHECK: %[[M:.+]] = lathe.mul %[[Y]], %[[S]]
// CHECK: %[[R:.+]] = lathe.add %[[M]], %[[C]]
// CHECK: return %[[R]]
func.func @int8_gemm(%a: tensor<1x2xf32>, %c: tensor<4xf32>) -> tensor<1x4xf32> {
  %q = lathe.constant dense<[[1, 2], [3, 4], [5, 6], [7, 8]]> : tensor<4x2xi8>
  %s = lathe.constant dense<[0.25, 0.5, 0.75, 1.0]> : tensor<4xf32>
  %z = lathe.constant dense<0> : tensor<4xi8>
  %b = lathe.dequantize_linear %q, %s, %z {axis = 0 : i64} : (tensor<4x2xi8>, tensor<4xf32>, tensor<4xi8>) -> tensor<4x2xf32>
  %y = lathe.gemm %a, %b, %c {alpha = 2.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<1x2xf32>, tensor<4x2xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// A scale for the whole matrix serves every column.
// CHECK-LABEL: func.func @int8_per_tensor
// CHECK-DAG: %[[S:.+]] = lathe.constant dense<2.500000e-01> : tensor<4xf32>
// CHECK-DAG: %[[Y:.+]] = lathe.matmul_packed %{{.+}}, %{{.+}} {columns = 4 : i64} : (tensor<3x2xf32>, tensor<1x2x4xi8>) -> tensor<3x4xf32>
// CHECK: lathe.mul %[[Y]], %[[S]]
func.func @int8_per_tensor(%a: tensor<3x2xf32>) -> tensor<3x4xf32> {
  %q = lathe.constant dense<3> : tensor<2x4xi8>
  %s = lathe.constant dense<0.25> : tensor<f32>
  %z = lathe.constant dense<0> : tensor<i8>
  %b = lathe.dequantize_linear %q, %s, %z {axis = 1 : i64} : (tensor<2x4xi8>, tensor<f32>, tensor<i8>) -> tensor<2x4xf32>
  %y = lathe.matmul %a, %b : (tensor<3x2xf32>, tensor<2x4xf32>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// Not packed, the dequantization left in float: a zero point that is not
// 0, uint8 weights, scales along the rows of the product (axis 0 of (K, N)),
// and scales that are a graph input.
// CHECK-LABEL: func.func @int8_kept
// CHECK-NOT: lathe.matmul_packed
// CHECK-COUNT-4: lathe.dequantize_linear
// CHECK-NOT: lathe.matmul_packed
func.func @int8_kept(%a: tensor<2x4xf32>, %scale: tensor<4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %q = lathe.constant dense<3> : tensor<4x4xi8>
  %u = lathe.constant dense<3> : tensor<4x4xui8>
  %s = lathe.constant dense<0.5> : tensor<4xf32>
  %z = lathe.constant dense<0> : tensor<4xi8>
  %z1 = lathe.constant dense<[0, 1, 0, 0]> : tensor<4xi8>
  %zu = lathe.constant dense<0> : tensor<4xui8>
  %b0 = lathe.dequantize_linear %q, %s, %z1 {axis = 1 : i64} : (tensor<4x4xi8>, tensor<4xf32>, tensor<4xi8>) -> tensor<4x4xf32>
  %b1 = lathe.dequantize_linear %u, %s, %zu {axis = 1 : i64} : (tensor<4x4xui8>, tensor<4xf32>, tensor<4xui8>) -> tensor<4x4xf32>
  %b2 = lathe.dequantize_linear %q, %s, %z {axis = 0 : i64} : (tensor<4x4xi8>, tensor<4xf32>, tensor<4xi8>) -> tensor<4x4xf32>
  %b3 = lathe.dequantize_linear %q, %scale, %z {axis = 1 : i64} : (tensor<4x4xi8>, tensor<4xf32>, tensor<4xi8>) -> tensor<4x4xf32>
  %y0 = lathe.matmul %a, %b0 : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  %y1 = lathe.matmul %a, %b1 : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  %y2 = lathe.matmul %a, %b2 : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  %y3 = lathe.matmul %a, %b3 : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  return %y0, %y1, %y2, %y3 : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}
