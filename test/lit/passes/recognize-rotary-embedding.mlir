// RUN: %lathe-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(lathe-recognize-rotary-embedding,canonicalize))' | FileCheck %s

// apply_rotary_pos_emb as torch.onnx.export writes it: q * cos +
// rotate_half(q) * sin, cos and sin one row per position shared by the heads.
// CHECK-LABEL: func.func @rotate_half
// CHECK-SAME: (%[[Q:.+]]: tensor<1x4x6x8xf32>, %[[COS:.+]]: tensor<1x1x6x8xf32>, %[[SIN:.+]]: tensor<1x1x6x8xf32>)
// CHECK-NEXT: %[[Y:.+]] = lathe.rotary_embedding %[[Q]], %[[COS]], %[[SIN]]
// CHECK-NEXT: return %[[Y]]
func.func @rotate_half(%q: tensor<1x4x6x8xf32>, %cos: tensor<1x1x6x8xf32>, %sin: tensor<1x1x6x8xf32>) -> tensor<1x4x6x8xf32> {
  %direct = lathe.mul %q, %cos : (tensor<1x4x6x8xf32>, tensor<1x1x6x8xf32>) -> tensor<1x4x6x8xf32>
  %low = lathe.slice %q {starts = array<i64: 0, 0, 0, 0>, ends = array<i64: 1, 4, 6, 4>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x4x6x8xf32>) -> tensor<1x4x6x4xf32>
  %high = lathe.slice %q {starts = array<i64: 0, 0, 0, 4>, ends = array<i64: 1, 4, 6, 8>, steps = array<i64: 1, 1, 1, 1>} : (tensor<1x4x6x8xf32>) -> tensor<1x4x6x4xf32>
  %neg = lathe.neg %high : tensor<1x4x6x4xf32>
  %rot = lathe.concat %neg, %low {axis = 3 : i64} : (tensor<1x4x6x4xf32>, tensor<1x4x6x4xf32>) -> tensor<1x4x6x8xf32>
  %rotated = lathe.mul %rot, %sin : (tensor<1x4x6x8xf32>, tensor<1x1x6x8xf32>) -> tensor<1x4x6x8xf32>
  %y = lathe.add %direct, %rotated : (tensor<1x4x6x8xf32>, tensor<1x4x6x8xf32>) -> tensor<1x4x6x8xf32>
  return %y : tensor<1x4x6x8xf32>
}

// -----

// Operands the other way round: sin * rotate_half(q) + cos * q.
// CHECK-LABEL: func.func @commuted
// CHECK-SAME: (%[[Q:.+]]: tensor<2x6x8xf32>, %[[COS:.+]]: tensor<6x8xf32>, %[[SIN:.+]]: tensor<6x8xf32>)
// CHECK-NEXT: %[[Y:.+]] = lathe.rotary_embedding %[[Q]], %[[COS]], %[[SIN]]
// CHECK-NEXT: return %[[Y]]
func.func @commuted(%q: tensor<2x6x8xf32>, %cos: tensor<6x8xf32>, %sin: tensor<6x8xf32>) -> tensor<2x6x8xf32> {
  %low = lathe.slice %q {starts = array<i64: 0, 0, 0>, ends = array<i64: 2, 6, 4>, steps = array<i64: 1, 1, 1>} : (tensor<2x6x8xf32>) -> tensor<2x6x4xf32>
  %high = lathe.slice %q {starts = array<i64: 0, 0, 4>, ends = array<i64: 2, 6, 8>, steps = array<i64: 1, 1, 1>} : (tensor<2x6x8xf32>) -> tensor<2x6x4xf32>
  %neg = lathe.neg %high : tensor<2x6x4xf32>
  %rot = lathe.concat %neg, %low {axis = 2 : i64} : (tensor<2x6x4xf32>, tensor<2x6x4xf32>) -> tensor<2x6x8xf32>
  %rotated = lathe.mul %sin, %rot : (tensor<6x8xf32>, tensor<2x6x8xf32>) -> tensor<2x6x8xf32>
  %direct = lathe.mul %cos, %q : (tensor<6x8xf32>, tensor<2x6x8xf32>) -> tensor<2x6x8xf32>
  %y = lathe.add %rotated, %direct : (tensor<2x6x8xf32>, tensor<2x6x8xf32>) -> tensor<2x6x8xf32>
  return %y : tensor<2x6x8xf32>
}

// -----

// The negated half first in the wrong place: concat(x1, -x2) rotates the
// other way, not rotate_half.
// CHECK-LABEL: func.func @negated_second_half
// CHECK-NOT: lathe.rotary_embedding
// CHECK: lathe.concat
func.func @negated_second_half(%q: tensor<2x6x8xf32>, %cos: tensor<6x8xf32>, %sin: tensor<6x8xf32>) -> tensor<2x6x8xf32> {
  %direct = lathe.mul %q, %cos : (tensor<2x6x8xf32>, tensor<6x8xf32>) -> tensor<2x6x8xf32>
  %low = lathe.slice %q {starts = array<i64: 0, 0, 0>, ends = array<i64: 2, 6, 4>, steps = array<i64: 1, 1, 1>} : (tensor<2x6x8xf32>) -> tensor<2x6x4xf32>
  %high = lathe.slice %q {starts = array<i64: 0, 0, 4>, ends = array<i64: 2, 6, 8>, steps = array<i64: 1, 1, 1>} : (tensor<2x6x8xf32>) -> tensor<2x6x4xf32>
  %neg = lathe.neg %low : tensor<2x6x4xf32>
  %rot = lathe.concat %high, %neg {axis = 2 : i64} : (tensor<2x6x4xf32>, tensor<2x6x4xf32>) -> tensor<2x6x8xf32>
  %rotated = lathe.mul %rot, %sin : (tensor<2x6x8xf32>, tensor<6x8xf32>) -> tensor<2x6x8xf32>
  %y = lathe.add %direct, %rotated : (tensor<2x6x8xf32>, tensor<2x6x8xf32>) -> tensor<2x6x8xf32>
  return %y : tensor<2x6x8xf32>
}

// -----

// The halves of another tensor than the one multiplied by cos.
// CHECK-LABEL: func.func @halves_of_another_tensor
// CHECK-NOT: lathe.rotary_embedding
func.func @halves_of_another_tensor(%q: tensor<2x6x8xf32>, %k: tensor<2x6x8xf32>, %cos: tensor<6x8xf32>, %sin: tensor<6x8xf32>) -> tensor<2x6x8xf32> {
  %direct = lathe.mul %q, %cos : (tensor<2x6x8xf32>, tensor<6x8xf32>) -> tensor<2x6x8xf32>
  %low = lathe.slice %k {starts = array<i64: 0, 0, 0>, ends = array<i64: 2, 6, 4>, steps = array<i64: 1, 1, 1>} : (tensor<2x6x8xf32>) -> tensor<2x6x4xf32>
  %high = lathe.slice %k {starts = array<i64: 0, 0, 4>, ends = array<i64: 2, 6, 8>, steps = array<i64: 1, 1, 1>} : (tensor<2x6x8xf32>) -> tensor<2x6x4xf32>
  %neg = lathe.neg %high : tensor<2x6x4xf32>
  %rot = lathe.concat %neg, %low {axis = 2 : i64} : (tensor<2x6x4xf32>, tensor<2x6x4xf32>) -> tensor<2x6x8xf32>
  %rotated = lathe.mul %rot, %sin : (tensor<2x6x8xf32>, tensor<6x8xf32>) -> tensor<2x6x8xf32>
  %y = lathe.add %direct, %rotated : (tensor<2x6x8xf32>, tensor<2x6x8xf32>) -> tensor<2x6x8xf32>
  return %y : tensor<2x6x8xf32>
}

// -----

// The rotated half used elsewhere too: the ops stay, so it is computed once.
// CHECK-LABEL: func.func @rotation_used_twice
// CHECK-NOT: lathe.rotary_embedding
func.func @rotation_used_twice(%q: tensor<2x6x8xf32>, %cos: tensor<6x8xf32>, %sin: tensor<6x8xf32>) -> (tensor<2x6x8xf32>, tensor<2x6x8xf32>) {
  %direct = lathe.mul %q, %cos : (tensor<2x6x8xf32>, tensor<6x8xf32>) -> tensor<2x6x8xf32>
  %low = lathe.slice %q {starts = array<i64: 0, 0, 0>, ends = array<i64: 2, 6, 4>, steps = array<i64: 1, 1, 1>} : (tensor<2x6x8xf32>) -> tensor<2x6x4xf32>
  %high = lathe.slice %q {starts = array<i64: 0, 0, 4>, ends = array<i64: 2, 6, 8>, steps = array<i64: 1, 1, 1>} : (tensor<2x6x8xf32>) -> tensor<2x6x4xf32>
  %neg = lathe.neg %high : tensor<2x6x4xf32>
  %rot = lathe.concat %neg, %low {axis = 2 : i64} : (tensor<2x6x4xf32>, tensor<2x6x4xf32>) -> tensor<2x6x8xf32>
  %rotated = lathe.mul %rot, %sin : (tensor<2x6x8xf32>, tensor<6x8xf32>) -> tensor<2x6x8xf32>
  %y = lathe.add %direct, %rotated : (tensor<2x6x8xf32>, tensor<2x6x8xf32>) -> tensor<2x6x8xf32>
  return %y, %rot : tensor<2x6x8xf32>, tensor<2x6x8xf32>
}
