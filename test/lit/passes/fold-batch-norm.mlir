// RUN: %lathe-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(lathe-fold-batch-norm))' | FileCheck %s

// a = scale / sqrt(variance + 1) = [1.5, 2]; W' = W * a = [3, -2];
// b' = (b - mean) * a + beta = [(4 - 1) * 1.5 + 0.5, (2 - 0) * 2 + 1] = [5, 5].
// CHECK-LABEL: func.func @fold
// CHECK-SAME: (%[[X:.+]]: tensor<1x1x4x4xf32>)
// CHECK-DAG: %[[W:.+]] = lathe.constant dense<{{\[}}[{{\[}}[3.000000e+00]]], {{\[}}[{{\[}}-2.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.+]] = lathe.constant dense<5.000000e+00> : tensor<2xf32>
// CHECK: %[[Y:.+]] = lathe.conv %[[X]], %[[W]], %[[B]]
// CHECK-NOT: lathe.batch_norm
// CHECK: return %[[Y]]
func.func @fold(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = lathe.constant dense<[[[[2.0]]], [[[-1.0]]]]> : tensor<2x1x1x1xf32>
  %b = lathe.constant dense<[4.0, 2.0]> : tensor<2xf32>
  %scale = lathe.constant dense<[3.0, 2.0]> : tensor<2xf32>
  %beta = lathe.constant dense<[0.5, 1.0]> : tensor<2xf32>
  %mean = lathe.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %var = lathe.constant dense<[3.0, 0.0]> : tensor<2xf32>
  %c = lathe.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %y = lathe.batch_norm %c, %scale, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// The convolution's result has a second user: folding would change it.
// CHECK-LABEL: func.func @second_user
// CHECK: lathe.conv
// CHECK: lathe.batch_norm
func.func @second_user(%x: tensor<1x1x4x4xf32>, %p: tensor<1xf32>) -> (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) {
  %w = lathe.constant dense<2.0> : tensor<1x1x1x1xf32>
  %c = lathe.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32>
  %k = lathe.constant dense<1.0> : tensor<1xf32>
  %y = lathe.batch_norm %c, %k, %k, %k, %k {epsilon = 1.0e-5 : f32} : (tensor<1x1x4x4xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x4x4xf32>
  return %y, %c : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>
}

// -----

// Weights that are not constants cannot be rescaled at compile time.
// CHECK-LABEL: func.func @runtime_weights
// CHECK: lathe.conv
// CHECK: lathe.batch_norm
func.func @runtime_weights(%x: tensor<1x1x4x4xf32>, %w: tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32> {
  %c = lathe.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32>
  %k = lathe.constant dense<1.0> : tensor<1xf32>
  %y = lathe.batch_norm %c, %k, %k, %k, %k {epsilon = 1.0e-5 : f32} : (tensor<1x1x4x4xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x4x4xf32>
  return %y : tensor<1x1x4x4xf32>
}

// -----

// Parameters given at run time stay a batch_norm as well.
// CHECK-LABEL: func.func @runtime_parameters
// CHECK: lathe.batch_norm
func.func @runtime_parameters(%x: tensor<1x1x4x4xf32>, %mean: tensor<1xf32>) -> tensor<1x1x4x4xf32> {
  %w = lathe.constant dense<2.0> : tensor<1x1x1x1xf32>
  %c = lathe.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32>
  %k = lathe.constant dense<1.0> : tensor<1xf32>
  %y = lathe.batch_norm %c, %k, %k, %mean, %k {epsilon = 1.0e-5 : f32} : (tensor<1x1x4x4xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x4x4xf32>
  return %y : tensor<1x1x4x4xf32>
}

// -----

// MatMul with constant B: a = scale / sqrt(variance + 1) = [2, 1] scales B's
// columns; the new bias is (0 - mean) * a + beta = [-1.5, 1]; a Gemm results.
// CHECK-LABEL: func.func @fold_matmul
// CHECK-DAG: %[[W:.+]] = lathe.constant dense<{{\[}}[2.000000e+00, 2.000000e+00], [6.000000e+00, 4.000000e+00], [1.000000e+01, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK-DAG: %[[B:.+]] = lathe.constant dense<[-1.500000e+00, 1.000000e+00]> : tensor<2xf32>
// CHECK: lathe.gemm %{{.+}}, %[[W]], %[[B]] {alpha = 1.000000e+00 : f32, beta = 1.000000e+00 : f32, trans_a = false, trans_b = false}
// CHECK-NOT: lathe.batch_norm
func.func @fold_matmul(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  %w = lathe.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %scale = lathe.constant dense<[4.0, 3.0]> : tensor<2xf32>
  %beta = lathe.constant dense<[0.5, 1.0]> : tensor<2xf32>
  %mean = lathe.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %var = lathe.constant dense<[3.0, 8.0]> : tensor<2xf32>
  %m = lathe.matmul %x, %w : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
  %y = lathe.batch_norm %m, %scale, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// Gemm with transposed B (rows are output columns) and a bias C = [1, 1]:
// B' rows scaled by [2, 1]; bias (1 - mean) * a + beta = [0.5, 2].
// CHECK-LABEL: func.func @fold_gemm
// CHECK-DAG: %[[W:.+]] = lathe.constant dense<{{\[}}[2.000000e+00, 4.000000e+00, 6.000000e+00], [4.000000e+00, 5.000000e+00, 6.000000e+00]]> : tensor<2x3xf32>
// CHECK-DAG: %[[B:.+]] = lathe.constant dense<[5.000000e-01, 2.000000e+00]> : tensor<2xf32>
// CHECK: lathe.gemm %{{.+}}, %[[W]], %[[B]] {{{.*}}trans_b = true}
func.func @fold_gemm(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  %w = lathe.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %c = lathe.constant dense<1.0> : tensor<2xf32>
  %scale = lathe.constant dense<[4.0, 3.0]> : tensor<2xf32>
  %beta = lathe.constant dense<[0.5, 1.0]> : tensor<2xf32>
  %mean = lathe.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %var = lathe.constant dense<[3.0, 8.0]> : tensor<2xf32>
  %m = lathe.gemm %x, %w, %c {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  %y = lathe.batch_norm %m, %scale, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// A batched MatMul is not a matrix product over one channel dim: left alone.
// CHECK-LABEL: func.func @batched_matmul
// CHECK: lathe.matmul
// CHECK: lathe.batch_norm
func.func @batched_matmul(%x: tensor<2x2x3xf32>) -> tensor<2x2x2xf32> {
  %w = lathe.constant dense<1.0> : tensor<3x2xf32>
  %k = lathe.constant dense<1.0> : tensor<2xf32>
  %m = lathe.matmul %x, %w : (tensor<2x2x3xf32>, tensor<3x2xf32>) -> tensor<2x2x2xf32>
  %y = lathe.batch_norm %m, %k, %k, %k, %k {epsilon = 1.0e-5 : f32} : (tensor<2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<2x2x2xf32>
  return %y : tensor<2x2x2xf32>
}
