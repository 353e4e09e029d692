// RUN: %lathe-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(lathe-vectorize-panel-contractions{register-rows=3 vector-width=8}))' | FileCheck %s
// RUN: %lathe-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(lathe-vectorize-panel-contractions{register-rows=3}))' | FileCheck %s --check-prefix=OFF

// A depthwise 3x3 convolution's row (loops n, oh, kh, kw, ow, c, as the
// channels-last lowering writes it): channels are the tile's columns, 8 at
// a time (20 = 2 x 8 + 4 under a mask), 3 output pixels per register tile
// (7 = 2 x 3 + 1 left over). Each step loads one weight vector and one
// input vector per pixel, at stride 2.
// CHECK-LABEL: func.func @depthwise
// CHECK-NOT: linalg.generic
// CHECK: scf.for %[[C:.+]] = %{{.+}} to %{{.+}} step %c8
// CHECK: scf.if
// CHECK-COUNT-3: vector.load %{{.+}} : memref<1x1x7x20xf32>, vector<8xf32>
// CHECK: scf.for %[[KH:.+]] = {{.+}} iter_args
// CHECK: scf.for %[[KW:.+]] = {{.+}} iter_args
// CHECK: %[[W:.+]] = vector.load %{{.+}}[%[[KH]], %[[KW]], %{{.+}}, %[[C]]] : memref<3x3x1x20xf32>, vector<8xf32>
// CHECK: %[[X:.+]] = vector.load %{{.+}} : memref<1x3x15x20xf32>, vector<8xf32>
// CHECK: vector.fma %[[X]], %[[W]], %{{.+}} : vector<8xf32>
// CHECK: } else {
// CHECK: vector.create_mask
// CHECK: vector.maskedload
// CHECK: vector.maskedstore
// OFF-LABEL: func.func @depthwise
// OFF: linalg.generic
#x = affine_map<(n, oh, kh, kw, ow, c) -> (n, oh + kh, ow * 2 + kw, c)>
#w = affine_map<(n, oh, kh, kw, ow, c) -> (kh, kw, 0, c)>
#y = affine_map<(n, oh, kh, kw, ow, c) -> (n, oh, ow, c)>
func.func @depthwise(%x: memref<1x3x15x20xf32>, %w: memref<3x3x1x20xf32>, %y: memref<1x1x7x20xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #y],
                  iterator_types = ["parallel", "parallel", "reduction", "reduction", "parallel", "parallel"]}
      ins(%x, %w : memref<1x3x15x20xf32>, memref<3x3x1x20xf32>) outs(%y : memref<1x1x7x20xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The channel is not the innermost result of the input (a transposed read):
// no vector load along it, so the op is left alone.
// CHECK-LABEL: func.func @channel_not_innermost
// CHECK: linalg.generic
#xt = affine_map<(n, oh, kh, kw, ow, c) -> (n, oh + kh, c, ow + kw)>
#wt = affine_map<(n, oh, kh, kw, ow, c) -> (kh, kw, 0, c)>
#yt = affine_map<(n, oh, kh, kw, ow, c) -> (n, oh, ow, c)>
func.func @channel_not_innermost(%x: memref<1x3x20x9xf32>, %w: memref<3x3x1x20xf32>, %y: memref<1x1x7x20xf32>) {
  linalg.generic {indexing_maps = [#xt, #wt, #yt],
                  iterator_types = ["parallel", "parallel", "reduction", "reduction", "parallel", "parallel"]}
      ins(%x, %w : memref<1x3x20x9xf32>, memref<3x3x1x20xf32>) outs(%y : memref<1x1x7x20xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}
