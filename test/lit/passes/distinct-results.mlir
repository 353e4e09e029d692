// RUN: %lathe-opt %s --pass-pipeline='builtin.module(func.func(lathe-distinct-results))' | FileCheck %s

// CHECK-LABEL: func.func @repeated
// CHECK-SAME: (%[[X:.+]]: tensor<2xf32>)
// CHECK: %[[INIT:.+]] = tensor.empty() : tensor<2xf32>
// CHECK: %[[COPY:.+]] = linalg.copy ins(%[[X]] : tensor<2xf32>) outs(%[[INIT]] : tensor<2xf32>)
// CHECK: return %[[X]], %[[COPY]]
func.func @repeated(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  return %x, %x : tensor<2xf32>, tensor<2xf32>
}

// CHECK-LABEL: func.func @distinct
// CHECK-NOT: linalg.copy
func.func @distinct(%x: tensor<2xf32>, %y: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  return %x, %y : tensor<2xf32>, tensor<2xf32>
}
