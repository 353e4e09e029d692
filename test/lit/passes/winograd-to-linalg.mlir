// RUN: %lathe-opt %s --split-input-file --convert-lathe-to-linalg | FileCheck %s

// The input transform: the image padded to whole tiles (a 4x5 output takes
// 1x2 tiles, so 6x10 pixels), then B^T applied along the rows, read at
// 4 * th + i straight from the image, then along the columns, at 4 * tw + j
// of the first product. In both the channel loop runs around the short nest
// of a transform's six outputs and six terms, which is innermost. B^T is a
// global marked to stay in the code.
// CHECK-DAG: #[[ROW_B:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>
// CHECK-DAG: #[[ROW_X:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 * 4 + d5, d2, d3)>
// CHECK-DAG: #[[ROW_Y:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d0, d1, d2, d3)>
// CHECK-DAG: #[[COL_B:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d5, d6)>
// CHECK-DAG: #[[COL_X:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3 * 4 + d6, d4)>
// CHECK-DAG: #[[COL_Y:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d5, d1, d2, d3, d4)>
// CHECK: memref.global "private" constant @lathe_winograd_f4_bt : memref<6x6xf32> = dense<{{\[\[}}4.000000e+00, 0.000000e+00, -5.000000e+00, 0.000000e+00, 1.000000e+00, 0.000000e+00], {{.+}}> {lathe.code_table}
// CHECK-LABEL: func.func @input_tiles
// CHECK: %[[PAD:.+]] = tensor.pad %{{.+}} low[0, 0, 0, 0] high[0, 0, 3, 0]
// CHECK: tensor<1x6x7x3xf32> to tensor<1x6x10x3xf32>
// CHECK: %[[TABLE:.+]] = memref.get_global @lathe_winograd_f4_bt : memref<6x6xf32>
// CHECK: %[[BT:.+]] = bufferization.to_tensor %[[TABLE]] restrict
// CHECK: %[[ROWS:.+]] = linalg.generic {indexing_maps = [#[[ROW_B]], #[[ROW_X]], #[[ROW_Y]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[BT]], %[[PAD]] : tensor<6x6xf32>, tensor<1x6x10x3xf32>) outs(%{{.+}} : tensor<6x1x1x10x3xf32>)
// CHECK: arith.mulf %{{.+}}, %{{.+}} fastmath<nnan,nsz,contract>
// CHECK: %[[TILES:.+]] = linalg.generic {indexing_maps = [#[[COL_B]], #[[COL_X]], #[[COL_Y]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[BT]], %[[ROWS]] : tensor<6x6xf32>, tensor<6x1x1x10x3xf32>) outs(%{{.+}} : tensor<6x6x1x1x2x3xf32>)
// CHECK: %[[FLAT:.+]] = tensor.collapse_shape %[[TILES]]
// CHECK: tensor.expand_shape %[[FLAT]] {{.+}} into tensor<36x2x3xf32>
func.func @input_tiles(%x: tensor<1x6x7x3xf32>) -> tensor<36x2x3xf32> {
  %0 = lathe.winograd_input %x {output_tile = 4 : i64, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x6x7x3xf32>) -> tensor<36x2x3xf32>
  return %0 : tensor<36x2x3xf32>
}

// -----

// The output transform: A^T along the first tile dim, then along the
// second into (N, TH, 4, TW, 4, M) initialized with the bias, which is the
// image rounded up to whole tiles; the 5x5 output is its corner.
// CHECK-DAG: #[[A:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d5, d6)>
// CHECK-DAG: #[[FIRST_M:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d6, d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[FIRST_Y:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d5, d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[SECOND_M:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d2, d6, d0, d1, d3, d4)>
// CHECK-DAG: #[[SECOND_Y:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3, d5, d4)>
// CHECK: memref.global "private" constant @lathe_winograd_f4_at : memref<4x6xf32> = dense<{{\[\[}}1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 0.000000e+00], {{.+}}> {lathe.code_table}
// CHECK-LABEL: func.func @output_tiles
// CHECK-SAME: (%[[P:.+]]: tensor<36x4x2xf32>, %[[B:.+]]: tensor<2xf32>)
// CHECK: %[[AT:.+]] = bufferization.to_tensor %{{.+}} restrict : memref<4x6xf32> to tensor<4x6xf32>
// CHECK: %[[COLS:.+]] = linalg.generic {indexing_maps = [#[[A]], #[[FIRST_M]], #[[FIRST_Y]]], {{.+}} ins(%[[AT]], %{{.+}} : tensor<4x6xf32>, tensor<6x6x1x2x2x2xf32>) outs(%{{.+}} : tensor<4x6x1x2x2x2xf32>)
// CHECK: %[[INIT:.+]] = linalg.generic {{.+}} ins(%[[B]] : tensor<2xf32>) outs(%{{.+}} : tensor<1x2x4x2x4x2xf32>)
// CHECK: %[[TILED:.+]] = linalg.generic {indexing_maps = [#[[A]], #[[SECOND_M]], #[[SECOND_Y]]], {{.+}} ins(%[[AT]], %[[COLS]] : tensor<4x6xf32>, tensor<4x6x1x2x2x2xf32>) outs(%[[INIT]] : tensor<1x2x4x2x4x2xf32>)
// CHECK: %[[FLAT:.+]] = tensor.collapse_shape %[[TILED]]
// CHECK: %[[IMAGE:.+]] = tensor.expand_shape %[[FLAT]] {{.+}} into tensor<1x8x8x2xf32>
// CHECK: %[[CUT:.+]] = tensor.extract_slice %[[IMAGE]][0, 0, 0, 0] [1, 5, 5, 2] [1, 1, 1, 1]
// CHECK: return %[[CUT]]
func.func @output_tiles(%p: tensor<36x4x2xf32>, %b: tensor<2xf32>) -> tensor<1x5x5x2xf32> {
  %0 = lathe.winograd_output %p, %b {output_tile = 4 : i64, size = array<i64: 5, 5>} : (tensor<36x4x2xf32>, tensor<2xf32>) -> tensor<1x5x5x2xf32>
  return %0 : tensor<1x5x5x2xf32>
}

// -----

// F(2x2): 4x4 tiles at a step of 2, B^T 4x4 and A^T 2x4; a 3x3 output
// takes 2x2 tiles, so the image is padded to 6x6 and the output cut from 4x4.
// CHECK: memref.global "private" constant @lathe_winograd_f2_at : memref<2x4xf32> = dense<{{\[\[}}1.000000e+00, 1.000000e+00, 1.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00, -1.000000e+00, -1.000000e+00]]> {lathe.code_table}
// CHECK: memref.global "private" constant @lathe_winograd_f2_bt : memref<4x4xf32> = dense<{{\[\[}}1.000000e+00, 0.000000e+00, -1.000000e+00, 0.000000e+00], {{.+}}> {lathe.code_table}
// CHECK-LABEL: func.func @f2
// CHECK: tensor.pad %{{.+}} low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK: linalg.generic {{.+}} outs(%{{.+}} : tensor<4x1x2x6x8xf32>)
// CHECK: linalg.generic {{.+}} outs(%{{.+}} : tensor<4x4x1x2x2x8xf32>)
// CHECK: tensor.expand_shape {{.+}} into tensor<16x4x8xf32>
// CHECK: linalg.generic {{.+}} outs(%{{.+}} : tensor<2x4x1x2x2x8xf32>)
// CHECK: linalg.generic {{.+}} outs(%{{.+}} : tensor<1x2x2x2x2x8xf32>)
// CHECK: tensor.extract_slice %{{.+}}[0, 0, 0, 0] [1, 3, 3, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> to tensor<1x3x3x8xf32>
func.func @f2(%x: tensor<1x4x4x8xf32>, %p: tensor<16x4x8xf32>) -> (tensor<16x4x8xf32>, tensor<1x3x3x8xf32>) {
  %0 = lathe.winograd_input %x {output_tile = 2 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x4x8xf32>) -> tensor<16x4x8xf32>
  %1 = lathe.winograd_output %p {output_tile = 2 : i64, size = array<i64: 3, 3>} : (tensor<16x4x8xf32>) -> tensor<1x3x3x8xf32>
  return %0, %1 : tensor<16x4x8xf32>, tensor<1x3x3x8xf32>
}
