// RUN: %lathe-opt %s --split-input-file --pass-pipeline='builtin.module(convert-lathe-to-linalg,func.func(canonicalize,lathe-form-kernels,canonicalize))' | FileCheck %s

// A convolution, its zero fill and its activation become one loop nest over
// (n, c) (the unit n loop folds away): each iteration computes one output
// channel (the output dims after the reductions stay whole) and applies the
// relu to it. The iterations are independent: an scf.forall.
// CHECK-LABEL: func.func @conv_relu
// CHECK-NOT: linalg.
// CHECK: scf.forall (%{{.+}}) in (4) shared_outs
// CHECK-NOT: scf.for %
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}}"reduction"
// CHECK: arith.maximumf
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: return
func.func @conv_relu(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %0 = lathe.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  %1 = lathe.relu %0 : tensor<1x4x6x6xf32>
  return %1 : tensor<1x4x6x6xf32>
}

// -----

// The convolution's result is also returned: it is not fused into the relu
// (that would compute it twice); it still becomes a kernel with its fill,
// and the relu stays a kernel of its own, tiled alone into rows (its outer
// dims, one index at a time, until there are enough tiles for threads).
// CHECK-LABEL: func.func @conv_second_user
// CHECK: %[[CONV:.+]] = scf.forall (%{{.+}}) in (4)
// CHECK: linalg.fill
// CHECK: "reduction"
// CHECK: %[[RELU:.+]] = scf.forall (%[[C:.+]], %[[H:.+]]) in (4, 6)
// CHECK: tensor.extract_slice %[[CONV]][0, %[[C]], %[[H]], 0] [1, 1, 1, 6]
// CHECK: arith.maximumf
// CHECK: return %[[RELU]], %[[CONV]]
func.func @conv_second_user(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) {
  %0 = lathe.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  %1 = lathe.relu %0 : tensor<1x4x6x6xf32>
  return %1, %0 : tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>
}

// -----

// A reduction read through a broadcast (a channel sum scaling every pixel)
// is not fused into the pixel kernel: each tile would recompute the sum. The
// sum becomes a kernel of its own with its fill, looping over channels (its
// innermost loop is a reduction, so the channel dim is tiled). The pixel
// kernel is tiled alone into rows, each reading its channel's sum.
// CHECK-LABEL: func.func @broadcast_read
// CHECK: %[[SUM:.+]] = scf.forall (%{{.+}}) in (4)
// CHECK: linalg.fill
// CHECK: "reduction"
// CHECK: %[[SUM_4D:.+]] = tensor.expand_shape %[[SUM]]
// CHECK: scf.forall (%[[C:.+]], %{{.+}}) in (4, 8)
// CHECK: tensor.extract_slice %[[SUM_4D]][0, %[[C]], 0, 0] [1, 1, 1, 1]
// CHECK: arith.mulf
func.func @broadcast_read(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %0 = lathe.reduce_sum %x {axes = array<i64: 2, 3>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x1x1xf32>
  %1 = lathe.mul %x, %0 : (tensor<1x4x8x8xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  return %1 : tensor<1x4x8x8xf32>
}

// -----

// A matmul over packed panels and its relu: a tile is one panel (8
// columns) wide and a block of rows high; 2048-deep rows of a take 8 KiB,
// so the block is one register tile, of 5 rows (20 = 4 x 5, where tiles of
// the 6 rows the registers hold would leave 2 rows alone). The last panel
// is narrower (30 = 3 x 8 + 6 columns); each tile reads one panel.
// CHECK-DAG: #[[COLS:.+]] = affine_map<(d0) -> (-d0 + 30, 8)>
// CHECK-LABEL: func.func @packed_matmul_relu
// CHECK-SAME: (%[[A:.+]]: tensor<20x2048xf32>, %[[P:.+]]: tensor<4x2048x8xf32>)
// CHECK: scf.forall (%[[M:.+]], %[[N:.+]]) = (0, 0) to (20, 30) step (5, 8)
// CHECK: affine.min #[[COLS]](%[[N]])
// CHECK: tensor.extract_slice %[[A]][%[[M]], 0] [5, 2048]
// CHECK: tensor.extract_slice %[[P]][%{{.+}}, 0, %{{.+}}] [%{{.+}}, 2048, %{{.+}}]
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}}"reduction"
// CHECK: arith.maximumf
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @packed_matmul_relu(%a: tensor<20x2048xf32>, %p: tensor<4x2048x8xf32>) -> tensor<20x30xf32> {
  %0 = lathe.matmul_packed %a, %p {columns = 30 : i64} : (tensor<20x2048xf32>, tensor<4x2048x8xf32>) -> tensor<20x30xf32>
  %1 = lathe.relu %0 : tensor<20x30xf32>
  return %1 : tensor<20x30xf32>
}

// -----

// An 8-bit contraction over panels is tiled by rows only (here 13 rows, a
// prime: one row per tile, static for the dot-product kernel) with its
// epilogue; the panels, read at k mod 4 and n mod 32, stay whole in every
// tile (tiling would slice them as if k spanned a single byte).
// CHECK-LABEL: func.func @integer_panels_by_rows
// CHECK-SAME: (%[[A:[a-z0-9]+]]: tensor<2x13x37xi8>, %[[P:[a-z0-9]+]]: tensor<2x10x32x4xi8>
// CHECK: scf.forall (%[[B:.+]], %[[M:.+]]) in (2, 13)
// CHECK: %[[ROW:.+]] = tensor.extract_slice %[[A]][%[[B]], %[[M]], 0] [1, 1, 37]
// CHECK: %[[RAW:.+]] = linalg.generic {{.*}} ins(%[[ROW]], %[[P]] : tensor<1x1x37xi8>, tensor<2x10x32x4xi8>) outs(%{{.+}} : tensor<1x1x64xi32>)
// CHECK: linalg.generic {{.*}} ins(%[[RAW]], %{{.+}} : tensor<1x1x64xi32>, tensor<64xi32>)
// CHECK-NOT: linalg.generic
func.func @integer_panels_by_rows(%a: tensor<2x13x37xui8>, %p: tensor<2x10x32x4xi8>, %c: tensor<64xi32>) -> tensor<2x13x64xi32> {
  %0 = lathe.matmul_integer_packed %a, %p {columns = 64 : i64} : (tensor<2x13x37xui8>, tensor<2x10x32x4xi8>) -> tensor<2x13x64xi32>
  %1 = lathe.sub %0, %c : (tensor<2x13x64xi32>, tensor<64xi32>) -> tensor<2x13x64xi32>
  return %1 : tensor<2x13x64xi32>
}

// -----

// A global pool over a channels-last image: the channels stay innermost
// (the loop after the reductions), but with one image they are the only
// parallel loop, so they are split for tiles to exist, in chunks of 32
// contiguous channels (each still vectorizes along them), not one channel
// at a time (strided reads).
// CHECK-LABEL: func.func @global_pool_channels_last
// CHECK: scf.forall (%[[C:.+]]) = (0) to (64) step (32)
// CHECK: tensor.extract_slice %{{.+}}[0, 0, 0, %[[C]]] [1, 8, 8, 32]
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}}"reduction"
func.func @global_pool_channels_last(%x: tensor<1x8x8x64xf32>) -> tensor<1x1x1x64xf32> {
  %0 = lathe.reduce_sum %x {axes = array<i64: 1, 2>} : (tensor<1x8x8x64xf32>) -> tensor<1x1x1x64xf32>
  return %0 : tensor<1x1x1x64xf32>
}

// -----

// A Winograd input transform: each product's short nest (6 outputs of 6
// terms) is innermost, inside the channel loop. Tiles keep the channels and
// the nest whole (the nest is unrolled later): the row transform is tiled
// over (th, w), each tile reading a 6-row window of 32 channels and writing
// its 6 outputs; the column transform over (a, th, tw).
// CHECK-LABEL: func.func @winograd_input_tiles
// CHECK: scf.forall (%{{.+}}, %{{.+}}) in (2, 10)
// CHECK: tensor.extract_slice %{{.+}} [1, 6, 1, 32] [1, 1, 1, 1] : tensor<1x10x10x32xf32> to tensor<1x6x1x32xf32>
// CHECK: linalg.generic {{.+}} outs(%{{.+}} : tensor<6x1x1x1x32xf32>)
// CHECK: scf.forall (%{{.+}}, %{{.+}}, %{{.+}}) in (6, 2, 2)
// CHECK: linalg.generic {{.+}} ins(%{{.+}}, %{{.+}} : tensor<6x6xf32>, tensor<1x1x1x6x32xf32>) outs(%{{.+}} : tensor<1x6x1x1x1x32xf32>)
func.func @winograd_input_tiles(%x: tensor<1x8x8x32xf32>) -> tensor<36x4x32xf32> {
  %0 = lathe.winograd_input %x {output_tile = 4 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x32xf32>) -> tensor<36x4x32xf32>
  return %0 : tensor<36x4x32xf32>
}
