// RUN: %lathe-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(lathe-fuse-pads))' | FileCheck %s

// The kernel's tiles go straight into the interior of the zero-filled
// padded tensor; the pad becomes the insertion of its result where it
// already is.
// CHECK-LABEL: func.func @relu_then_pad
// CHECK-SAME: (%[[X:.+]]: tensor<1x8x8x4xf32>)
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[EMPTY:.+]] = tensor.empty() : tensor<1x10x10x4xf32>
// CHECK: %[[FILLED:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<1x10x10x4xf32>)
// CHECK: %[[INTERIOR:.+]] = tensor.extract_slice %[[FILLED]][0, 1, 1, 0] [1, 8, 8, 4] [1, 1, 1, 1]
// CHECK: %[[R:.+]] = scf.forall (%{{.+}}) in (8) shared_outs(%{{.+}} = %[[INTERIOR]])
// CHECK: %[[P:.+]] = tensor.insert_slice %[[R]] into %[[FILLED]][0, 1, 1, 0] [1, 8, 8, 4] [1, 1, 1, 1]
// CHECK: return %[[P]]
func.func @relu_then_pad(%x: tensor<1x8x8x4xf32>) -> tensor<1x10x10x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x8x4xf32>
  %r = scf.forall (%i) in (8) shared_outs(%o = %e) -> (tensor<1x8x8x4xf32>) {
    %in = tensor.extract_slice %x[0, %i, 0, 0] [1, 1, 8, 4] [1, 1, 1, 1] : tensor<1x8x8x4xf32> to tensor<1x1x8x4xf32>
    %out = tensor.extract_slice %o[0, %i, 0, 0] [1, 1, 8, 4] [1, 1, 1, 1] : tensor<1x8x8x4xf32> to tensor<1x1x8x4xf32>
    %t = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>],
                         iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%in : tensor<1x1x8x4xf32>) outs(%out : tensor<1x1x8x4xf32>) {
    ^bb0(%v: f32, %unused: f32):
      %m = arith.maximumf %v, %zero : f32
      linalg.yield %m : f32
    } -> tensor<1x1x8x4xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %t into %o[0, %i, 0, 0] [1, 1, 8, 4] [1, 1, 1, 1] : tensor<1x1x8x4xf32> into tensor<1x8x8x4xf32>
    }
  }
  %p = tensor.pad %r low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x8x8x4xf32> to tensor<1x10x10x4xf32>
  return %p : tensor<1x10x10x4xf32>
}

// -----

// The kernel's result is also returned (a residual branch reads it): it
// keeps its own tensor, and the pad stays.
// CHECK-LABEL: func.func @read_elsewhere
// CHECK: tensor.pad
func.func @read_elsewhere(%x: tensor<8x4xf32>) -> (tensor<8x4xf32>, tensor<10x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a, b)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x4xf32>) outs(%e : tensor<8x4xf32>) {
  ^bb0(%v: f32, %unused: f32):
    %m = arith.maximumf %v, %zero : f32
    linalg.yield %m : f32
  } -> tensor<8x4xf32>
  %p = tensor.pad %r low[1, 0] high[1, 0] {
  ^bb0(%a: index, %b: index):
    tensor.yield %zero : f32
  } : tensor<8x4xf32> to tensor<10x4xf32>
  return %r, %p : tensor<8x4xf32>, tensor<10x4xf32>
}

// -----

// A pad of a graph input has no kernel to write into it.
// CHECK-LABEL: func.func @input
// CHECK: tensor.pad
func.func @input(%x: tensor<8x4xf32>) -> tensor<10x4xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[1, 0] high[1, 0] {
  ^bb0(%a: index, %b: index):
    tensor.yield %zero : f32
  } : tensor<8x4xf32> to tensor<10x4xf32>
  return %p : tensor<10x4xf32>
}
