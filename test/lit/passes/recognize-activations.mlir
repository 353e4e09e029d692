// RUN: %lathe-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(lathe-recognize-activations,canonicalize))' | FileCheck %s

// PyTorch's GELU: (x * 0.5) * (erf(x / sqrt(2)) + 1).
// CHECK-LABEL: func.func @gelu
// CHECK-SAME: (%[[X:.+]]: tensor<4x8xf32>)
// CHECK-NEXT: %[[Y:.+]] = lathe.gelu %[[X]] : tensor<4x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @gelu(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %half = lathe.constant dense<0.5> : tensor<f32>
  %one = lathe.constant dense<1.0> : tensor<f32>
  %sqrt2 = lathe.constant dense<1.41421354> : tensor<f32>
  %a = lathe.mul %x, %half : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %b = lathe.div %x, %sqrt2 : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %c = lathe.erf %b : tensor<4x8xf32>
  %d = lathe.add %c, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %y = lathe.mul %a, %d : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Another grouping: (x * (1 + erf(x * 0.7071))) * 0.5.
// CHECK-LABEL: func.func @gelu_regrouped
// CHECK: lathe.gelu
// CHECK-NOT: lathe.erf
func.func @gelu_regrouped(%x: tensor<8xf32>) -> tensor<8xf32> {
  %half = lathe.constant dense<0.5> : tensor<f32>
  %one = lathe.constant dense<1.0> : tensor<f32>
  %inv = lathe.constant dense<0.707106769> : tensor<f32>
  %b = lathe.mul %x, %inv : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %c = lathe.erf %b : tensor<8xf32>
  %d = lathe.add %one, %c : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %e = lathe.mul %x, %d : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %y = lathe.mul %e, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// A different constant is a different function.
// CHECK-LABEL: func.func @not_gelu
// CHECK-NOT: lathe.gelu
// CHECK: lathe.erf
func.func @not_gelu(%x: tensor<8xf32>) -> tensor<8xf32> {
  %k = lathe.constant dense<0.6> : tensor<f32>
  %one = lathe.constant dense<1.0> : tensor<f32>
  %sqrt2 = lathe.constant dense<1.41421354> : tensor<f32>
  %a = lathe.mul %x, %k : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %b = lathe.div %x, %sqrt2 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %c = lathe.erf %b : tensor<8xf32>
  %d = lathe.add %c, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %y = lathe.mul %a, %d : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// CHECK-LABEL: func.func @silu
// CHECK-SAME: (%[[X:.+]]: tensor<8xf32>)
// CHECK-NEXT: %[[Y:.+]] = lathe.silu %[[X]] : tensor<8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @silu(%x: tensor<8xf32>) -> tensor<8xf32> {
  %s = lathe.sigmoid %x : tensor<8xf32>
  %y = lathe.mul %s, %x : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// The sigmoid is also returned: x * sigmoid(x) stays as it is.
// CHECK-LABEL: func.func @sigmoid_used
// CHECK-NOT: lathe.silu
func.func @sigmoid_used(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %s = lathe.sigmoid %x : tensor<8xf32>
  %y = lathe.mul %x, %s : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %y, %s : tensor<8xf32>, tensor<8xf32>
}
