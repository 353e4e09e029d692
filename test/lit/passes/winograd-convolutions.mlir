// RUN: %lathe-opt %s --split-input-file --lathe-winograd-convolutions | FileCheck %s
// RUN: %lathe-opt %s --split-input-file --lathe-winograd-convolutions=min-channels=1 | FileCheck %s --check-prefix=ONE

// A 3x3 convolution at stride 1 with 16 channels in and out over a 16x16
// image: F(4x4), a 4x4 grid of 6x6 tiles, whose 36 transformed planes are
// multiplied by the filters transformed at compile time (36, C, M), and the
// products are transformed back to the 16x16 image with the bias.
// CHECK-LABEL: func.func @three_by_three
// CHECK-SAME: (%[[X:.+]]: tensor<1x16x16x16xf32>, %[[B:.+]]: tensor<16xf32>)
// CHECK: %[[U:.+]] = lathe.constant dense_resource<{{.+}}> : tensor<36x16x16xf32>
// CHECK: %[[T:.+]] = lathe.winograd_input %[[X]] {output_tile = 4 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x16x16x16xf32>) -> tensor<36x16x16xf32>
// CHECK: %[[P:.+]] = lathe.matmul %[[T]], %[[U]] : (tensor<36x16x16xf32>, tensor<36x16x16xf32>) -> tensor<36x16x16xf32>
// CHECK: %[[Y:.+]] = lathe.winograd_output %[[P]], %[[B]] {output_tile = 4 : i64, size = array<i64: 16, 16>} : (tensor<36x16x16xf32>, tensor<16xf32>) -> tensor<1x16x16x16xf32>
// CHECK: return %[[Y]]
func.func @three_by_three(%x: tensor<1x16x16x16xf32>, %b: tensor<16xf32>) -> tensor<1x16x16x16xf32> {
  %w = lathe.constant dense<0.5> : tensor<3x3x16x16xf32>
  %y = lathe.conv_nhwc %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x16x16x16xf32>, tensor<3x3x16x16xf32>, tensor<16xf32>) -> tensor<1x16x16x16xf32>
  return %y : tensor<1x16x16x16xf32>
}

// -----

// An 8x8 image would make only 4 tiles of F(4x4), each transformed filter
// streamed for 4 tiles: F(2x2) makes 16 tiles of 4x4 and 16 transformed
// filters per channel pair.
// CHECK-LABEL: func.func @small_image
// CHECK: lathe.winograd_input %{{.+}} {output_tile = 2 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x16xf32>) -> tensor<16x16x16xf32>
// CHECK: lathe.matmul %{{.+}}, %{{.+}} : (tensor<16x16x16xf32>, tensor<16x16x16xf32>) -> tensor<16x16x16xf32>
// CHECK: lathe.winograd_output %{{.+}} {output_tile = 2 : i64, size = array<i64: 8, 8>}
func.func @small_image(%x: tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32> {
  %w = lathe.constant dense<0.5> : tensor<3x3x16x16xf32>
  %y = lathe.conv_nhwc %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x8x8x16xf32>, tensor<3x3x16x16xf32>) -> tensor<1x8x8x16xf32>
  return %y : tensor<1x8x8x16xf32>
}

// -----

// The filter transform of g = [[0, 1, 2], [3, 4, 5], [6, 7, 8]] (one
// channel, one filter) in F(4x4), G g G^T: its first row begins 0, -1/8;
// a 10x18 image without padding has an 8x16 output, 2x4 tiles.
// ONE-LABEL: func.func @filter_transform
// ONE: %[[U:.+]] = lathe.constant dense<{{\[\[\[}}0.000000e+00]], {{\[\[}}-1.250000e-01]], {{.+}} : tensor<36x1x1xf32>
// ONE: %[[T:.+]] = lathe.winograd_input %{{.+}} {output_tile = 4 : i64, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x10x18x1xf32>) -> tensor<36x8x1xf32>
// ONE: %[[P:.+]] = lathe.matmul %[[T]], %[[U]]
// ONE: lathe.winograd_output %[[P]] {output_tile = 4 : i64, size = array<i64: 8, 16>} : (tensor<36x8x1xf32>) -> tensor<1x8x16x1xf32>
// In F(2x2) a 4x5 output is 2x3 tiles and G's rows (1, 0, 0) and
// (1/2, 1/2, 1/2) make the first row of the transform begin 0, 3/2.
// ONE-LABEL: func.func @filter_transform_small
// ONE: lathe.constant dense<{{\[\[\[}}0.000000e+00]], {{\[\[}}1.500000e+00]], {{.+}} : tensor<16x1x1xf32>
// ONE: lathe.winograd_input %{{.+}} {output_tile = 2 : i64, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x6x7x1xf32>) -> tensor<16x6x1xf32>
func.func @filter_transform(%x: tensor<1x10x18x1xf32>) -> tensor<1x8x16x1xf32> {
  %w = lathe.constant dense<[[[[0.0]], [[1.0]], [[2.0]]], [[[3.0]], [[4.0]], [[5.0]]], [[[6.0]], [[7.0]], [[8.0]]]]> : tensor<3x3x1x1xf32>
  %y = lathe.conv_nhwc %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x10x18x1xf32>, tensor<3x3x1x1xf32>) -> tensor<1x8x16x1xf32>
  return %y : tensor<1x8x16x1xf32>
}
func.func @filter_transform_small(%x: tensor<1x6x7x1xf32>) -> tensor<1x4x5x1xf32> {
  %w = lathe.constant dense<[[[[0.0]], [[1.0]], [[2.0]]], [[[3.0]], [[4.0]], [[5.0]]], [[[6.0]], [[7.0]], [[8.0]]]]> : tensor<3x3x1x1xf32>
  %y = lathe.conv_nhwc %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x6x7x1xf32>, tensor<3x3x1x1xf32>) -> tensor<1x4x5x1xf32>
  return %y : tensor<1x4x5x1xf32>
}

// -----

// Kept direct: a strided, a dilated, a 5x5, a depthwise convolution, one
// with too few channels for the default threshold, one with runtime weights
// and one whose output is smaller than a tile.
// CHECK-LABEL: func.func @kept
// CHECK-NOT: lathe.winograd_input
// CHECK-COUNT-7: lathe.conv_nhwc
// CHECK-NOT: lathe.winograd_input
func.func @kept(%x: tensor<1x8x8x16xf32>, %wr: tensor<3x3x16x16xf32>, %small: tensor<1x5x5x16xf32>) -> (tensor<1x4x4x16xf32>, tensor<1x4x4x16xf32>, tensor<1x8x8x16xf32>, tensor<1x8x8x16xf32>, tensor<1x8x8x8xf32>, tensor<1x8x8x16xf32>, tensor<1x3x3x16xf32>) {
  %w = lathe.constant dense<0.5> : tensor<3x3x16x16xf32>
  %w5 = lathe.constant dense<0.5> : tensor<5x5x16x16xf32>
  %wd = lathe.constant dense<0.5> : tensor<3x3x1x16xf32>
  %w8 = lathe.constant dense<0.5> : tensor<3x3x16x8xf32>
  %s = lathe.conv_nhwc %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x8x8x16xf32>, tensor<3x3x16x16xf32>) -> tensor<1x4x4x16xf32>
  %d = lathe.conv_nhwc %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x8x8x16xf32>, tensor<3x3x16x16xf32>) -> tensor<1x4x4x16xf32>
  %f = lathe.conv_nhwc %x, %w5 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 2, 2, 2, 2>, group = 1} : (tensor<1x8x8x16xf32>, tensor<5x5x16x16xf32>) -> tensor<1x8x8x16xf32>
  %g = lathe.conv_nhwc %x, %wd {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 16} : (tensor<1x8x8x16xf32>, tensor<3x3x1x16xf32>) -> tensor<1x8x8x16xf32>
  %n = lathe.conv_nhwc %x, %w8 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x8x8x16xf32>, tensor<3x3x16x8xf32>) -> tensor<1x8x8x8xf32>
  %r = lathe.conv_nhwc %x, %wr {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1} : (tensor<1x8x8x16xf32>, tensor<3x3x16x16xf32>) -> tensor<1x8x8x16xf32>
  %t = lathe.conv_nhwc %small, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x5x5x16xf32>, tensor<3x3x16x16xf32>) -> tensor<1x3x3x16xf32>
  return %s, %d, %f, %g, %n, %r, %t : tensor<1x4x4x16xf32>, tensor<1x4x4x16xf32>, tensor<1x8x8x16xf32>, tensor<1x8x8x16xf32>, tensor<1x8x8x8xf32>, tensor<1x8x8x16xf32>, tensor<1x3x3x16xf32>
}
