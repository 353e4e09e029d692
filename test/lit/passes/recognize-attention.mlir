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

// -----

// A decoder's attention as torch.onnx.export writes it once shapes are
// fixed: the causal mask Trilu(ConstantOfShape(-inf), upper, k = S - L + 1)
// added to the scaled scores, and the key/value heads repeated for each
// group of query heads (repeat_kv: Reshape, Expand, Reshape). The mask is
// an offset S - L, the repeat gone: k and v keep their 2 heads.
// CHECK-LABEL: func.func @decoder_with_cache
// CHECK-SAME: (%[[Q:.+]]: tensor<1x4x3x8xf32>, %[[K:.+]]: tensor<1x2x5x8xf32>, %[[V:.+]]: tensor<1x2x5x8xf32>)
// CHECK: %[[Y:.+]] = lathe.attention %[[Q]], %[[K]], %[[V]] {causal_offset = 2 : i64, scale = 0.353553385 : f32} : (tensor<1x4x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>) -> tensor<1x4x3x8xf32>
// CHECK-NOT: lathe.expand
// CHECK-NOT: lathe.trilu
// CHECK: return %[[Y]]
func.func @decoder_with_cache(%q: tensor<1x4x3x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x8xf32>) -> tensor<1x4x3x8xf32> {
  %k1 = lathe.reshape %k {shape = array<i64: 1, 2, 1, 5, 8>} : (tensor<1x2x5x8xf32>) -> tensor<1x2x1x5x8xf32>
  %k2 = lathe.expand %k1 {shape = array<i64: 1, 2, 2, 5, 8>} : (tensor<1x2x1x5x8xf32>) -> tensor<1x2x2x5x8xf32>
  %k3 = lathe.reshape %k2 {shape = array<i64: 1, 4, 5, 8>} : (tensor<1x2x2x5x8xf32>) -> tensor<1x4x5x8xf32>
  %kt = lathe.transpose %k3 {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x4x5x8xf32>) -> tensor<1x4x8x5xf32>
  %s = lathe.matmul %q, %kt : (tensor<1x4x3x8xf32>, tensor<1x4x8x5xf32>) -> tensor<1x4x3x5xf32>
  %c = lathe.constant dense<2.82842712> : tensor<f32>
  %d = lathe.div %s, %c : (tensor<1x4x3x5xf32>, tensor<f32>) -> tensor<1x4x3x5xf32>
  %inf = lathe.constant dense<0xFF800000> : tensor<3x5xf32>
  %mask = lathe.trilu %inf {k = 3 : i64, upper = true} : (tensor<3x5xf32>) -> tensor<3x5xf32>
  %m = lathe.add %d, %mask : (tensor<1x4x3x5xf32>, tensor<3x5xf32>) -> tensor<1x4x3x5xf32>
  %p = lathe.softmax %m {axis = 3 : i64} : (tensor<1x4x3x5xf32>) -> tensor<1x4x3x5xf32>
  %v1 = lathe.reshape %v {shape = array<i64: 1, 2, 1, 5, 8>} : (tensor<1x2x5x8xf32>) -> tensor<1x2x1x5x8xf32>
  %v2 = lathe.expand %v1 {shape = array<i64: 1, 2, 2, 5, 8>} : (tensor<1x2x1x5x8xf32>) -> tensor<1x2x2x5x8xf32>
  %v3 = lathe.reshape %v2 {shape = array<i64: 1, 4, 5, 8>} : (tensor<1x2x2x5x8xf32>) -> tensor<1x4x5x8xf32>
  %y = lathe.matmul %p, %v3 : (tensor<1x4x3x5xf32>, tensor<1x4x5x8xf32>) -> tensor<1x4x3x8xf32>
  return %y : tensor<1x4x3x8xf32>
}

// -----

// The mask as a folded constant (the float minimum where masked, as some
// exporters write it), on the left of the add: causal with offset 0.
// CHECK-LABEL: func.func @constant_causal_mask
// CHECK: lathe.attention %arg0, %arg1, %arg2 {causal_offset = 0 : i64, scale = 1.000000e+00 : f32}
func.func @constant_causal_mask(%q: tensor<3x4xf32>, %k: tensor<3x4xf32>, %v: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %kt = lathe.transpose %k {perm = array<i64: 1, 0>} : (tensor<3x4xf32>) -> tensor<4x3xf32>
  %s = lathe.matmul %q, %kt : (tensor<3x4xf32>, tensor<4x3xf32>) -> tensor<3x3xf32>
  %mask = lathe.constant dense<[[0.0, -3.40282347E+38, -3.40282347E+38], [0.0, 0.0, -3.40282347E+38], [0.0, 0.0, 0.0]]> : tensor<3x3xf32>
  %m = lathe.add %mask, %s : (tensor<3x3xf32>, tensor<3x3xf32>) -> tensor<3x3xf32>
  %p = lathe.softmax %m {axis = 1 : i64} : (tensor<3x3xf32>) -> tensor<3x3xf32>
  %y = lathe.matmul %p, %v : (tensor<3x3xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// Masks that are not causal (a lower triangle, holes, one computed at run
// time) are the kernel's additive mask operand, with no causal offset.
// CHECK-LABEL: func.func @not_causal
// CHECK-NOT: lathe.softmax
// CHECK-COUNT-3: lathe.attention %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {scale = 1.000000e+00 : f32} : (tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x3xf32>) -> tensor<3x4xf32>
func.func @not_causal(%q: tensor<3x4xf32>, %k: tensor<3x4xf32>, %v: tensor<3x4xf32>, %pad: tensor<3x3xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>) {
  %kt = lathe.transpose %k {perm = array<i64: 1, 0>} : (tensor<3x4xf32>) -> tensor<4x3xf32>
  %s0 = lathe.matmul %q, %kt : (tensor<3x4xf32>, tensor<4x3xf32>) -> tensor<3x3xf32>
  %inf = lathe.constant dense<0xFF800000> : tensor<3x3xf32>
  %lower = lathe.trilu %inf {k = -1 : i64, upper = false} : (tensor<3x3xf32>) -> tensor<3x3xf32>
  %m0 = lathe.add %s0, %lower : (tensor<3x3xf32>, tensor<3x3xf32>) -> tensor<3x3xf32>
  %p0 = lathe.softmax %m0 {axis = 1 : i64} : (tensor<3x3xf32>) -> tensor<3x3xf32>
  %y0 = lathe.matmul %p0, %v : (tensor<3x3xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %s1 = lathe.matmul %q, %kt : (tensor<3x4xf32>, tensor<4x3xf32>) -> tensor<3x3xf32>
  %hole = lathe.constant dense<[[0.0, 0xFF800000, 0xFF800000], [0xFF800000, 0.0, 0xFF800000], [0.0, 0.0, 0.0]]> : tensor<3x3xf32>
  %m1 = lathe.add %s1, %hole : (tensor<3x3xf32>, tensor<3x3xf32>) -> tensor<3x3xf32>
  %p1 = lathe.softmax %m1 {axis = 1 : i64} : (tensor<3x3xf32>) -> tensor<3x3xf32>
  %y1 = lathe.matmul %p1, %v : (tensor<3x3xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %s2 = lathe.matmul %q, %kt : (tensor<3x4xf32>, tensor<4x3xf32>) -> tensor<3x3xf32>
  %m2 = lathe.add %pad, %s2 : (tensor<3x3xf32>, tensor<3x3xf32>) -> tensor<3x3xf32>
  %p2 = lathe.softmax %m2 {axis = 1 : i64} : (tensor<3x3xf32>) -> tensor<3x3xf32>
  %y2 = lathe.matmul %p2, %v : (tensor<3x3xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  return %y0, %y1, %y2 : tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>
}

// -----

// An encoder's padding mask, computed from its ids at run time and
// broadcast over heads and queries, scaled scores before it.
// CHECK-LABEL: func.func @padding_mask
// CHECK-SAME: %[[MASK:[a-z0-9]+]]: tensor<2x1x1x5xf32>
// CHECK: lathe.attention %{{.+}}, %{{.+}}, %{{.+}}, %[[MASK]] {scale = 1.250000e-01 : f32} : (tensor<2x3x5x8xf32>, tensor<2x3x5x8xf32>, tensor<2x3x5x8xf32>, tensor<2x1x1x5xf32>) -> tensor<2x3x5x8xf32>
func.func @padding_mask(%q: tensor<2x3x5x8xf32>, %k: tensor<2x3x5x8xf32>, %v: tensor<2x3x5x8xf32>, %mask: tensor<2x1x1x5xf32>) -> tensor<2x3x5x8xf32> {
  %kt = lathe.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x3x5x8xf32>) -> tensor<2x3x8x5xf32>
  %s = lathe.matmul %q, %kt : (tensor<2x3x5x8xf32>, tensor<2x3x8x5xf32>) -> tensor<2x3x5x5xf32>
  %c = lathe.constant dense<8.0> : tensor<f32>
  %scaled = lathe.div %s, %c : (tensor<2x3x5x5xf32>, tensor<f32>) -> tensor<2x3x5x5xf32>
  %m = lathe.add %scaled, %mask : (tensor<2x3x5x5xf32>, tensor<2x1x1x5xf32>) -> tensor<2x3x5x5xf32>
  %p = lathe.softmax %m {axis = 3 : i64} : (tensor<2x3x5x5xf32>) -> tensor<2x3x5x5xf32>
  %y = lathe.matmul %p, %v : (tensor<2x3x5x5xf32>, tensor<2x3x5x8xf32>) -> tensor<2x3x5x8xf32>
  return %y : tensor<2x3x5x8xf32>
}

// -----

// Masked scores that something else reads too stay as they are.
// CHECK-LABEL: func.func @masked_scores_used_twice
// CHECK-NOT: lathe.attention
// CHECK: lathe.softmax
func.func @masked_scores_used_twice(%q: tensor<3x4xf32>, %k: tensor<3x4xf32>, %v: tensor<3x4xf32>, %pad: tensor<3x3xf32>) -> (tensor<3x4xf32>, tensor<3x3xf32>) {
  %kt = lathe.transpose %k {perm = array<i64: 1, 0>} : (tensor<3x4xf32>) -> tensor<4x3xf32>
  %s = lathe.matmul %q, %kt : (tensor<3x4xf32>, tensor<4x3xf32>) -> tensor<3x3xf32>
  %m = lathe.add %s, %pad : (tensor<3x3xf32>, tensor<3x3xf32>) -> tensor<3x3xf32>
  %p = lathe.softmax %m {axis = 1 : i64} : (tensor<3x3xf32>) -> tensor<3x3xf32>
  %y = lathe.matmul %p, %v : (tensor<3x3xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  return %y, %m : tensor<3x4xf32>, tensor<3x3xf32>
}

// -----

// An Expand that broadcasts something else than a new dim after the heads
// (here the batch) is not repeat_kv: the attention reads the expanded key.
// CHECK-LABEL: func.func @expand_not_repeat_kv
// CHECK: %[[K:.+]] = lathe.reshape %{{.+}} {shape = array<i64: 1, 4, 5, 8>} : (tensor<2x2x1x5x8xf32>) -> tensor<1x4x5x8xf32>
// CHECK: lathe.attention %arg0, %[[K]], %arg2 {scale = 1.000000e+00 : f32} : (tensor<1x4x3x8xf32>, tensor<1x4x5x8xf32>, tensor<1x4x5x8xf32>)
func.func @expand_not_repeat_kv(%q: tensor<1x4x3x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x4x5x8xf32>) -> tensor<1x4x3x8xf32> {
  %k1 = lathe.reshape %k {shape = array<i64: 1, 2, 1, 5, 8>} : (tensor<1x2x5x8xf32>) -> tensor<1x2x1x5x8xf32>
  %k2 = lathe.expand %k1 {shape = array<i64: 2, 2, 1, 5, 8>} : (tensor<1x2x1x5x8xf32>) -> tensor<2x2x1x5x8xf32>
  %k3 = lathe.reshape %k2 {shape = array<i64: 1, 4, 5, 8>} : (tensor<2x2x1x5x8xf32>) -> tensor<1x4x5x8xf32>
  %kt = lathe.transpose %k3 {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x4x5x8xf32>) -> tensor<1x4x8x5xf32>
  %s = lathe.matmul %q, %kt : (tensor<1x4x3x8xf32>, tensor<1x4x8x5xf32>) -> tensor<1x4x3x5xf32>
  %p = lathe.softmax %s {axis = 3 : i64} : (tensor<1x4x3x5xf32>) -> tensor<1x4x3x5xf32>
  %y = lathe.matmul %p, %v : (tensor<1x4x3x5xf32>, tensor<1x4x5x8xf32>) -> tensor<1x4x3x8xf32>
  return %y : tensor<1x4x3x8xf32>
}
