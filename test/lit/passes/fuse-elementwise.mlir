// RUN: %lathe-opt %s --split-input-file --pass-pipeline='builtin.module(convert-lathe-to-linalg,func.func(lathe-fuse-elementwise))' | FileCheck %s

// Element-for-element chains fuse into one generic.
// CHECK-LABEL: func.func @chain
// CHECK-COUNT-1: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: arith.addf
// CHECK: arith.maximumf
func.func @chain(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = lathe.add %x, %y : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %1 = lathe.relu %0 : tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// -----

// A cheap per-row producer fuses into the per-element consumer.
// CHECK-LABEL: func.func @cheap_broadcast
// CHECK-COUNT-1: linalg.generic
// CHECK-NOT: linalg.generic
func.func @cheap_broadcast(%x: tensor<4x8xf32>, %r: tensor<4x1xf32>) -> tensor<4x8xf32> {
  %0 = lathe.add %r, %r : (tensor<4x1xf32>, tensor<4x1xf32>) -> tensor<4x1xf32>
  %1 = lathe.mul %x, %0 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// -----

// A per-row square root is not recomputed for every element of its row.
// CHECK-LABEL: func.func @expensive_broadcast
// CHECK: linalg.generic
// CHECK: math.sqrt
// CHECK: linalg.generic
// CHECK: arith.divf
func.func @expensive_broadcast(%x: tensor<4x8xf32>, %r: tensor<4x1xf32>) -> tensor<4x8xf32> {
  %0 = lathe.sqrt %r : tensor<4x1xf32>
  %1 = lathe.div %x, %0 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// -----

// Nothing is fused into a matmul: its operand would be recomputed for every
// column of the other operand.
// CHECK-LABEL: func.func @into_matmul
// CHECK: linalg.generic {{.*}}["parallel", "parallel"]
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}}"reduction"
func.func @into_matmul(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %0 = lathe.add %a, %a : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %1 = lathe.matmul %0, %b : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  return %1 : tensor<4x16xf32>
}

// -----

// Exponentials read by two consumers are computed once: fusing them into
// one consumer would leave them for the other and compute each exp twice.
// Cheap arithmetic with two users still fuses into both.
// CHECK-LABEL: func.func @expensive_shared
// CHECK-COUNT-1: math.exp
// CHECK-NOT: math.exp
// CHECK: return
func.func @expensive_shared(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %0 = lathe.exp %x : tensor<4x8xf32>
  %1 = lathe.add %0, %y : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %2 = lathe.mul %0, %y : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %1, %2 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @cheap_shared
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: arith.subf
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @cheap_shared(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %0 = lathe.mul %x, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %1 = lathe.add %0, %y : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %2 = lathe.sub %0, %y : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %1, %2 : tensor<4x8xf32>, tensor<4x8xf32>
}
