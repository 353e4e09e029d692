// RUN: lathe-opt --split-input-file --lathe-linear-to-conv %s | FileCheck %s

// (batch, S, K) x (K, N) as a 1x1 convolution over (batch, K, 1, S), the
// filters W transposed: filter n holds column n of W.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: %[[A:[a-z0-9]+]]: tensor<2x3x4xf32>
// CHECK-DAG: %[[W:.+]] = lathe.constant dense<{{\[}}{{\[}}{{\[}}[1.000000e+00]], {{\[}}[3.000000e+00]], {{\[}}[5.000000e+00]], {{\[}}[7.000000e+00]]], {{\[}}{{\[}}[2.000000e+00]], {{\[}}[4.000000e+00]], {{\[}}[6.000000e+00]], {{\[}}[8.000000e+00]]]]> : tensor<2x4x1x1xf32>
// CHECK: %[[T:.+]] = lathe.transpose %[[A]] {perm = array<i64: 0, 2, 1>} : (tensor<2x3x4xf32>) -> tensor<2x4x3xf32>
// CHECK: %[[X:.+]] = lathe.reshape %[[T]] {shape = array<i64: 2, 4, 1, 3>}
// CHECK: %[[C:.+]] = lathe.conv %[[X]], %[[W]] {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x4x1x3xf32>, tensor<2x4x1x1xf32>) -> tensor<2x2x1x3xf32>
// CHECK: %[[R:.+]] = lathe.reshape %[[C]] {shape = array<i64: 2, 2, 3>}
// CHECK: %[[Y:.+]] = lathe.transpose %[[R]] {perm = array<i64: 0, 2, 1>} : (tensor<2x2x3xf32>) -> tensor<2x3x2xf32>
// CHECK: return %[[Y]]
func.func @matmul(%a: tensor<2x3x4xf32>) -> tensor<2x3x2xf32> {
  %w = lathe.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]> : tensor<4x2xf32>
  %y = lathe.matmul %a, %w : (tensor<2x3x4xf32>, tensor<4x2xf32>) -> tensor<2x3x2xf32>
  return %y : tensor<2x3x2xf32>
}

// -----

// Gemm: transB read as is, alpha folded into the filters, beta * c the bias.
// CHECK-LABEL: func.func @gemm
// CHECK-DAG: lathe.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-DAG: lathe.constant dense<{{\[}}{{\[}}{{\[}}[2.000000e+00]], {{\[}}[4.000000e+00]]], {{\[}}{{\[}}[6.000000e+00]], {{\[}}[8.000000e+00]]]]> : tensor<2x2x1x1xf32>
// CHECK: lathe.conv {{.*}} : (tensor<1x2x1x3xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x1x3xf32>
// CHECK-NOT: lathe.gemm
func.func @gemm(%a: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %b = lathe.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %c = lathe.constant dense<[2.0, 4.0]> : tensor<2xf32>
  %y = lathe.gemm %a, %b, %c {alpha = 2.0 : f32, beta = 0.5 : f32, trans_a = false, trans_b = true} : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// Weights at run time, and 1-D operands, stay matmuls.
// CHECK-LABEL: func.func @not_linear
// CHECK-NOT: lathe.conv
// CHECK: lathe.matmul
// CHECK: lathe.matmul
func.func @not_linear(%a: tensor<3x4xf32>, %b: tensor<4x2xf32>, %v: tensor<4xf32>) -> (tensor<3x2xf32>, tensor<2xf32>) {
  %w = lathe.constant dense<1.0> : tensor<4x2xf32>
  %y = lathe.matmul %a, %b : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %z = lathe.matmul %v, %w : (tensor<4xf32>, tensor<4x2xf32>) -> tensor<2xf32>
  return %y, %z : tensor<3x2xf32>, tensor<2xf32>
}

// -----

// RUN: lathe-opt --lathe-linear-to-conv="position-multiple=4" %s --split-input-file | FileCheck %s --check-prefix=PAD
// With position-multiple 4, the 3 positions are padded to 4 with zeros and
// the padding is sliced off the convolution's result.
// PAD-LABEL: func.func @padded
// PAD: %[[X:.+]] = lathe.reshape %{{.+}} {shape = array<i64: 1, 2, 1, 3>}
// PAD: %[[P:.+]] = lathe.pad %[[X]] {mode = "constant", pads = array<i64: 0, 0, 0, 0, 0, 0, 0, 1>, value = 0.000000e+00 : f64} : (tensor<1x2x1x3xf32>) -> tensor<1x2x1x4xf32>
// PAD: %[[C:.+]] = lathe.conv %[[P]], %{{.+}} : (tensor<1x2x1x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x1x4xf32>
// PAD: lathe.slice %[[C]] {ends = array<i64: 1, 2, 1, 3>, starts = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1>}
func.func @padded(%a: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = lathe.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %y = lathe.matmul %a, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
