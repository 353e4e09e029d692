// RUN: %lathe-opt %s --split-input-file --lathe-count-kernels | FileCheck %s

// Each top-level loop nest of linalg on tensors is one kernel: linalg ops,
// a tiled group (scf.for), the copy a pad or an insertion makes. Constants
// and shape ops are not kernels.

// CHECK-LABEL: module attributes {lathe.kernel_nodes = {{.*}}, lathe.kernels = 3 : i64}
func.func @three(%x: tensor<4xf32>, %y: tensor<2xf32>) -> tensor<6xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %a = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                       iterator_types = ["parallel"]} ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %c0 : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  %p = tensor.pad %a low[0] high[2] {
  ^bb0(%i: index):
    tensor.yield %c0 : f32
  } : tensor<4xf32> to tensor<6xf32>
  %r = tensor.insert_slice %y into %p[4] [2] [1] : tensor<2xf32> into tensor<6xf32>
  return %r : tensor<6xf32>
}

// -----

// CHECK-LABEL: module attributes {lathe.kernel_nodes = {{.*}}, lathe.kernels = 0 : i64}
func.func @none(%x: tensor<4xf32>) -> tensor<2x2xf32> {
  %r = tensor.expand_shape %x [[0, 1]] output_shape [2, 2] : tensor<4xf32> into tensor<2x2xf32>
  return %r : tensor<2x2xf32>
}

// -----

// A kernel that wrote into the interior of a filled padded tensor
// (lathe-fuse-pads): the fill and the kernel are kernels, the insertion of
// its result where it already is is not.
// CHECK-LABEL: module attributes {lathe.kernel_nodes = {{.*}}, lathe.kernels = 2 : i64}
func.func @written_in_place(%x: tensor<4xf32>) -> tensor<6xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6xf32>
  %f = linalg.fill ins(%c0 : f32) outs(%e : tensor<6xf32>) -> tensor<6xf32>
  %s = tensor.extract_slice %f[1] [4] [1] : tensor<6xf32> to tensor<4xf32>
  %a = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                       iterator_types = ["parallel"]} ins(%x : tensor<4xf32>) outs(%s : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %c0 : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  %r = tensor.insert_slice %a into %f[1] [4] [1] : tensor<4xf32> into tensor<6xf32>
  return %r : tensor<6xf32>
}

// -----

// Each kernel is recorded for the compile report with the op that does its
// work and the ONNX nodes whose ops it computes (fused locations included).
// CHECK-LABEL: module attributes {lathe.kernel_nodes = {{\[}}["linalg.fill", "pad_1"], ["linalg.generic", "relu_1", "add_2"]], lathe.kernels = 2 : i64}
func.func @named(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<6xf32>) {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6xf32>
  %f = linalg.fill ins(%c0 : f32) outs(%e : tensor<6xf32>) -> tensor<6xf32> loc("pad_1")
  %e4 = tensor.empty() : tensor<4xf32>
  %a = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                       iterator_types = ["parallel"]} ins(%x : tensor<4xf32>) outs(%e4 : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %c0 : f32
    linalg.yield %m : f32
  } -> tensor<4xf32> loc(fused["relu_1", "add_2"])
  return %a, %f : tensor<4xf32>, tensor<6xf32>
}
