// RUN: %lathe-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(lathe-recognize-norms,canonicalize))' | FileCheck %s

// The exporters' form, with gamma and beta absorbed.
// CHECK-LABEL: func.func @pow_form
// CHECK-SAME: (%[[X:.+]]: tensor<2x5x8xf32>)
// CHECK-DAG: %[[GAMMA:.+]] = lathe.constant dense<2.000000e+00> : tensor<8xf32>
// CHECK-DAG: %[[BETA:.+]] = lathe.constant dense<5.000000e-01> : tensor<8xf32>
// CHECK: %[[Y:.+]] = lathe.layer_norm %[[X]], %[[GAMMA]], %[[BETA]] {axes = array<i64: 2>, epsilon = 9.99999974E-6 : f32}
// CHECK-NEXT: return %[[Y]]
func.func @pow_form(%x: tensor<2x5x8xf32>) -> tensor<2x5x8xf32> {
  %two = lathe.constant dense<2.0> : tensor<f32>
  %eps = lathe.constant dense<1.0e-5> : tensor<f32>
  %gamma = lathe.constant dense<2.0> : tensor<8xf32>
  %beta = lathe.constant dense<0.5> : tensor<8xf32>
  %mean = lathe.reduce_mean %x {axes = array<i64: 2>} : (tensor<2x5x8xf32>) -> tensor<2x5x1xf32>
  %d = lathe.sub %x, %mean : (tensor<2x5x8xf32>, tensor<2x5x1xf32>) -> tensor<2x5x8xf32>
  %sq = lathe.pow %d, %two : (tensor<2x5x8xf32>, tensor<f32>) -> tensor<2x5x8xf32>
  %var = lathe.reduce_mean %sq {axes = array<i64: 2>} : (tensor<2x5x8xf32>) -> tensor<2x5x1xf32>
  %ve = lathe.add %var, %eps : (tensor<2x5x1xf32>, tensor<f32>) -> tensor<2x5x1xf32>
  %std = lathe.sqrt %ve : tensor<2x5x1xf32>
  %n = lathe.div %d, %std : (tensor<2x5x8xf32>, tensor<2x5x1xf32>) -> tensor<2x5x8xf32>
  %g = lathe.mul %n, %gamma : (tensor<2x5x8xf32>, tensor<8xf32>) -> tensor<2x5x8xf32>
  %y = lathe.add %g, %beta : (tensor<2x5x8xf32>, tensor<8xf32>) -> tensor<2x5x8xf32>
  return %y : tensor<2x5x8xf32>
}

// -----

// d * d for the square; no gamma: unit scale.
// CHECK-LABEL: func.func @mul_form
// CHECK: %[[ONES:.+]] = lathe.constant dense<1.000000e+00> : tensor<4x8xf32>
// CHECK: lathe.layer_norm %{{.+}}, %[[ONES]] {axes = array<i64: 1, 2>, epsilon = 1.000000e-03 : f32}
func.func @mul_form(%x: tensor<3x4x8xf32>) -> tensor<3x4x8xf32> {
  %eps = lathe.constant dense<1.0e-3> : tensor<f32>
  %mean = lathe.reduce_mean %x {axes = array<i64: 1, 2>} : (tensor<3x4x8xf32>) -> tensor<3x1x1xf32>
  %d = lathe.sub %x, %mean : (tensor<3x4x8xf32>, tensor<3x1x1xf32>) -> tensor<3x4x8xf32>
  %sq = lathe.mul %d, %d : (tensor<3x4x8xf32>, tensor<3x4x8xf32>) -> tensor<3x4x8xf32>
  %var = lathe.reduce_mean %sq {axes = array<i64: 1, 2>} : (tensor<3x4x8xf32>) -> tensor<3x1x1xf32>
  %ve = lathe.add %var, %eps : (tensor<3x1x1xf32>, tensor<f32>) -> tensor<3x1x1xf32>
  %std = lathe.sqrt %ve : tensor<3x1x1xf32>
  %y = lathe.div %d, %std : (tensor<3x4x8xf32>, tensor<3x1x1xf32>) -> tensor<3x4x8xf32>
  return %y : tensor<3x4x8xf32>
}

// -----

// The variance is also returned: the chain stays as it is.
// CHECK-LABEL: func.func @intermediate_used
// CHECK-NOT: lathe.layer_norm
// CHECK: lathe.div
func.func @intermediate_used(%x: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x1xf32>) {
  %eps = lathe.constant dense<1.0e-5> : tensor<f32>
  %mean = lathe.reduce_mean %x {axes = array<i64: 1>} : (tensor<2x8xf32>) -> tensor<2x1xf32>
  %d = lathe.sub %x, %mean : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %sq = lathe.mul %d, %d : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %var = lathe.reduce_mean %sq {axes = array<i64: 1>} : (tensor<2x8xf32>) -> tensor<2x1xf32>
  %ve = lathe.add %var, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %std = lathe.sqrt %ve : tensor<2x1xf32>
  %y = lathe.div %d, %std : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  return %y, %var : tensor<2x8xf32>, tensor<2x1xf32>
}

// -----

// Normalizing over a leading dim is not a layer normalization.
// CHECK-LABEL: func.func @leading_axis
// CHECK-NOT: lathe.layer_norm
func.func @leading_axis(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %eps = lathe.constant dense<1.0e-5> : tensor<f32>
  %mean = lathe.reduce_mean %x {axes = array<i64: 0>} : (tensor<4x8xf32>) -> tensor<1x8xf32>
  %d = lathe.sub %x, %mean : (tensor<4x8xf32>, tensor<1x8xf32>) -> tensor<4x8xf32>
  %sq = lathe.mul %d, %d : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %var = lathe.reduce_mean %sq {axes = array<i64: 0>} : (tensor<4x8xf32>) -> tensor<1x8xf32>
  %ve = lathe.add %var, %eps : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xf32>
  %std = lathe.sqrt %ve : tensor<1x8xf32>
  %y = lathe.div %d, %std : (tensor<4x8xf32>, tensor<1x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// RMS normalization: x / sqrt(mean(x^2) + eps) * gamma.
// CHECK-LABEL: func.func @rms_division
// CHECK-SAME: (%[[X:.+]]: tensor<2x8xf32>)
// CHECK: %[[GAMMA:.+]] = lathe.constant dense<3.000000e+00> : tensor<8xf32>
// CHECK: %[[Y:.+]] = lathe.rms_norm %[[X]], %[[GAMMA]] {axis = 1 : i64, epsilon = 9.99999997E-7 : f32}
// CHECK-NEXT: return %[[Y]]
func.func @rms_division(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %two = lathe.constant dense<2.0> : tensor<f32>
  %eps = lathe.constant dense<1.0e-6> : tensor<f32>
  %gamma = lathe.constant dense<3.0> : tensor<8xf32>
  %sq = lathe.pow %x, %two : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %ms = lathe.reduce_mean %sq {axes = array<i64: 1>} : (tensor<2x8xf32>) -> tensor<2x1xf32>
  %e = lathe.add %ms, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %r = lathe.sqrt %e : tensor<2x1xf32>
  %n = lathe.div %x, %r : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %y = lathe.mul %n, %gamma : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// The reciprocal form: x * (1 / sqrt(mean(x * x) + eps)).
// CHECK-LABEL: func.func @rms_reciprocal
// CHECK: lathe.rms_norm
// CHECK-NOT: lathe.sqrt
func.func @rms_reciprocal(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %eps = lathe.constant dense<1.0e-6> : tensor<f32>
  %sq = lathe.mul %x, %x : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %ms = lathe.reduce_mean %sq {axes = array<i64: 1>} : (tensor<2x8xf32>) -> tensor<2x1xf32>
  %e = lathe.add %ms, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %r = lathe.sqrt %e : tensor<2x1xf32>
  %inv = lathe.reciprocal %r : tensor<2x1xf32>
  %y = lathe.mul %x, %inv : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// The squared value is not the one divided: not an RMS normalization.
// CHECK-LABEL: func.func @rms_other_value
// CHECK-NOT: lathe.rms_norm
func.func @rms_other_value(%x: tensor<2x8xf32>, %z: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %eps = lathe.constant dense<1.0e-6> : tensor<f32>
  %sq = lathe.mul %z, %z : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %ms = lathe.reduce_mean %sq {axes = array<i64: 1>} : (tensor<2x8xf32>) -> tensor<2x1xf32>
  %e = lathe.add %ms, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %r = lathe.sqrt %e : tensor<2x1xf32>
  %y = lathe.div %x, %r : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}
