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

// -----

// Alternating targets: a partition per run of one target, the tensor
// crossing as a result of one and an argument of the next. The relu on x
// joins the first hexagon partition (its input is ready there), not a new one.
// CHECK-LABEL: func.func private @alternating_step0
// CHECK-SAME: lathe.target = "hexagon"
// CHECK: lathe.exp
// CHECK: lathe.relu
// CHECK-LABEL: func.func private @alternating_step1
// CHECK-SAME: lathe.target = "cpu"
// CHECK: lathe.pow
// CHECK-LABEL: func.func private @alternating_step2
// CHECK-SAME: lathe.target = "hexagon"
// CHECK: lathe.add
// CHECK-LABEL: func.func @alternating
// CHECK: %[[A:.+]]:2 = call @alternating_step0(%arg0)
// CHECK: %[[B:.+]] = call @alternating_step1(%[[A]]#0)
// CHECK: %[[C:.+]] = call @alternating_step2(%[[B]], %[[A]]#1)
// CHECK: return %[[C]]
func.func @alternating(%x: tensor<4xf32>) -> tensor<4xf32> {
  %two = lathe.constant dense<2.0> : tensor<4xf32>
  %e = "lathe.exp"(%x) {lathe.target = "hexagon"} : (tensor<4xf32>) -> tensor<4xf32>
  %p = "lathe.pow"(%e, %two) {lathe.target = "cpu"} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %r = "lathe.relu"(%x) {lathe.target = "hexagon"} : (tensor<4xf32>) -> tensor<4xf32>
  %s = "lathe.add"(%p, %r) {lathe.target = "hexagon"} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

// A graph input and a constant returned as they are pass through a
// partition of the default target (cpu), not the last ane partition, which
// may not hold an i64 tensor.
// CHECK-LABEL: func.func private @pass_through_step0
// CHECK-SAME: lathe.target = "ane"
// CHECK-LABEL: func.func private @pass_through_step1
// CHECK-SAME: (%[[X:.+]]: tensor<4xf32>) -> (tensor<4xf32>, tensor<2xi64>)
// CHECK-SAME: lathe.target = "cpu"
// CHECK: %[[C:.+]] = lathe.constant dense<[1, 2]> : tensor<2xi64>
// CHECK: return %[[X]], %[[C]]
// CHECK-LABEL: func.func @pass_through
// CHECK: %[[R:.+]] = call @pass_through_step0(%arg0)
// CHECK: %[[P:.+]]:2 = call @pass_through_step1(%arg0)
// CHECK: return %[[R]], %[[P]]#0, %[[P]]#1
func.func @pass_through(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<2xi64>) {
  %c = lathe.constant dense<[1, 2]> : tensor<2xi64>
  %r = "lathe.relu"(%x) {lathe.target = "ane"} : (tensor<4xf32>) -> tensor<4xf32>
  return %r, %x, %c : tensor<4xf32>, tensor<4xf32>, tensor<2xi64>
}

// -----

// Nothing to compute: one default-target partition writes the outputs.
// CHECK-LABEL: func.func private @no_ops_step0
// CHECK-SAME: lathe.target = "cpu"
// CHECK-LABEL: func.func @no_ops
// CHECK: call @no_ops_step0()
func.func @no_ops() -> tensor<2xi64> {
  %c = lathe.constant dense<[3, 4]> : tensor<2xi64>
  return %c : tensor<2xi64>
}

// -----

// A partition's arguments and results carry the ONNX names of the tensors
// they are: a graph input's and output's own, else the node that computes
// the tensor (with its result number when the node has several).
// CHECK-LABEL: func.func private @named_step0
// CHECK-SAME: (%{{.+}}: tensor<4xf32> {lathe.name = "pixels"}) -> (tensor<4xf32> {lathe.name = "Exp_3"})
// CHECK-LABEL: func.func private @named_step1
// CHECK-SAME: (%{{.+}}: tensor<4xf32> {lathe.name = "Exp_3"}) -> (tensor<4xf32> {lathe.name = "probabilities"})
func.func @named(%x: tensor<4xf32> {lathe.name = "pixels"}) -> (tensor<4xf32> {lathe.name = "probabilities"}) {
  %e = "lathe.exp"(%x) {lathe.target = "ane"} : (tensor<4xf32>) -> tensor<4xf32> loc("Exp_3")
  %r = "lathe.relu"(%e) {lathe.target = "cpu"} : (tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}
