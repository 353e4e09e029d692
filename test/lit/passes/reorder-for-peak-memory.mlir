// RUN: %lathe-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(lathe-reorder-for-peak-memory))' | FileCheck %s

// Both 256 KiB branch results are computed before either is reduced: both
// are live at once. Reducing each branch right after computing it keeps one
// alive at a time.
// CHECK-LABEL: func.func @branches
// CHECK: %[[A:.+]] = lathe.relu
// CHECK-NEXT: %[[RA:.+]] = lathe.reduce_mean %[[A]]
// CHECK-NEXT: %[[B:.+]] = lathe.sigmoid
// CHECK-NEXT: %[[RB:.+]] = lathe.reduce_mean %[[B]]
// CHECK-NEXT: lathe.concat %[[RA]], %[[RB]]
func.func @branches(%x: tensor<1x64x32x32xf32>) -> tensor<1x2x32x32xf32> {
  %a = lathe.relu %x : tensor<1x64x32x32xf32>
  %b = lathe.sigmoid %x : tensor<1x64x32x32xf32>
  %ra = lathe.reduce_mean %a {axes = array<i64: 1>} : (tensor<1x64x32x32xf32>) -> tensor<1x1x32x32xf32>
  %rb = lathe.reduce_mean %b {axes = array<i64: 1>} : (tensor<1x64x32x32xf32>) -> tensor<1x1x32x32xf32>
  %c = lathe.concat %ra, %rb {axis = 1 : i64} : (tensor<1x1x32x32xf32>, tensor<1x1x32x32xf32>) -> tensor<1x2x32x32xf32>
  return %c : tensor<1x2x32x32xf32>
}

// -----

// No ready op frees anything at first, and running the relu first (source
// order) leaves its map waiting for the other branch. Depth first from the
// result, the branch that needs more bytes (sigmoid and its reduction) runs
// first and leaves only its small reduction behind.
// CHECK-LABEL: func.func @operand_needing_more_first
// CHECK: %[[B:.+]] = lathe.sigmoid
// CHECK-NEXT: %[[R:.+]] = lathe.reduce_max %[[B]]
// CHECK-NEXT: %[[A:.+]] = lathe.relu
// CHECK-NEXT: lathe.add %[[A]], %[[R]]
func.func @operand_needing_more_first(%x: tensor<1x64x32x32xf32>) -> tensor<1x64x32x32xf32> {
  %a = lathe.relu %x : tensor<1x64x32x32xf32>
  %b = lathe.sigmoid %x : tensor<1x64x32x32xf32>
  %r = lathe.reduce_max %b {axes = array<i64: 1>} : (tensor<1x64x32x32xf32>) -> tensor<1x1x32x32xf32>
  %y = lathe.add %a, %r : (tensor<1x64x32x32xf32>, tensor<1x1x32x32xf32>) -> tensor<1x64x32x32xf32>
  return %y : tensor<1x64x32x32xf32>
}

// -----

// A chain is already in the only order its operands allow.
// CHECK-LABEL: func.func @chain
// CHECK: lathe.relu
// CHECK-NEXT: lathe.sigmoid
// CHECK-NEXT: lathe.tanh
func.func @chain(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %a = lathe.relu %x : tensor<4x4xf32>
  %b = lathe.sigmoid %a : tensor<4x4xf32>
  %c = lathe.tanh %b : tensor<4x4xf32>
  return %c : tensor<4x4xf32>
}

// -----

// Where no order has a lower peak (the two branch results are both needed
// by the add), the source order stays, even where another order would tie.
// CHECK-LABEL: func.func @no_gain
// CHECK: lathe.sigmoid
// CHECK-NEXT: lathe.relu
// CHECK-NEXT: lathe.add
func.func @no_gain(%x: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %b = lathe.sigmoid %x : tensor<64x64xf32>
  %a = lathe.relu %x : tensor<64x64xf32>
  %c = lathe.add %a, %b : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  return %c : tensor<64x64xf32>
}

// -----

// On linalg: the empty tensor a kernel writes into is its buffer, and moves
// with the kernel (right before its first user). The fills of the returned
// sums write the caller's buffers and cost nothing in the arena.
// CHECK-LABEL: func.func @destinations
// CHECK: %[[E1:.+]] = tensor.empty() : tensor<256x256xf32>
// CHECK-NEXT: %[[A:.+]] = linalg.exp ins(%{{.+}} : tensor<256x256xf32>) outs(%[[E1]]
// CHECK-NEXT: linalg.reduce ins(%[[A]]
// CHECK: %[[E3:.+]] = tensor.empty() : tensor<256x256xf32>
// CHECK-NEXT: %[[B:.+]] = linalg.log ins(%{{.+}} : tensor<256x256xf32>) outs(%[[E3]]
// CHECK-NEXT: linalg.reduce ins(%[[B]]
func.func @destinations(%x: tensor<256x256xf32>) -> (tensor<256xf32>, tensor<256xf32>) {
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<256x256xf32>
  %e3 = tensor.empty() : tensor<256x256xf32>
  %e2 = tensor.empty() : tensor<256xf32>
  %e4 = tensor.empty() : tensor<256xf32>
  %a = linalg.exp ins(%x : tensor<256x256xf32>) outs(%e1 : tensor<256x256xf32>) -> tensor<256x256xf32>
  %b = linalg.log ins(%x : tensor<256x256xf32>) outs(%e3 : tensor<256x256xf32>) -> tensor<256x256xf32>
  %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<256xf32>) -> tensor<256xf32>
  %ra = linalg.reduce ins(%a : tensor<256x256xf32>) outs(%f2 : tensor<256xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %f4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<256xf32>) -> tensor<256xf32>
  %rb = linalg.reduce ins(%b : tensor<256x256xf32>) outs(%f4 : tensor<256xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  return %ra, %rb : tensor<256xf32>, tensor<256xf32>
}
