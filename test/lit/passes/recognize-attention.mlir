// RUN: %lathe-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(lathe-recognize-attention))' | FileCheck %s

// As exporters write it: the key transposed, the scores divided by sqrt(d).
// CHECK-LABEL: func.func @exported
// CHECK-SAME: (%[[Q:.+]]: tensor<2x3x4xf32>, %[[K:.+]]: tensor<2x5x4xf32>, %[[V:.+]]: tensor<2x5x6xf32>)
// CHECK: %[[Y:.+]] = lathe.attention %[[Q]], %[[K]], %[[V]] {scale = 5.000000e-01 : f32} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>, tensor<2x5x6xf32>) -> tensor<2x3x6xf32>
// CHECK-NOT: lathe.softmax
// CHECK-NOT: lathe.matmul
// CHECK: return %[[Y]]
func.func @exported(%q: tensor<2x3x4xf32>, %k: tensor<2x5x4xf32>, %v: tensor<2x5x6xf32>) -> tensor<2x3x6xf32> {
  %kt = lathe.transpose %k {perm = array<i64: 0, 2, 1>} : (tensor<2x5x4xf32>) -> tensor<2x4x5xf32>
  %s = lathe.matmul %q, %kt : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
  %c = lathe.constant dense<2.0> : tensor<f32>
  %d = lathe.div %s, %c : (tensor<2x3x5xf32>, tensor<f32>) -> tensor<2x3x5xf32>
  %p = lathe.softmax %d {axis = 2 : i64} : (tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %y = lathe.matmul %p, %v : (tensor<2x3x5xf32>, tensor<2x5x6xf32>) -> tensor<2x3x6xf32>
  return %y : tensor<2x3x6xf32>
}

// -----

// A key already laid out (d, s) gets a transpose; a Mul scale is taken as is.
// CHECK-LABEL: func.func @key_not_transposed
// CHECK: %[[K:.+]] = lathe.transpose %arg1 {perm = array<i64: 1, 0>} : (tensor<4x5xf32>) -> tensor<5x4xf32>
// CHECK: lathe.attention %arg0, %[[K]], %arg2 {scale = 2.500000e-01 : f32}
func.func @key_not_transposed(%q: tensor<3x4xf32>, %kt: tensor<4x5xf32>, %v: tensor<5x6xf32>) -> tensor<3x6xf32> {
  %s = lathe.matmul %q, %kt : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<3x5xf32>
  %c = lathe.constant dense<0.25> : tensor<f32>
  %d = lathe.mul %s, %c : (tensor<3x5xf32>, tensor<f32>) -> tensor<3x5xf32>
  %p = lathe.softmax %d {axis = 1 : i64} : (tensor<3x5xf32>) -> tensor<3x5xf32>
  %y = lathe.matmul %p, %v : (tensor<3x5xf32>, tensor<5x6xf32>) -> tensor<3x6xf32>
  return %y : tensor<3x6xf32>
}

// -----

// The probabilities are also returned (an attention map output): the chain
// must stay.
// CHECK-LABEL: func.func @probabilities_used
// CHECK-NOT: lathe.attention
// CHECK: lathe.softmax
func.func @probabilities_used(%q: tensor<3x4xf32>, %kt: tensor<4x5xf32>, %v: tensor<5x6xf32>) -> (tensor<3x6xf32>, tensor<3x5xf32>) {
  %s = lathe.matmul %q, %kt : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<3x5xf32>
  %p = lathe.softmax %s {axis = 1 : i64} : (tensor<3x5xf32>) -> tensor<3x5xf32>
  %y = lathe.matmul %p, %v : (tensor<3x5xf32>, tensor<5x6xf32>) -> tensor<3x6xf32>
  return %y, %p : tensor<3x6xf32>, tensor<3x5xf32>
}

// -----

// Softmax over another dim than the keys' is not attention; nor is a scale
// that is not a constant.
// CHECK-LABEL: func.func @not_attention
// CHECK-NOT: lathe.attention
func.func @not_attention(%q: tensor<3x4xf32>, %kt: tensor<4x5xf32>, %v: tensor<5x6xf32>, %c: tensor<f32>) -> (tensor<3x6xf32>, tensor<3x6xf32>) {
  %s = lathe.matmul %q, %kt : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<3x5xf32>
  %p = lathe.softmax %s {axis = 0 : i64} : (tensor<3x5xf32>) -> tensor<3x5xf32>
  %y = lathe.matmul %p, %v : (tensor<3x5xf32>, tensor<5x6xf32>) -> tensor<3x6xf32>
  %s2 = lathe.matmul %q, %kt : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<3x5xf32>
  %d2 = lathe.div %s2, %c : (tensor<3x5xf32>, tensor<f32>) -> tensor<3x5xf32>
  %p2 = lathe.softmax %d2 {axis = 1 : i64} : (tensor<3x5xf32>) -> tensor<3x5xf32>
  %y2 = lathe.matmul %p2, %v : (tensor<3x5xf32>, tensor<5x6xf32>) -> tensor<3x6xf32>
  return %y, %y2 : tensor<3x6xf32>, tensor<3x6xf32>
}
