// RUN: %lathe-opt %s --split-input-file --convert-lathe-to-linalg --verify-diagnostics | FileCheck %s

// An elementwise op with broadcasting is one generic; the broadcast operand
// reads a constant index on its size-1 dim.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @add_broadcast
// CHECK-SAME: (%[[A:.+]]: tensor<2x3xf32>, %[[B:.+]]: tensor<1x3xf32>)
// CHECK: %[[INIT:.+]] = tensor.empty() : tensor<2x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<2x3xf32>, tensor<1x3xf32>) outs(%[[INIT]] : tensor<2x3xf32>)
// CHECK: arith.addf
func.func @add_broadcast(%a: tensor<2x3xf32>, %b: tensor<1x3xf32>) -> tensor<2x3xf32> {
  %0 = lathe.add %a, %b : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Unsigned tensors become signless storage; the op picks unsigned arithmetic.
// CHECK-LABEL: func.func @unsigned_div
// CHECK-SAME: (%{{.+}}: tensor<4xi8>, %{{.+}}: tensor<4xi8>) -> tensor<4xi8>
// CHECK: arith.divui
// CHECK-NOT: arith.divsi
func.func @unsigned_div(%a: tensor<4xui8>, %b: tensor<4xui8>) -> tensor<4xui8> {
  %0 = lathe.div %a, %b : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  return %0 : tensor<4xui8>
}

// -----

// Integer division guards against a zero divisor (undefined in ONNX) rather
// than trapping.
// CHECK-LABEL: func.func @signed_div
// CHECK: %[[ZERO:.+]] = arith.cmpi eq
// CHECK: %[[SAFE:.+]] = arith.select %[[ZERO]]
// CHECK: arith.divsi %{{.+}}, %[[SAFE]]
func.func @signed_div(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = lathe.div %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// A convolution pads its input explicitly and reduces over (c, kh, kw) with
// the output's spatial dims innermost, writing the result in its own shape;
// the bias is one more elementwise generic.
// CHECK-DAG: #[[CONV_X:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d2, d3 + d5, d4 + d6)>
// CHECK-DAG: #[[CONV_W:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d2, d3, d4)>
// CHECK-DAG: #[[CONV_Y:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d5, d6)>
// CHECK-LABEL: func.func @conv
// CHECK: tensor.pad %{{.+}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: linalg.generic {indexing_maps = [#[[CONV_X]], #[[CONV_W]], #[[CONV_Y]]], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]}
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: arith.addf
func.func @conv(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x8x8xf32> {
  %0 = lathe.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

// A grouped convolution (2 groups of 2 channels) iterates over groups.
// CHECK-LABEL: func.func @grouped_conv
// CHECK: tensor.expand_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]
func.func @grouped_conv(%x: tensor<1x4x8x8xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %0 = lathe.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2} : (tensor<1x4x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

// Channels last: loops n, oh, kh, kw, c, ow, m. The output row (ow) and the
// filters (m) are the innermost loops; the filters are contiguous in both
// the weights and the result. The bias broadcasts along the last dim.
// CHECK-DAG: #[[NHWC_X:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1 * 2 + d2, d5 * 2 + d3, d4)>
// CHECK-DAG: #[[NHWC_W:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d2, d3, d4, d6)>
// CHECK-DAG: #[[NHWC_Y:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d5, d6)>
// CHECK-LABEL: func.func @conv_nhwc
// CHECK: tensor.pad %{{.+}} low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK: linalg.generic {indexing_maps = [#[[NHWC_X]], #[[NHWC_W]], #[[NHWC_Y]]], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]}
// CHECK: linalg.generic
// CHECK: arith.addf
func.func @conv_nhwc(%x: tensor<1x8x8x3xf32>, %w: tensor<3x3x3x4xf32>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  %0 = lathe.conv_nhwc %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x8x8x3xf32>, tensor<3x3x3x4xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

// A channels-last convolution with packed filters reads its weights at
// (m floordiv tile, k..., c, m mod tile), filters innermost.
// CHECK-DAG: #[[PW:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d6 floordiv 4, d2, d3, d4, d6 mod 4)>
// CHECK-LABEL: func.func @conv_nhwc_packed
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[PW]], #{{.+}}], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]}
func.func @conv_nhwc_packed(%x: tensor<1x6x6x3xf32>, %w: tensor<2x3x3x3x4xf32>) -> tensor<1x4x4x6xf32> {
  %0 = lathe.conv_nhwc %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1, filters = 6 : i64} : (tensor<1x6x6x3xf32>, tensor<2x3x3x3x4xf32>) -> tensor<1x4x4x6xf32>
  return %0 : tensor<1x4x4x6xf32>
}

// -----

// A depthwise channels-last convolution keeps its channels innermost and
// reduces over the window only.
// CHECK-LABEL: func.func @conv_nhwc_depthwise
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction", "reduction", "parallel", "parallel"]
func.func @conv_nhwc_depthwise(%x: tensor<1x6x6x3xf32>, %w: tensor<3x3x1x3xf32>) -> tensor<1x4x4x3xf32> {
  %0 = lathe.conv_nhwc %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 3} : (tensor<1x6x6x3xf32>, tensor<3x3x1x3xf32>) -> tensor<1x4x4x3xf32>
  return %0 : tensor<1x4x4x3xf32>
}

// -----

// A grouped channels-last convolution splits the channels into (group,
// channels per group) and iterates over groups.
// CHECK-LABEL: func.func @conv_nhwc_grouped
// CHECK: tensor.expand_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]
// CHECK: tensor.collapse_shape
func.func @conv_nhwc_grouped(%x: tensor<1x6x6x4xf32>, %w: tensor<3x3x2x4xf32>) -> tensor<1x4x4x4xf32> {
  %0 = lathe.conv_nhwc %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2} : (tensor<1x6x6x4xf32>, tensor<3x3x2x4xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

// A matmul over packed panels reads its right operand at (n floordiv tile,
// k, n mod tile); the result keeps its (batch, M, N) shape.
// CHECK-DAG: #[[PM_A:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[PM_P:.+]] = affine_map<(d0, d1, d2, d3) -> (d3 floordiv 4, d2, d3 mod 4)>
// CHECK-DAG: #[[PM_Y:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-LABEL: func.func @matmul_packed
// CHECK: %[[FILL:.+]] = linalg.fill
// CHECK: linalg.generic {indexing_maps = [#[[PM_A]], #[[PM_P]], #[[PM_Y]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%{{.+}}, %{{.+}} : tensor<2x3x5xf32>, tensor<2x5x4xf32>) outs(%[[FILL]] : tensor<2x3x6xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @matmul_packed(%a: tensor<2x3x5xf32>, %p: tensor<2x5x4xf32>) -> tensor<2x3x6xf32> {
  %0 = lathe.matmul_packed %a, %p {columns = 6 : i64} : (tensor<2x3x5xf32>, tensor<2x5x4xf32>) -> tensor<2x3x6xf32>
  return %0 : tensor<2x3x6xf32>
}

// -----

// Batched panels (panels, B, K, tile), one matrix per batch of a, are read
// at the batch dim too.
// CHECK-DAG: #[[BP_P:.+]] = affine_map<(d0, d1, d2, d3) -> (d3 floordiv 4, d0, d2, d3 mod 4)>
// CHECK-LABEL: func.func @matmul_packed_batched
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[BP_P]], #{{.+}}], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%{{.+}}, %{{.+}} : tensor<3x2x5xf32>, tensor<2x3x5x4xf32>) outs(%{{.+}} : tensor<3x2x6xf32>)
func.func @matmul_packed_batched(%a: tensor<3x2x5xf32>, %p: tensor<2x3x5x4xf32>) -> tensor<3x2x6xf32> {
  %0 = lathe.matmul_packed %a, %p {columns = 6 : i64} : (tensor<3x2x5xf32>, tensor<2x3x5x4xf32>) -> tensor<3x2x6xf32>
  return %0 : tensor<3x2x6xf32>
}

// -----

// An 8-bit matmul is one i32 contraction: each operand widened by its
// signedness, its zero point (lhs's per row, rhs's per column) subtracted.
// CHECK-DAG: #[[MI_A:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[MI_B:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-DAG: #[[MI_ZA:.+]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-DAG: #[[MI_ZB:.+]] = affine_map<(d0, d1, d2, d3) -> (d3)>
// CHECK-DAG: #[[MI_Y:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-LABEL: func.func @matmul_integer
// CHECK: %[[FILL:.+]] = linalg.fill ins(%{{.+}} : i32)
// CHECK: linalg.generic {indexing_maps = [#[[MI_A]], #[[MI_B]], #[[MI_ZA]], #[[MI_ZB]], #[[MI_Y]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%{{.+}} : tensor<2x3x5xi8>, tensor<5x6xi8>, tensor<3xi8>, tensor<6xi8>) outs(%[[FILL]] : tensor<2x3x6xi32>)
// CHECK: ^bb0(%[[A:.+]]: i8, %[[B:.+]]: i8, %[[ZA:.+]]: i8, %[[ZB:.+]]: i8, %[[ACC:.+]]: i32):
// CHECK-DAG: %[[A32:.+]] = arith.extui %[[A]] : i8 to i32
// CHECK-DAG: %[[ZA32:.+]] = arith.extui %[[ZA]] : i8 to i32
// CHECK-DAG: %[[B32:.+]] = arith.extsi %[[B]] : i8 to i32
// CHECK-DAG: %[[ZB32:.+]] = arith.extsi %[[ZB]] : i8 to i32
// CHECK-DAG: %[[AC:.+]] = arith.subi %[[A32]], %[[ZA32]]
// CHECK-DAG: %[[BC:.+]] = arith.subi %[[B32]], %[[ZB32]]
// CHECK: %[[P:.+]] = arith.muli %[[AC]], %[[BC]]
// CHECK: arith.addi %[[ACC]], %[[P]]
func.func @matmul_integer(%a: tensor<2x3x5xui8>, %b: tensor<5x6xi8>, %za: tensor<3xui8>, %zb: tensor<6xi8>) -> tensor<2x3x6xi32> {
  %0 = lathe.matmul_integer %a, %b, %za, %zb : (tensor<2x3x5xui8>, tensor<5x6xi8>, tensor<3xui8>, tensor<6xi8>) -> tensor<2x3x6xi32>
  return %0 : tensor<2x3x6xi32>
}

// -----

// 8-bit panels of 4 columns x 4 rows are read at (n floordiv 4, k floordiv
// 4, n mod 4, k mod 4).
// CHECK-DAG: #[[IP_A:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[IP_P:.+]] = affine_map<(d0, d1, d2) -> (d2 floordiv 4, d1 floordiv 4, d2 mod 4, d1 mod 4)>
// CHECK-DAG: #[[IP_Y:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @matmul_integer_packed
// CHECK: linalg.generic {indexing_maps = [#[[IP_A]], #[[IP_P]], #[[IP_Y]]], iterator_types = ["parallel", "reduction", "parallel"]} ins(%{{.+}}, %{{.+}} : tensor<3x5xi8>, tensor<2x2x4x4xi8>) outs(%{{.+}} : tensor<3x6xi32>)
// CHECK: arith.extsi %{{.+}} : i8 to i32
// CHECK: arith.extui %{{.+}} : i8 to i32
// CHECK: arith.muli
// CHECK: arith.addi
func.func @matmul_integer_packed(%a: tensor<3x5xi8>, %p: tensor<2x2x4x4xui8>) -> tensor<3x6xi32> {
  %0 = lathe.matmul_integer_packed %a, %p {columns = 6 : i64} : (tensor<3x5xi8>, tensor<2x2x4x4xui8>) -> tensor<3x6xi32>
  return %0 : tensor<3x6xi32>
}

// -----

// Attention is one parallel loop over blocks of query rows of a (batch,
// head) (the session's threads share them; 3 rows make blocks of one), k
// transposed to (batch, D, S) before it; inside it, the block's scores (D
// steps of fused multiply-adds over the S keys, the rows innermost), their
// max, the exponentials' sum and the weighted sum of v.
// CHECK-LABEL: func.func @attention
// CHECK: linalg.transpose ins(%{{.+}} : tensor<2x5x4xf32>) outs(%{{.+}} : tensor<2x4x5xf32>) permutation = [0, 2, 1]
// CHECK: scf.forall (%{{.+}}) in (6) shared_outs(%{{.+}}) -> (tensor<2x3x6xf32>)
// CHECK: tensor.extract_slice {{.*}} to tensor<1x4xf32>
// CHECK: tensor.extract_slice {{.*}} : tensor<2x4x5xf32> to tensor<4x5xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel", "parallel"]{{.*}} ins({{.*}} : tensor<1x4xf32>, tensor<4x1x5xf32>) outs({{.*}} : tensor<1x1x5xf32>)
// CHECK: math.fma
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel", "parallel"]
// CHECK: math.fma
// CHECK: arith.divf
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice {{.*}} : tensor<1x6xf32> into tensor<2x3x6xf32>
func.func @attention(%q: tensor<2x3x4xf32>, %k: tensor<2x5x4xf32>, %v: tensor<2x5x6xf32>) -> tensor<2x3x6xf32> {
  %0 = lathe.attention %q, %k, %v {scale = 0.5 : f32} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>, tensor<2x5x6xf32>) -> tensor<2x3x6xf32>
  return %0 : tensor<2x3x6xf32>
}

// -----

// Max pooling pads with -inf, never with zeros.
// CHECK-LABEL: func.func @max_pool
// CHECK: %[[NEG_INF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: tensor.pad
// CHECK: tensor.yield %[[NEG_INF]]
// CHECK: arith.maximumf
func.func @max_pool(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
  %0 = lathe.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 0, 0>, ceil_mode = false} : (tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}

// -----

// Average pooling divides by a per-position count computed at compile time:
// here pads do not count, so corner windows hold 4 elements, edges 6, the
// middle 9.
// CHECK-LABEL: func.func @average_pool_excluding_pads
// CHECK: arith.constant dense<{{\[}}[4.000000e+00, 6.000000e+00, 4.000000e+00], [6.000000e+00, 9.000000e+00, 6.000000e+00], [4.000000e+00, 6.000000e+00, 4.000000e+00]]> : tensor<3x3xf32>
// CHECK: arith.divf
func.func @average_pool_excluding_pads(%x: tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32> {
  %0 = lathe.average_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, ceil_mode = false, count_include_pad = false} : (tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
}

// -----

// Softmax subtracts the row maximum before exponentiating.
// CHECK-LABEL: func.func @softmax
// CHECK: arith.maximumf
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: arith.divf
func.func @softmax(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %0 = lathe.softmax %x {axis = 1 : i64} : (tensor<2x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

// Gather reads through a clamped index: bad indices cannot read out of bounds.
// CHECK-LABEL: func.func @gather
// CHECK: linalg.generic
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: tensor.extract
func.func @gather(%x: tensor<5x4xf32>, %i: tensor<3xi64>) -> tensor<3x4xf32> {
  %0 = lathe.gather %x, %i {axis = 0 : i64} : (tensor<5x4xf32>, tensor<3xi64>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// Reshapes need no copy: they collapse to 1-D and expand.
// CHECK-LABEL: func.func @reshape
// CHECK: tensor.collapse_shape
// CHECK: tensor.expand_shape
// CHECK-NOT: linalg.generic
func.func @reshape(%x: tensor<2x6xf32>) -> tensor<3x4xf32> {
  %0 = lathe.reshape %x {shape = array<i64: 3, 4>} : (tensor<2x6xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// Scatters apply their updates in order, in loops threading the tensor.
// CHECK-LABEL: func.func @scatter_elements
// CHECK: scf.for
// CHECK: scf.for
// CHECK: tensor.extract
// CHECK: arith.addf
// CHECK: tensor.insert
func.func @scatter_elements(%x: tensor<3x3xf32>, %i: tensor<1x2xi64>, %u: tensor<1x2xf32>) -> tensor<3x3xf32> {
  %0 = lathe.scatter_elements %x, %i, %u {axis = 1 : i64, reduction = "add"} : (tensor<3x3xf32>, tensor<1x2xi64>, tensor<1x2xf32>) -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}

// -----

// TopK ranks every element against the others (a reduction over a second
// copy of the axis), then places the k best in loops.
// CHECK-LABEL: func.func @top_k
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: arith.cmpf ogt
// CHECK: scf.for
// CHECK: scf.if
func.func @top_k(%x: tensor<4xf32>) -> tensor<2xf32> {
  %0:2 = lathe.top_k %x {k = 2 : i64, axis = 0 : i64, largest = true, sorted = true} : (tensor<4xf32>) -> (tensor<2xf32>, tensor<2xi64>)
  return %0#0 : tensor<2xf32>
}

// -----

// Ops without a lowering stay illegal: the conversion fails and names them.
func.func @resize_cubic(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  // expected-error @+1 {{failed to legalize operation 'lathe.resize'}}
  %0 = lathe.resize %x {sizes = array<i64: 1, 1, 4, 4>, scales = array<f32: 1.0, 1.0, 2.0, 2.0>, mode = "cubic", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", cubic_coeff_a = -0.75 : f32, exclude_outside = false, extrapolation_value = 0.0 : f32} : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

// Division by a float constant is a multiplication by its reciprocal.
// CHECK-LABEL: func.func @div_by_constant
// CHECK: %[[QUARTER:.+]] = arith.constant 2.500000e-01 : f32
// CHECK: arith.mulf %{{.+}}, %[[QUARTER]]
// CHECK-NOT: arith.divf
func.func @div_by_constant(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = lathe.constant dense<4.0> : tensor<f32>
  %0 = lathe.div %x, %c : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Pools channels last: iteration dims n, o_1, k_1, k_2, o_2, c (a tile is an
// output row, channels innermost); the average's divisor is (O..., 1), one
// per position, broadcast over the channels.
// CHECK-DAG: #[[PX:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 * 2 + d2, d4 * 2 + d3, d5)>
// CHECK-DAG: #[[PK:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d2, d3)>
// CHECK-DAG: #[[PY:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4, d5)>
// CHECK-DAG: #[[PD:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d2, 0)>
// CHECK-LABEL: func.func @pools_channels_last
// CHECK: %[[PAD:.+]] = tensor.pad %{{.+}} low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK: linalg.generic {indexing_maps = [#[[PX]], #[[PK]], #[[PY]]], iterator_types = ["parallel", "parallel", "reduction", "reduction", "parallel", "parallel"]} ins(%[[PAD]], %{{.+}} : tensor<1x7x7x8xf32>, tensor<3x3xf32>) outs(%{{.+}} : tensor<1x3x3x8xf32>)
// CHECK: arith.maximumf
// CHECK: %[[SUM:.+]] = linalg.generic {indexing_maps = [#[[PX]], #[[PK]], #[[PY]]], {{.+}} ins(%{{.+}}, %{{.+}} : tensor<1x5x5x8xf32>, tensor<2x2xf32>) outs(%{{.+}} : tensor<1x2x2x8xf32>)
// CHECK: %[[COUNT:.+]] = arith.constant dense<4.000000e+00> : tensor<2x2x1xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[PD]], #{{.+}}], {{.+}} ins(%[[SUM]], %[[COUNT]] : tensor<1x2x2x8xf32>, tensor<2x2x1xf32>)
// CHECK: arith.divf
func.func @pools_channels_last(%x: tensor<1x5x5x8xf32>) -> (tensor<1x3x3x8xf32>, tensor<1x2x2x8xf32>) {
  %m = lathe.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, ceil_mode = false, channels_last} : (tensor<1x5x5x8xf32>) -> tensor<1x3x3x8xf32>
  %a = lathe.average_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false, channels_last} : (tensor<1x5x5x8xf32>) -> tensor<1x2x2x8xf32>
  return %m, %a : tensor<1x3x3x8xf32>, tensor<1x2x2x8xf32>
}

// -----

// Requantization: the i32 accumulator times its channel's multiplier,
// rounded half to even, plus the zero point, saturated to uint8.
// CHECK-LABEL: func.func @requantize
// CHECK: linalg.generic
// CHECK: ^bb0(%[[ACC:.+]]: i32, %[[M:.+]]: f32, %[[ZP:.+]]: i8, %{{.+}}: i8):
// CHECK: %[[F:.+]] = arith.sitofp %[[ACC]] : i32 to f32
// CHECK: %[[SCALED:.+]] = arith.mulf %[[F]], %[[M]] : f32
// CHECK: %[[ROUNDED:.+]] = math.roundeven %[[SCALED]] : f32
// CHECK: %[[Z:.+]] = arith.uitofp %[[ZP]] : i8 to f32
// CHECK: %[[SUM:.+]] = arith.addf %[[ROUNDED]], %[[Z]] : f32
// CHECK: arith.maximumf %[[SUM]], %{{.+}} : f32
// CHECK: arith.minimumf
// CHECK: arith.fptoui %{{.+}} : f32 to i8
func.func @requantize(%acc: tensor<2x3xi32>) -> tensor<2x3xui8> {
  %m = lathe.constant dense<[0.5, 0.25, 0.125]> : tensor<3xf32>
  %zp = lathe.constant dense<128> : tensor<ui8>
  %y = lathe.requantize %acc, %m, %zp {axis = 1 : i64} : (tensor<2x3xi32>, tensor<3xf32>, tensor<ui8>) -> tensor<2x3xui8>
  return %y : tensor<2x3xui8>
}

// -----

// Grouped-query attention with a causal offset: the row's key/value matrix
// is (batch / 4) * 2 + (batch % 4) / 2 of the six; scores of keys after
// query + 2 become the lowest float before the max.
// CHECK-LABEL: func.func @causal_grouped_attention
// CHECK: scf.forall (%[[BLOCK:[a-z0-9]+]]) in (36) {{.*}} -> (tensor<12x3x8xf32>)
// CHECK: %[[B:.+]] = arith.divui %[[BLOCK]], %{{.+}} : index
// CHECK: %[[R:.+]] = arith.remui %[[BLOCK]], %{{.+}} : index
// CHECK: %[[Q:.+]] = arith.muli %[[R]], %{{.+}} : index
// CHECK: %[[FOUR:.+]] = arith.constant 4 : index
// CHECK: %[[OUTER:.+]] = arith.divui %[[B]], %[[FOUR]]
// CHECK: %[[OUTER2:.+]] = arith.muli %[[OUTER]], %{{.+}}
// CHECK: %[[H:.+]] = arith.remui %[[B]], %[[FOUR]]
// CHECK: %[[INNER:.+]] = arith.divui %[[H]], %{{.+}}
// CHECK: %[[KV:.+]] = arith.addi %[[OUTER2]], %[[INNER]]
// CHECK: tensor.extract_slice %{{.+}}[%[[KV]], 0, 0] [1, 8, 5] [1, 1, 1] : tensor<6x8x5xf32> to tensor<8x5xf32>
// CHECK: %[[TWO:.+]] = arith.constant 2 : index
// CHECK: %[[FIRST:.+]] = arith.addi %[[Q]], %[[TWO]]
// CHECK: %[[ROW:.+]] = linalg.index 0
// CHECK: %[[LIMIT:.+]] = arith.addi %[[FIRST]], %[[ROW]]
// CHECK: linalg.index 1
// CHECK: arith.cmpi ule, %{{.+}}, %[[LIMIT]]
// CHECK: arith.select
// CHECK: arith.maximumf
func.func @causal_grouped_attention(%q: tensor<3x4x3x8xf32>, %k: tensor<3x2x5x8xf32>, %v: tensor<3x2x5x8xf32>) -> tensor<3x4x3x8xf32> {
  %0 = lathe.attention %q, %k, %v {scale = 0.5 : f32, causal_offset = 2 : i64} : (tensor<3x4x3x8xf32>, tensor<3x2x5x8xf32>, tensor<3x2x5x8xf32>) -> tensor<3x4x3x8xf32>
  return %0 : tensor<3x4x3x8xf32>
}

// -----

// The rotary embedding: each half of the output one elementwise kernel over
// views of x's halves (and cos's and sin's), inserted into the result.
// CHECK-LABEL: func.func @rotary_embedding
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x8xf32>, %[[COS:.+]]: tensor<3x8xf32>, %[[SIN:.+]]: tensor<3x8xf32>)
// CHECK-DAG: %[[X1:.+]] = tensor.extract_slice %[[X]][0, 0, 0] [2, 3, 4] [1, 1, 1]
// CHECK-DAG: %[[X2:.+]] = tensor.extract_slice %[[X]][0, 0, 4] [2, 3, 4] [1, 1, 1]
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[X1]], %[[X2]], %{{.+}}, %{{.+}} : tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>)
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: arith.subf
// CHECK: %[[LOW:.+]] = tensor.insert_slice %{{.+}} into %{{.+}}[0, 0, 0] [2, 3, 4] [1, 1, 1]
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[X2]], %[[X1]], %{{.+}}, %{{.+}} : tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>)
// CHECK: arith.addf
// CHECK: tensor.insert_slice %{{.+}} into %[[LOW]][0, 0, 4] [2, 3, 4] [1, 1, 1]
func.func @rotary_embedding(%x: tensor<2x3x8xf32>, %cos: tensor<3x8xf32>, %sin: tensor<3x8xf32>) -> tensor<2x3x8xf32> {
  %0 = lathe.rotary_embedding %x, %cos, %sin : (tensor<2x3x8xf32>, tensor<3x8xf32>, tensor<3x8xf32>) -> tensor<2x3x8xf32>
  return %0 : tensor<2x3x8xf32>
}

// -----

// An additive mask of (batch, 1, 1, S) over q's (batch, heads) rows: each
// row adds the mask row of its batch (batch index / heads % 2, times 1),
// before the max.
// CHECK-LABEL: func.func @masked_attention
// CHECK: scf.forall (%[[ROW:[a-z0-9]+]]) in (18)
// CHECK: %[[B:.+]] = arith.divui %[[ROW]], %{{.+}} : index
// CHECK: %[[OUTER:.+]] = arith.divui %[[B]], %{{.+}} : index
// CHECK: %[[INDEX:.+]] = arith.remui %[[OUTER]], %{{.+}} : index
// CHECK: %[[SCALED:.+]] = arith.muli %[[INDEX]], %{{.+}}
// CHECK: %[[MB:.+]] = arith.addi %{{.+}}, %[[SCALED]]
// CHECK: %[[MASK:.+]] = tensor.extract_slice %{{.+}}[%[[MB]], 0, 0] [1, 1, 5] [1, 1, 1] : tensor<2x1x5xf32> to tensor<1x5xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[MASK]] : tensor<1x5xf32>, tensor<1x5xf32>)
// CHECK: arith.addf
// CHECK: arith.maximumf
func.func @masked_attention(%q: tensor<2x3x3x8xf32>, %k: tensor<2x3x5x8xf32>, %v: tensor<2x3x5x8xf32>, %mask: tensor<2x1x1x5xf32>) -> tensor<2x3x3x8xf32> {
  %0 = lathe.attention %q, %k, %v, %mask {scale = 0.5 : f32} : (tensor<2x3x3x8xf32>, tensor<2x3x5x8xf32>, tensor<2x3x5x8xf32>, tensor<2x1x1x5xf32>) -> tensor<2x3x3x8xf32>
  return %0 : tensor<2x3x3x8xf32>
}

// -----

// A cache write: the update inserted at the run-time position, clamped so
// that it stays within the cache (128 - 3).
// CHECK-LABEL: func.func @cache_write
// CHECK-SAME: (%[[CACHE:.+]]: tensor<1x4x128x64xf32>, %[[NEW:.+]]: tensor<1x4x3x64xf32>, %[[POS:.+]]: tensor<1xi64>)
// CHECK: %[[P:.+]] = tensor.extract %[[POS]]
// CHECK-DAG: %[[LAST:.+]] = arith.constant 125 : i64
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0 : i64
// CHECK: %[[LOW:.+]] = arith.maxsi %[[P]], %[[ZERO]]
// CHECK: %[[CLAMPED:.+]] = arith.minsi %[[LOW]], %[[LAST]]
// CHECK: %[[AT:.+]] = arith.index_cast %[[CLAMPED]] : i64 to index
// CHECK: tensor.insert_slice %[[NEW]] into %[[CACHE]][0, 0, %[[AT]], 0] [1, 4, 3, 64] [1, 1, 1, 1]
func.func @cache_write(%cache: tensor<1x4x128x64xf32>, %new: tensor<1x4x3x64xf32>, %p: tensor<1xi64>) -> tensor<1x4x128x64xf32> {
  %0 = lathe.cache_write %cache, %new, %p {axis = 2 : i64} : (tensor<1x4x128x64xf32>, tensor<1x4x3x64xf32>, tensor<1xi64>) -> tensor<1x4x128x64xf32>
  return %0 : tensor<1x4x128x64xf32>
}

// -----

// Rows of 128 keys, two to a block: their scores in chunks of 32 keys, each
// row's chunk a vector carried in registers over all of D and every load of
// k's chunk serving both rows; each row's max and sum first into 16
// partial lanes (independent chains), then those into one. v's 8 filters
// are fewer than a chunk: the weighted sum is a generic.
// CHECK-LABEL: func.func @attention_long_rows
// CHECK: scf.forall (%{{.+}}) in (1)
// CHECK: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %{{.+}}) -> (tensor<2x128xf32>)
// CHECK: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (vector<32xf32>, vector<32xf32>)
// CHECK: vector.transfer_read {{.*}} : tensor<8x128xf32>, vector<32xf32>
// CHECK: tensor.extract
// CHECK: vector.broadcast
// CHECK: vector.fma
// CHECK: tensor.extract
// CHECK: vector.broadcast
// CHECK: vector.fma
// CHECK: vector.transfer_write
// CHECK: vector.transfer_write
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]{{.*}} ins({{.*}} : tensor<2x8x16xf32>) outs({{.*}} : tensor<2x16xf32>)
// CHECK: arith.maximumf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins({{.*}} : tensor<2x16xf32>) outs({{.*}} : tensor<2xf32>)
// CHECK: math.exp
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]{{.*}} ins({{.*}} : tensor<2x8x16xf32>) outs({{.*}} : tensor<2x16xf32>)
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel", "parallel"]{{.*}} ins({{.*}} : tensor<2x128xf32>, tensor<128x1x8xf32>)
func.func @attention_long_rows(%q: tensor<1x2x8xf32>, %k: tensor<1x128x8xf32>, %v: tensor<1x128x8xf32>) -> tensor<1x2x8xf32> {
  %0 = lathe.attention %q, %k, %v {scale = 0.5 : f32} : (tensor<1x2x8xf32>, tensor<1x128x8xf32>, tensor<1x128x8xf32>) -> tensor<1x2x8xf32>
  return %0 : tensor<1x2x8xf32>
}

// -----

// A float max over many trailing elements (DynamicQuantizeLinear's range of
// a tensor) goes through 16 lanes: the elements viewed as (count / 16, 16),
// reduced over the first dim with the lanes parallel and innermost (vector
// code), then the 16 lanes reduced.
// CHECK-LABEL: func.func @reduce_max_in_lanes
// CHECK-SAME: (%[[X:.+]]: tensor<4x32xf32>)
// CHECK: %[[C:.+]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1]] : tensor<4x32xf32> into tensor<128xf32>
// CHECK: %[[V:.+]] = tensor.expand_shape %[[C]] {{\[\[}}0, 1]] output_shape [8, 16] : tensor<128xf32> into tensor<8x16xf32>
// CHECK: %[[L:.+]] = linalg.generic {{.+}} iterator_types = ["reduction", "parallel"]} ins(%[[V]] : tensor<8x16xf32>) outs(%{{.+}} : tensor<16xf32>)
// CHECK: arith.maximumf
// CHECK: linalg.generic {{.+}} iterator_types = ["reduction"]} ins(%[[L]] : tensor<16xf32>) outs(%{{.+}} : tensor<f32>)
// CHECK: arith.maximumf
func.func @reduce_max_in_lanes(%x: tensor<4x32xf32>) -> tensor<f32> {
  %0 = lathe.reduce_max %x {axes = array<i64: 0, 1>, keepdims = false} : (tensor<4x32xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Too few elements for lanes (fewer than 64), or a leading dim reduced
// (not trailing), or a sum (its order would change the result): one
// reduction each.
// CHECK-LABEL: func.func @reduce_without_lanes
// CHECK-NOT: tensor<16xf32>
func.func @reduce_without_lanes(%x: tensor<2x16xf32>, %y: tensor<64x4xf32>, %z: tensor<4x32xf32>) -> (tensor<f32>, tensor<4xf32>, tensor<f32>) {
  %0 = lathe.reduce_min %x {axes = array<i64: 0, 1>, keepdims = false} : (tensor<2x16xf32>) -> tensor<f32>
  %1 = lathe.reduce_max %y {axes = array<i64: 0>, keepdims = false} : (tensor<64x4xf32>) -> tensor<4xf32>
  %2 = lathe.reduce_sum %z {axes = array<i64: 0, 1>, keepdims = false} : (tensor<4x32xf32>) -> tensor<f32>
  return %0, %1, %2 : tensor<f32>, tensor<4xf32>, tensor<f32>
}
