// RUN: %lathe-opt %s --split-input-file --canonicalize | FileCheck %s

// CHECK-LABEL: func.func @add_zero
// CHECK-SAME: (%[[X:.+]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @add_zero(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %zero = lathe.constant dense<0.0> : tensor<3xf32>
  %0 = lathe.add %x, %zero : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Adding zero broadcasts x to a larger shape: not an identity.
// CHECK-LABEL: func.func @add_zero_broadcasting
// CHECK: lathe.add
func.func @add_zero_broadcasting(%x: tensor<3xf32>) -> tensor<2x3xf32> {
  %zero = lathe.constant dense<0.0> : tensor<2x3xf32>
  %0 = lathe.add %x, %zero : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @mul_one_div_one_sub_zero
// CHECK-SAME: (%[[X:.+]]: tensor<4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @mul_one_div_one_sub_zero(%x: tensor<4xf32>) -> tensor<4xf32> {
  %one = lathe.constant dense<1.0> : tensor<f32>
  %zero = lathe.constant dense<0.0> : tensor<f32>
  %0 = lathe.mul %x, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = lathe.div %0, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %2 = lathe.sub %1, %zero : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %2 : tensor<4xf32>
}

// -----

// Zero on the left of a subtraction is a negation, not an identity.
// CHECK-LABEL: func.func @zero_minus_x
// CHECK: lathe.sub
func.func @zero_minus_x(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zero = lathe.constant dense<0.0> : tensor<4xf32>
  %0 = lathe.sub %zero, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_of_reshape
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[R:.+]] = lathe.reshape %[[X]] {shape = array<i64: 24>}
// CHECK-NEXT: return %[[R]]
func.func @reshape_of_reshape(%x: tensor<2x3x4xf32>) -> tensor<24xf32> {
  %0 = lathe.reshape %x {shape = array<i64: 6, 4>} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  %1 = lathe.reshape %0 {shape = array<i64: 24>} : (tensor<6x4xf32>) -> tensor<24xf32>
  return %1 : tensor<24xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_round_trip
// CHECK-SAME: (%[[X:.+]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @reshape_round_trip(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = lathe.reshape %x {shape = array<i64: 6>} : (tensor<2x3xf32>) -> tensor<6xf32>
  %1 = lathe.reshape %0 {shape = array<i64: 2, 3>} : (tensor<6xf32>) -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_of_transpose
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[T:.+]] = lathe.transpose %[[X]] {perm = array<i64: 2, 0, 1>}
// CHECK-NEXT: return %[[T]]
func.func @transpose_of_transpose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = lathe.transpose %x {perm = array<i64: 1, 2, 0>} : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
  %1 = lathe.transpose %0 {perm = array<i64: 1, 2, 0>} : (tensor<3x4x2xf32>) -> tensor<4x2x3xf32>
  return %1 : tensor<4x2x3xf32>
}

// -----

// CHECK-LABEL: func.func @inverse_transposes
// CHECK-SAME: (%[[X:.+]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @inverse_transposes(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = lathe.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %1 = lathe.transpose %0 {perm = array<i64: 1, 0>} : (tensor<3x2xf32>) -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @cast_same_type
// CHECK-SAME: (%[[X:.+]]: tensor<4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @cast_same_type(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = lathe.cast %x {to = f32} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Shape arithmetic on constants folds; integer division truncates.
// CHECK-LABEL: func.func @shape_arithmetic
// CHECK-NEXT: %[[C:.+]] = lathe.constant dense<[3, -2, 20]> : tensor<3xi64>
// CHECK-NEXT: return %[[C]]
func.func @shape_arithmetic() -> tensor<3xi64> {
  %a = lathe.constant dense<[7, -5, 48]> : tensor<3xi64>
  %b = lathe.constant dense<2> : tensor<i64>
  %c = lathe.constant dense<[0, 0, 2]> : tensor<3xi64>
  %0 = lathe.div %a, %b : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  %1 = lathe.div %0, %b : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  %2 = lathe.sub %a, %1 : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %3 = lathe.div %2, %b : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  %4 = lathe.add %3, %c : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  return %4 : tensor<3xi64>
}

// -----

// Integer division by zero is left for run time to report.
// CHECK-LABEL: func.func @int_div_by_zero
// CHECK: lathe.div
func.func @int_div_by_zero() -> tensor<2xi32> {
  %a = lathe.constant dense<[4, 6]> : tensor<2xi32>
  %z = lathe.constant dense<[1, 0]> : tensor<2xi32>
  %0 = lathe.div %a, %z : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
  return %0 : tensor<2xi32>
}

// -----

// CHECK-LABEL: func.func @gather_concat_slice_fold
// CHECK-NEXT: %[[C:.+]] = lathe.constant dense<[4, 2, 9, 8]> : tensor<4xi64>
// CHECK-NEXT: return %[[C]]
func.func @gather_concat_slice_fold() -> tensor<4xi64> {
  %shape = lathe.constant dense<[2, 3, 4, 5]> : tensor<4xi64>
  %idx = lathe.constant dense<[2, 0]> : tensor<2xi64>
  %tail = lathe.constant dense<[9, 8, 7]> : tensor<3xi64>
  %0 = lathe.gather %shape, %idx {axis = 0 : i64} : (tensor<4xi64>, tensor<2xi64>) -> tensor<2xi64>
  %1 = lathe.slice %tail {starts = array<i64: 0>, ends = array<i64: 2>, steps = array<i64: 1>} : (tensor<3xi64>) -> tensor<2xi64>
  %2 = lathe.concat %0, %1 {axis = 0 : i64} : (tensor<2xi64>, tensor<2xi64>) -> tensor<4xi64>
  return %2 : tensor<4xi64>
}

// -----

// CHECK-LABEL: func.func @compare_where_cast
// CHECK-NEXT: %[[C:.+]] = lathe.constant dense<[1.000000e+00, 5.000000e+00]> : tensor<2xf32>
// CHECK-NEXT: return %[[C]]
func.func @compare_where_cast() -> tensor<2xf32> {
  %a = lathe.constant dense<[1, 7]> : tensor<2xi64>
  %b = lathe.constant dense<5> : tensor<i64>
  %lt = lathe.less %a, %b : (tensor<2xi64>, tensor<i64>) -> tensor<2xi1>
  %0 = lathe.where %lt, %a, %b : (tensor<2xi1>, tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %1 = lathe.cast %0 {to = f32} : (tensor<2xi64>) -> tensor<2xf32>
  return %1 : tensor<2xf32>
}

// -----

// A transpose of a small constant folds; a broadcast of a splat stays a splat.
// CHECK-LABEL: func.func @transpose_expand_constants
// CHECK-DAG: lathe.constant dense<{{\[}}[1, 3], [2, 4]]> : tensor<2x2xi32>
// CHECK-DAG: lathe.constant dense<5> : tensor<3x2xi32>
func.func @transpose_expand_constants() -> (tensor<2x2xi32>, tensor<3x2xi32>) {
  %a = lathe.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi32>
  %s = lathe.constant dense<5> : tensor<2xi32>
  %0 = lathe.transpose %a {perm = array<i64: 1, 0>} : (tensor<2x2xi32>) -> tensor<2x2xi32>
  %1 = lathe.expand %s {shape = array<i64: 3, 1>} : (tensor<2xi32>) -> tensor<3x2xi32>
  return %0, %1 : tensor<2x2xi32>, tensor<3x2xi32>
}

// -----

// Unused constants and pure ops go away.
// CHECK-LABEL: func.func @dead_code
// CHECK-NOT: lathe.
// CHECK: return
func.func @dead_code(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = lathe.constant dense<1.0> : tensor<4xf32>
  %0 = lathe.exp %x : tensor<4xf32>
  return %x : tensor<4xf32>
}
