// RUN: lathe-opt --split-input-file --lathe-outline-partitions %s | FileCheck %s

// One target: one partition, the graph function calls it.
// CHECK-LABEL: func.func private @one_target_step0
// CHECK-SAME: (%[[X:.+]]: tensor<4xf32>) -> tensor<4xf32>
// CHECK-SAME: lathe.target = "cpu"
// CHECK: %[[C:.+]] = lathe.constant
// CHECK: %[[A:.+]] = lathe.add %[[X]], %[[C]]
// CHECK: %[[R:.+]] = lathe.relu %[[A]]
// CHECK: return %[[R]]
// CHECK-LABEL: func.func @one_target
// CHECK: %[[Y:.+]] = call @one_target_step0(%{{.+}})
// CHECK-NEXT: return %[[Y]]
func.func @one_target(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = lathe.constant dense<1.0> : tensor<4xf32>
  %a = "lathe.add"(%x, %c) {lathe.target = "cpu"} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %r = "lathe.relu"(%a) {lathe.target = "cpu"} : (tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}
