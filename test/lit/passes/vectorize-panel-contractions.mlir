// RUN: %lathe-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(lathe-vectorize-panel-contractions{register-rows=3}))' | FileCheck %s

#a = affine_map<(m, k, n) -> (m, k)>
#p = affine_map<(m, k, n) -> (n floordiv 4, k, n mod 4)>
#y = affine_map<(m, k, n) -> (m, n)>

// 8 rows of 6 columns from panels of 4: per panel, two register tiles of 3
// rows then 2 single rows; the second panel (2 columns) under a mask. In a
// tile, the accumulators are loaded once, carried through the k loop (one
// panel row load, one broadcast and fma per row) and stored once.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.+]]: memref<8x5xf32>, %[[P:.+]]: memref<2x5x4xf32>, %[[Y:.+]]: memref<8x6xf32>)
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG: %[[C4:.+]] = arith.constant 4 : index
// CHECK-DAG: %[[C6:.+]] = arith.constant 6 : index
// CHECK: scf.for %[[N:.+]] = %[[C0]] to %[[C6]] step %[[C4]]
// CHECK: %[[LEFT:.+]] = arith.subi %[[C6]], %[[N]]
// CHECK: %[[WIDTH:.+]] = arith.minsi %[[LEFT]], %[[C4]]
// CHECK: %[[WHOLE:.+]] = arith.cmpi eq, %[[WIDTH]], %[[C4]]
// CHECK: scf.if %[[WHOLE]]
// CHECK: scf.for %[[M:.+]] = %[[C0]] to %{{.+}} step %{{.+}}
// CHECK-COUNT-3: vector.load %[[Y]]{{.*}} : memref<8x6xf32>, vector<4xf32>
// CHECK: %[[ACC:.+]]:3 = scf.for %[[K:.+]] = {{.*}} iter_args(%[[A0:.+]] = %{{.+}}, %[[A1:.+]] = %{{.+}}, %[[A2:.+]] = %{{.+}})
// CHECK: %[[ROW:.+]] = vector.load %[[P]][%{{.+}}, %[[K]], %{{.+}}] : memref<2x5x4xf32>, vector<4xf32>
// CHECK: %[[E0:.+]] = memref.load %[[A]]
// CHECK: %[[B0:.+]] = vector.broadcast %[[E0]] : f32 to vector<4xf32>
// CHECK: %[[F0:.+]] = vector.fma %[[B0]], %[[ROW]], %[[A0]]
// CHECK: %[[F1:.+]] = vector.fma %{{.+}}, %[[ROW]], %[[A1]]
// CHECK: %[[F2:.+]] = vector.fma %{{.+}}, %[[ROW]], %[[A2]]
// CHECK: scf.yield %[[F0]], %[[F1]], %[[F2]]
// CHECK-COUNT-3: vector.store %[[ACC]]#{{[0-2]}}, %[[Y]]
// CHECK: scf.for
// CHECK: vector.fma
// CHECK-NOT: vector.fma
// CHECK: } else {
// CHECK: %[[MASK:.+]] = vector.create_mask %[[WIDTH]] : vector<4xi1>
// CHECK: vector.maskedload %[[Y]]{{.*}}, %[[MASK]]
// CHECK: vector.maskedload %[[P]]{{.*}}, %[[MASK]]
// CHECK: vector.maskedstore %[[Y]]{{.*}}, %[[MASK]]
// CHECK-NOT: linalg.generic
func.func @matmul(%a: memref<8x5xf32>, %p: memref<2x5x4xf32>, %y: memref<8x6xf32>) {
  linalg.generic {indexing_maps = [#a, #p, #y], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %p : memref<8x5xf32>, memref<2x5x4xf32>) outs(%y : memref<8x6xf32>) {
  ^bb0(%x: f32, %w: f32, %acc: f32):
    %0 = arith.mulf %x, %w : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

#a = affine_map<(m, k, n) -> (m, k)>
#p = affine_map<(m, k, n) -> (n floordiv 4, k, n mod 4)>
#y = affine_map<(m, k, n) -> (m, n)>

// Result rows with a stride between columns cannot take vector stores:
// the contraction stays a generic for the loop lowering.
// CHECK-LABEL: func.func @strided_result
// CHECK-NOT: vector.fma
// CHECK: linalg.generic
func.func @strided_result(%a: memref<8x5xf32>, %p: memref<1x5x4xf32>, %y: memref<8x4xf32, strided<[8, 2]>>) {
  linalg.generic {indexing_maps = [#a, #p, #y], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %p : memref<8x5xf32>, memref<1x5x4xf32>) outs(%y : memref<8x4xf32, strided<[8, 2]>>) {
  ^bb0(%x: f32, %w: f32, %acc: f32):
    %0 = arith.mulf %x, %w : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

#a = affine_map<(m, k, n) -> (m, k)>
#p = affine_map<(m, k, n) -> (n floordiv 4, k, n mod 4)>
#y = affine_map<(m, k, n) -> (m, n)>

// Not a multiply-accumulate (a max over products): left alone.
// CHECK-LABEL: func.func @not_multiply_accumulate
// CHECK-NOT: vector.fma
// CHECK: linalg.generic
func.func @not_multiply_accumulate(%a: memref<8x5xf32>, %p: memref<1x5x4xf32>, %y: memref<8x4xf32>) {
  linalg.generic {indexing_maps = [#a, #p, #y], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %p : memref<8x5xf32>, memref<1x5x4xf32>) outs(%y : memref<8x4xf32>) {
  ^bb0(%x: f32, %w: f32, %acc: f32):
    %0 = arith.mulf %x, %w : f32
    %1 = arith.maximumf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

#a = affine_map<(m, k, n) -> (m, k)>
#b = affine_map<(m, k, n) -> (k, n)>
#y = affine_map<(m, k, n) -> (m, n)>

// A matmul whose right operand is not in panels is the loop lowering's.
// CHECK-LABEL: func.func @plain_matmul
// CHECK-NOT: vector.fma
// CHECK: linalg.generic
func.func @plain_matmul(%a: memref<8x5xf32>, %b: memref<5x4xf32>, %y: memref<8x4xf32>) {
  linalg.generic {indexing_maps = [#a, #b, #y], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : memref<8x5xf32>, memref<5x4xf32>) outs(%y : memref<8x4xf32>) {
  ^bb0(%x: f32, %w: f32, %acc: f32):
    %0 = arith.mulf %x, %w : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

#a = affine_map<(m, k, n) -> (m, k)>
#p = affine_map<(m, k, n) -> (n floordiv 4, k, n mod 4)>
#y = affine_map<(m, k, n) -> (m, n)>

// The fill kernel formation fused into the tile right before the
// contraction becomes the accumulators' start (its value broadcast): the
// fill goes, and the tile loads no accumulator from the output, in whole
// and masked panels alike.
// CHECK-LABEL: func.func @filled_then_matmul
// CHECK-SAME: (%[[A:.+]]: memref<3x5xf32>, %[[P:.+]]: memref<2x5x4xf32>, %[[Y:.+]]: memref<3x6xf32>)
// CHECK-NOT: linalg.fill
// CHECK: %[[START:.+]] = vector.broadcast %{{.+}} : f32 to vector<4xf32>
// CHECK: scf.for %{{.+}} = {{.*}} iter_args(%{{.+}} = %[[START]], %{{.+}} = %[[START]], %{{.+}} = %[[START]])
// CHECK-NOT: vector.load %[[Y]]
// CHECK-NOT: vector.maskedload %[[Y]]
// CHECK: vector.maskedstore %[[Y]]
func.func @filled_then_matmul(%a: memref<3x5xf32>, %p: memref<2x5x4xf32>, %y: memref<3x6xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<3x6xf32>)
  linalg.generic {indexing_maps = [#a, #p, #y], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %p : memref<3x5xf32>, memref<2x5x4xf32>) outs(%y : memref<3x6xf32>) {
  ^bb0(%x: f32, %w: f32, %acc: f32):
    %0 = arith.mulf %x, %w : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

#a = affine_map<(m, k, n) -> (m, k)>
#p = affine_map<(m, k, n) -> (n floordiv 4, k, n mod 4)>
#y = affine_map<(m, k, n) -> (m, n)>

// Panels of int8 (weight-only quantization): each panel row is loaded as
// bytes and converted to floats in registers, masked like a float row.
// CHECK-LABEL: func.func @int8_panels
// CHECK-SAME: (%[[A:.+]]: memref<3x5xf32>, %[[P:.+]]: memref<2x5x4xi8>, %[[Y:.+]]: memref<3x6xf32>)
// CHECK: scf.for
// CHECK: %[[BYTES:.+]] = vector.load %[[P]]{{.*}} : memref<2x5x4xi8>, vector<4xi8>
// CHECK: %[[ROW:.+]] = arith.sitofp %[[BYTES]] : vector<4xi8> to vector<4xf32>
// CHECK-COUNT-3: vector.fma %{{.+}}, %[[ROW]], %{{.+}} : vector<4xf32>
// CHECK: } else {
// CHECK: %[[MASK:.+]] = vector.create_mask
// CHECK: %[[MBYTES:.+]] = vector.maskedload %[[P]]{{.*}}, %[[MASK]], %{{.+}} : memref<2x5x4xi8>, vector<4xi1>, vector<4xi8> into vector<4xi8>
// CHECK: arith.sitofp %[[MBYTES]] : vector<4xi8> to vector<4xf32>
// CHECK-NOT: linalg.generic
func.func @int8_panels(%a: memref<3x5xf32>, %p: memref<2x5x4xi8>, %y: memref<3x6xf32>) {
  linalg.generic {indexing_maps = [#a, #p, #y], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %p : memref<3x5xf32>, memref<2x5x4xi8>) outs(%y : memref<3x6xf32>) {
  ^bb0(%x: f32, %w: i8, %acc: f32):
    %0 = arith.sitofp %w : i8 to f32
    %1 = arith.mulf %x, %0 : f32
    %2 = arith.addf %acc, %1 : f32
    linalg.yield %2 : f32
  }
  return
}

// -----

#a = affine_map<(m, k, n) -> (m, k)>
#p = affine_map<(m, k, n) -> (n floordiv 4, k, n mod 4)>
#y = affine_map<(m, k, n) -> (m, n)>

// One row (a matrix-vector product, as a decoder's step runs): the tile's
// one chain of multiply-adds would wait on each, so steps of k go
// round-robin into four sums (k, k+1, k+2, k+3), added pairwise after, and
// the 2 steps of k past a multiple of 4 run after them on the total.
// CHECK-LABEL: func.func @one_row
// CHECK: %[[REST:.+]] = arith.remsi %[[C10:c10]], %[[C4:c4[_0-9]*]] : index
// CHECK: %[[WHOLE:.+]] = arith.subi %[[C10]], %[[REST]]
// CHECK: %[[ZERO:.+]] = arith.constant dense<0.000000e+00> : vector<4xf32>
// CHECK: %[[S:.+]]:4 = scf.for %[[K:.+]] = %{{.+}} to %[[WHOLE]] step %[[C4]] iter_args(%[[S0:.+]] = %{{.+}}, %[[S1:.+]] = %[[ZERO]], %[[S2:.+]] = %[[ZERO]], %[[S3:.+]] = %[[ZERO]])
// CHECK: vector.fma %{{.+}}, %{{.+}}, %[[S0]]
// CHECK: vector.fma %{{.+}}, %{{.+}}, %[[S1]]
// CHECK: vector.fma %{{.+}}, %{{.+}}, %[[S2]]
// CHECK: vector.fma %{{.+}}, %{{.+}}, %[[S3]]
// CHECK: scf.yield
// CHECK: %[[H0:.+]] = arith.addf %[[S]]#0, %[[S]]#2
// CHECK: %[[H1:.+]] = arith.addf %[[S]]#1, %[[S]]#3
// CHECK: %[[T:.+]] = arith.addf %[[H0]], %[[H1]]
// CHECK: %[[R:.+]] = scf.for %{{.+}} = %[[WHOLE]] to %[[C10]] step %{{.+}} iter_args(%[[ACC:.+]] = %[[T]])
// CHECK: vector.fma %{{.+}}, %{{.+}}, %[[ACC]]
// CHECK: vector.store %[[R]]
func.func @one_row(%a: memref<1x10xf32>, %p: memref<1x10x4xf32>, %y: memref<1x4xf32>) {
  linalg.generic {indexing_maps = [#a, #p, #y], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %p : memref<1x10xf32>, memref<1x10x4xf32>) outs(%y : memref<1x4xf32>) {
  ^bb0(%x: f32, %w: f32, %acc: f32):
    %0 = arith.mulf %x, %w : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}
