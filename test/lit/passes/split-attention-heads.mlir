// RUN: lathe-opt --split-input-file --lathe-split-attention-heads %s | FileCheck %s
// RUN: lathe-opt --split-input-file --lathe-split-attention-heads=head-dim-multiple=8 %s | FileCheck %s --check-prefix=PAD

// Two heads: each its own attention over the head's slices of q, k and v,
// the results concatenated along the heads dim.
// CHECK-LABEL: func.func @two_heads
// CHECK-SAME: %[[Q:[a-z0-9]+]]: tensor<1x2x3x4xf32>, %[[K:[a-z0-9]+]]: tensor<1x2x5x4xf32>, %[[V:[a-z0-9]+]]: tensor<1x2x5x6xf32>
// CHECK: %[[Q0:.+]] = lathe.slice %[[Q]] {ends = array<i64: 1, 1, 3, 4>, starts = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1>}
// CHECK: %[[K0:.+]] = lathe.slice %[[K]] {ends = array<i64: 1, 1, 5, 4>, starts = array<i64: 0, 0, 0, 0>
// CHECK: %[[V0:.+]] = lathe.slice %[[V]] {ends = array<i64: 1, 1, 5, 6>, starts = array<i64: 0, 0, 0, 0>
// CHECK: %[[H0:.+]] = lathe.attention %[[Q0]], %[[K0]], %[[V0]] {scale = 5.000000e-01 : f32} : (tensor<1x1x3x4xf32>, tensor<1x1x5x4xf32>, tensor<1x1x5x6xf32>) -> tensor<1x1x3x6xf32>
// CHECK: %[[Q1:.+]] = lathe.slice %[[Q]] {ends = array<i64: 1, 2, 3, 4>, starts = array<i64: 0, 1, 0, 0>
// CHECK: %[[H1:.+]] = lathe.attention %[[Q1]]
// CHECK: %[[Y:.+]] = lathe.concat %[[H0]], %[[H1]] {axis = 1 : i64}
// CHECK: return %[[Y]]
func.func @two_heads(%q: tensor<1x2x3x4xf32>, %k: tensor<1x2x5x4xf32>, %v: tensor<1x2x5x6xf32>) -> tensor<1x2x3x6xf32> {
  %0 = lathe.attention %q, %k, %v {scale = 0.5 : f32} : (tensor<1x2x3x4xf32>, tensor<1x2x5x4xf32>, tensor<1x2x5x6xf32>) -> tensor<1x2x3x6xf32>
  return %0 : tensor<1x2x3x6xf32>
}

// -----

// One head, or no heads dim: nothing to split.
// CHECK-LABEL: func.func @one_head
// CHECK-NOT: lathe.slice
// CHECK: lathe.attention
// CHECK: lathe.attention
// CHECK-NOT: lathe.concat
func.func @one_head(%q: tensor<1x1x3x4xf32>, %r: tensor<3x4xf32>) -> (tensor<1x1x3x4xf32>, tensor<3x4xf32>) {
  %0 = lathe.attention %q, %q, %q {scale = 0.5 : f32} : (tensor<1x1x3x4xf32>, tensor<1x1x3x4xf32>, tensor<1x1x3x4xf32>) -> tensor<1x1x3x4xf32>
  %1 = lathe.attention %r, %r, %r {scale = 0.5 : f32} : (tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  return %0, %1 : tensor<1x1x3x4xf32>, tensor<3x4xf32>
}

// -----

// With head-dim-multiple=8: D 4 -> 8 and Dv 6 -> 8 with zeros, once for all
// heads; each head attends over its padded slices; the concatenated result
// is sliced back to Dv. Without the option nothing is padded.
// PAD-LABEL: func.func @padded_heads
// PAD-SAME: %[[Q:[a-z0-9]+]]: tensor<1x2x3x4xf32>, %[[K:[a-z0-9]+]]: tensor<1x2x5x4xf32>, %[[V:[a-z0-9]+]]: tensor<1x2x5x6xf32>
// PAD-DAG: %[[QP:.+]] = lathe.pad %[[Q]] {mode = "constant", pads = array<i64: 0, 0, 0, 0, 0, 0, 0, 4>, value = 0.000000e+00 : f64} : (tensor<1x2x3x4xf32>) -> tensor<1x2x3x8xf32>
// PAD-DAG: %[[KP:.+]] = lathe.pad %[[K]] {{.+}} -> tensor<1x2x5x8xf32>
// PAD-DAG: %[[VP:.+]] = lathe.pad %[[V]] {mode = "constant", pads = array<i64: 0, 0, 0, 0, 0, 0, 0, 2>, value = 0.000000e+00 : f64} : (tensor<1x2x5x6xf32>) -> tensor<1x2x5x8xf32>
// PAD: %[[Q0:.+]] = lathe.slice %[[QP]]
// PAD: %[[H0:.+]] = lathe.attention %[[Q0]], %{{.+}}, %{{.+}} {scale = 5.000000e-01 : f32} : (tensor<1x1x3x8xf32>, tensor<1x1x5x8xf32>, tensor<1x1x5x8xf32>) -> tensor<1x1x3x8xf32>
// PAD: %[[H1:.+]] = lathe.attention
// PAD: %[[C:.+]] = lathe.concat %[[H0]], %[[H1]] {axis = 1 : i64} : (tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>) -> tensor<1x2x3x8xf32>
// PAD: %[[Y:.+]] = lathe.slice %[[C]] {ends = array<i64: 1, 2, 3, 6>, starts = array<i64: 0, 0, 0, 0>, steps = array<i64: 1, 1, 1, 1>}
// PAD: return %[[Y]]
// CHECK-LABEL: func.func @padded_heads
// CHECK-NOT: lathe.pad
func.func @padded_heads(%q: tensor<1x2x3x4xf32>, %k: tensor<1x2x5x4xf32>, %v: tensor<1x2x5x6xf32>) -> tensor<1x2x3x6xf32> {
  %0 = lathe.attention %q, %k, %v {scale = 0.5 : f32} : (tensor<1x2x3x4xf32>, tensor<1x2x5x4xf32>, tensor<1x2x5x6xf32>) -> tensor<1x2x3x6xf32>
  return %0 : tensor<1x2x3x6xf32>
}

// -----

// One head already in whole lines: left alone with the option too.
// PAD-LABEL: func.func @whole_lines
// PAD-NOT: lathe.pad
// PAD: lathe.attention
func.func @whole_lines(%q: tensor<1x1x3x8xf32>) -> tensor<1x1x3x8xf32> {
  %0 = lathe.attention %q, %q, %q {scale = 0.5 : f32} : (tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>, tensor<1x1x3x8xf32>) -> tensor<1x1x3x8xf32>
  return %0 : tensor<1x1x3x8xf32>
}

// -----

// Grouped-query attention, 4 query heads over 2 key/value heads: query
// heads 0 and 1 read key/value head 0, heads 2 and 3 head 1; the causal
// offset goes with every head.
// CHECK-LABEL: func.func @grouped_query_heads
// CHECK-SAME: %[[Q:[a-z0-9]+]]: tensor<1x4x3x8xf32>, %[[K:[a-z0-9]+]]: tensor<1x2x5x8xf32>, %[[V:[a-z0-9]+]]: tensor<1x2x5x8xf32>
// CHECK: %[[K0:.+]] = lathe.slice %[[K]] {ends = array<i64: 1, 1, 5, 8>, starts = array<i64: 0, 0, 0, 0>
// CHECK: lathe.attention %{{.+}}, %[[K0]], %{{.+}} {causal_offset = 2 : i64, scale = 5.000000e-01 : f32}
// CHECK: %[[Q1:.+]] = lathe.slice %[[Q]] {ends = array<i64: 1, 2, 3, 8>, starts = array<i64: 0, 1, 0, 0>
// CHECK: %[[K1:.+]] = lathe.slice %[[K]] {ends = array<i64: 1, 1, 5, 8>, starts = array<i64: 0, 0, 0, 0>
// CHECK: lathe.attention %[[Q1]], %[[K1]]
// CHECK: %[[Q2:.+]] = lathe.slice %[[Q]] {ends = array<i64: 1, 3, 3, 8>, starts = array<i64: 0, 2, 0, 0>
// CHECK: %[[K2:.+]] = lathe.slice %[[K]] {ends = array<i64: 1, 2, 5, 8>, starts = array<i64: 0, 1, 0, 0>
// CHECK: %[[V2:.+]] = lathe.slice %[[V]] {ends = array<i64: 1, 2, 5, 8>, starts = array<i64: 0, 1, 0, 0>
// CHECK: lathe.attention %[[Q2]], %[[K2]], %[[V2]] {causal_offset = 2 : i64
// CHECK: lathe.concat {{.+}} {axis = 1 : i64} : {{.+}} -> tensor<1x4x3x8xf32>
func.func @grouped_query_heads(%q: tensor<1x4x3x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x8xf32>) -> tensor<1x4x3x8xf32> {
  %0 = lathe.attention %q, %k, %v {scale = 0.5 : f32, causal_offset = 2 : i64} : (tensor<1x4x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>) -> tensor<1x4x3x8xf32>
  return %0 : tensor<1x4x3x8xf32>
}

// -----

// A padding mask shared by the heads goes to each head as it is; one with a
// row per head is sliced with them.
// CHECK-LABEL: func.func @masks
// CHECK-SAME: %[[SHARED:[a-z0-9]+]]: tensor<1x1x1x5xf32>, %[[PER_HEAD:[a-z0-9]+]]: tensor<2x3x5xf32>
// CHECK: lathe.attention %{{.+}}, %{{.+}}, %{{.+}}, %[[SHARED]] {scale = 5.000000e-01 : f32}
// CHECK: lathe.attention %{{.+}}, %{{.+}}, %{{.+}}, %[[SHARED]] {scale = 5.000000e-01 : f32}
// CHECK: %[[M0:.+]] = lathe.slice %[[PER_HEAD]] {ends = array<i64: 1, 3, 5>, starts = array<i64: 0, 0, 0>
// CHECK: lathe.attention %{{.+}}, %{{.+}}, %{{.+}}, %[[M0]]
// CHECK: %[[M1:.+]] = lathe.slice %[[PER_HEAD]] {ends = array<i64: 2, 3, 5>, starts = array<i64: 1, 0, 0>
// CHECK: lathe.attention %{{.+}}, %{{.+}}, %{{.+}}, %[[M1]]
func.func @masks(%q: tensor<1x2x3x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x8xf32>, %shared: tensor<1x1x1x5xf32>, %perHead: tensor<2x3x5xf32>) -> (tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>) {
  %0 = lathe.attention %q, %k, %v, %shared {scale = 0.5 : f32} : (tensor<1x2x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>, tensor<1x1x1x5xf32>) -> tensor<1x2x3x8xf32>
  %1 = lathe.attention %q, %k, %v, %perHead {scale = 0.5 : f32} : (tensor<1x2x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>, tensor<2x3x5xf32>) -> tensor<1x2x3x8xf32>
  return %0, %1 : tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>
}
