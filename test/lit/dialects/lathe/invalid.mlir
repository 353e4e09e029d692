// RUN: %lathe-opt %s --split-input-file --verify-diagnostics

func.func @broadcast_mismatch(%a: tensor<2x3xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  // expected-error @+2 {{operand shapes 2x3 and 4 are not broadcast-compatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @wrong_result_type(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x4xf32> {
  // expected-error @+2 {{'lathe.add' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<2x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @float_only(%a: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'lathe.exp' op operand #0 must be ranked tensor of floating-point values}}
  %0 = lathe.exp %a : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @conv_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+2 {{input channels 3 do not match weight 4x2x3x3 with group 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+2 {{bias must be a vector of 4 elements, got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

func.func @pool_window_too_big(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x1x1xf32> {
  // expected-error @+2 {{window of extent 3 does not fit in 2 plus padding}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false} : (tensor<1x1x2x2xf32>) -> tensor<1x1x1x1xf32>
  return %0 : tensor<1x1x1x1xf32>
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) -> tensor<7xf32> {
  // expected-error @+2 {{cannot reshape 2x3 (6 elements) to 7}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.reshape %x {shape = array<i64: 7>} : (tensor<2x3xf32>) -> tensor<7xf32>
  return %0 : tensor<7xf32>
}

// -----

func.func @transpose_perm(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+2 {{perm is not a permutation}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.transpose %x {perm = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @concat_dims(%a: tensor<2x3xf32>, %b: tensor<3x3xf32>) -> tensor<2x6xf32> {
  // expected-error @+2 {{concat operands differ in dim 0: 2x3 vs 3x3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @split_sizes(%x: tensor<6xf32>) -> tensor<2xf32> {
  // expected-error @+2 {{split sizes sum to 5, dim 0 is 6}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:2 = lathe.split %x {axis = 0 : i64, sizes = array<i64: 2, 3>} : (tensor<6xf32>) -> (tensor<2xf32>, tensor<3xf32>)
  return %0#0 : tensor<2xf32>
}

// -----

func.func @slice_bounds(%x: tensor<4xf32>) -> tensor<2xf32> {
  // expected-error @+2 {{slice bounds of dim 0 are not normalized}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.slice %x {starts = array<i64: 5>, ends = array<i64: 7>, steps = array<i64: 1>} : (tensor<4xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @reduce_axes(%x: tensor<2x3xf32>) -> tensor<2x1xf32> {
  // expected-error @+2 {{axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.reduce_sum %x {axes = array<i64: 2>} : (tensor<2x3xf32>) -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}

// -----

func.func @reduce_axes_order(%x: tensor<2x3xf32>) -> tensor<1x1xf32> {
  // expected-error @+2 {{axes must be sorted and unique}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.reduce_sum %x {axes = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}

// -----

func.func @matmul_contracting(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // expected-error @+2 {{contracting dims differ: 2x3 x 4x5}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @gemm_c(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %c: tensor<3xf32>) -> tensor<2x4xf32> {
  // expected-error @+2 {{c 3 does not broadcast to 2x4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.gemm %a, %b, %c {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<2x3xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @batch_norm_params(%x: tensor<1x3x4x4xf32>, %p: tensor<4xf32>) -> tensor<1x3x4x4xf32> {
  // expected-error @+2 {{scale, bias, mean and variance must be a vector of 3 elements, got 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.batch_norm %x, %p, %p, %p, %p {epsilon = 1.0e-5 : f32} : (tensor<1x3x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x3x4x4xf32>
  return %0 : tensor<1x3x4x4xf32>
}

// -----

func.func @pad_mode(%x: tensor<2xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{unknown pad mode 'mirror'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.pad %x {pads = array<i64: 1, 1>, mode = "mirror", value = 0.0 : f64} : (tensor<2xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @top_k_too_many(%x: tensor<3xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{k 4 exceeds dim 0 (3)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:2 = lathe.top_k %x {k = 4 : i64, axis = 0 : i64, largest = true, sorted = true} : (tensor<3xf32>) -> (tensor<4xf32>, tensor<4xi64>)
  return %0#0 : tensor<4xf32>
}

// -----

func.func @where_types(%c: tensor<2xi1>, %a: tensor<2xf32>, %b: tensor<2xi32>) -> tensor<2xf32> {
  // expected-error @+2 {{operands must share one element type, got 'f32' and 'i32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.where %c, %a, %b : (tensor<2xi1>, tensor<2xf32>, tensor<2xi32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @conv_nhwc_channels(%x: tensor<1x4x4x3xf32>, %w: tensor<1x1x2x8xf32>) -> tensor<1x4x4x8xf32> {
  // expected-error @+2 {{input channels 3 do not match channels-last weight 1x1x2x8 with group 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.conv_nhwc %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1} : (tensor<1x4x4x3xf32>, tensor<1x1x2x8xf32>) -> tensor<1x4x4x8xf32>
  return %0 : tensor<1x4x4x8xf32>
}

// -----

func.func @matmul_packed_panels(%a: tensor<2x5xf32>, %p: tensor<2x5x4xf32>) -> tensor<2x9xf32> {
  // expected-error @+2 {{panels 2x5x4 do not hold 9 columns of 5 rows for 2x5}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.matmul_packed %a, %p {columns = 9 : i64} : (tensor<2x5xf32>, tensor<2x5x4xf32>) -> tensor<2x9xf32>
  return %0 : tensor<2x9xf32>
}

// -----

func.func @conv_nhwc_packed_panels(%x: tensor<1x4x4x3xf32>, %w: tensor<1x1x1x3x4xf32>) -> tensor<1x4x4x6xf32> {
  // expected-error @+2 {{packed weight 1x1x1x3x4 does not hold 6 filters in panels (panels, kernel..., channels, tile), group 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.conv_nhwc %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1, filters = 6 : i64} : (tensor<1x4x4x3xf32>, tensor<1x1x1x3x4xf32>) -> tensor<1x4x4x6xf32>
  return %0 : tensor<1x4x4x6xf32>
}

// -----

func.func @winograd_input_tile(%x: tensor<1x8x8x4xf32>) -> tensor<25x9x4xf32> {
  // expected-error @+2 {{winograd_input: output tile 3 is not 2 or 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.winograd_input %x {output_tile = 3 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x4xf32>) -> tensor<25x9x4xf32>
  return %0 : tensor<25x9x4xf32>
}

// -----

func.func @winograd_output_tiles(%p: tensor<36x5x4xf32>) -> tensor<1x8x8x4xf32> {
  // expected-error @+2 {{winograd_output: 5 tiles are no whole number of 8x8 images}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.winograd_output %p {output_tile = 4 : i64, size = array<i64: 8, 8>} : (tensor<36x5x4xf32>) -> tensor<1x8x8x4xf32>
  return %0 : tensor<1x8x8x4xf32>
}

// -----

func.func @matmul_packed_batch(%a: tensor<3x2x5xf32>, %p: tensor<2x4x5x4xf32>) -> tensor<3x2x6xf32> {
  // expected-error @+2 {{matmul_packed takes (batch..., M, K) and (panels, K, tile), or (B, M, K) and (panels, B, K, tile), not 3x2x5 and 2x4x5x4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = lathe.matmul_packed %a, %p {columns = 6 : i64} : (tensor<3x2x5xf32>, tensor<2x4x5x4xf32>) -> tensor<3x2x6xf32>
  return %0 : tensor<3x2x6xf32>
}

// -----

func.func @requantize_multipliers(%acc: tensor<2x3xi32>, %m: tensor<2xf32>, %zp: tensor<ui8>) -> tensor<2x3xui8> {
  // expected-error @+2 {{per-axis multiplier}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = lathe.requantize %acc, %m, %zp {axis = 1 : i64} : (tensor<2x3xi32>, tensor<2xf32>, tensor<ui8>) -> tensor<2x3xui8>
  return %y : tensor<2x3xui8>
}

// -----

func.func @requantize_zero_points(%acc: tensor<2x3xi32>, %m: tensor<f32>, %zp: tensor<3xui8>) -> tensor<2x3xui8> {
  // expected-error @+2 {{the zero point must be a scalar}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = lathe.requantize %acc, %m, %zp {axis = 1 : i64} : (tensor<2x3xi32>, tensor<f32>, tensor<3xui8>) -> tensor<2x3xui8>
  return %y : tensor<2x3xui8>
}

// -----

func.func @cache_write_longer_than_the_cache(%cache: tensor<1x2x4x8xf32>, %new: tensor<1x2x5x8xf32>, %p: tensor<1xi64>) -> tensor<1x2x4x8xf32> {
  // expected-error @+2 {{cache_write: an update 1x2x5x8 does not fit the cache 1x2x4x8 along axis 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = lathe.cache_write %cache, %new, %p {axis = 2 : i64} : (tensor<1x2x4x8xf32>, tensor<1x2x5x8xf32>, tensor<1xi64>) -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}

// -----

func.func @cache_write_two_positions(%cache: tensor<1x2x4x8xf32>, %new: tensor<1x2x1x8xf32>, %p: tensor<2xi64>) -> tensor<1x2x4x8xf32> {
  // expected-error @+2 {{cache_write: the position is one element, not 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = lathe.cache_write %cache, %new, %p {axis = 2 : i64} : (tensor<1x2x4x8xf32>, tensor<1x2x1x8xf32>, tensor<2xi64>) -> tensor<1x2x4x8xf32>
  return %y : tensor<1x2x4x8xf32>
}
