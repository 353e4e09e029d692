// RUN: %lathe-opt %s --split-input-file --lathe-plan-arena | FileCheck %s

// A chain a -> b -> c: a dies when b is written, so c can reuse a's bytes;
// b is live alongside both and must not overlap either.
// The plan is recorded for the compile report: [offset, bytes, first op, last op] per buffer.
// CHECK-LABEL: module attributes {lathe.arena_buffers = {{\[}}array<i64: 0, 4096, 0, 3>, array<i64: 4096, 4096, 2, 5>, array<i64: 0, 4096, 4, 6>], lathe.arena_bytes = 8192 : i64, lathe.arena_lower_bound_bytes = 8192 : i64, lathe.naive_bytes = 12288 : i64}
// CHECK: func.func @chain(%[[IN:.+]]: memref<1024xf32>, %[[OUT:.+]]: memref<1024xf32>, %[[ARENA:.+]]: memref<8192xi8> {lathe.arena})
// CHECK: %[[OFF_A:.+]] = arith.constant 0 : index
// CHECK: memref.view %[[ARENA]][%[[OFF_A]]][] : memref<8192xi8> to memref<1024xf32>
// CHECK: %[[OFF_B:.+]] = arith.constant 4096 : index
// CHECK: memref.view %[[ARENA]][%[[OFF_B]]][] : memref<8192xi8> to memref<1024xf32>
// CHECK: %[[OFF_C:.+]] = arith.constant 0 : index
// CHECK: memref.view %[[ARENA]][%[[OFF_C]]][] : memref<8192xi8> to memref<1024xf32>
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
module {
  func.func @chain(%in: memref<1024xf32>, %out: memref<1024xf32>) {
    %a = memref.alloc() : memref<1024xf32>
    memref.copy %in, %a : memref<1024xf32> to memref<1024xf32>
    %b = memref.alloc() : memref<1024xf32>
    memref.copy %a, %b : memref<1024xf32> to memref<1024xf32>
    %c = memref.alloc() : memref<1024xf32>
    memref.copy %b, %c : memref<1024xf32> to memref<1024xf32>
    memref.copy %c, %out : memref<1024xf32> to memref<1024xf32>
    memref.dealloc %a : memref<1024xf32>
    return
  }
}

// -----

// A buffer used through a view stays live until the view's last use: no
// other buffer may take its bytes before then.
// CHECK-LABEL: module attributes {lathe.arena_buffers = {{.*}}, lathe.arena_bytes = 8192 : i64
// CHECK: %[[OFF_A:.+]] = arith.constant 0 : index
// CHECK: memref.view %{{.+}}[%[[OFF_A]]][] : memref<8192xi8> to memref<1024xf32>
// CHECK: memref.collapse_shape
// CHECK: %[[OFF_B:.+]] = arith.constant 4096 : index
// CHECK: memref.view %{{.+}}[%[[OFF_B]]][] : memref<8192xi8> to memref<4x256xf32>
module {
  func.func @view_keeps_alive(%in: memref<1024xf32>, %out: memref<1024xf32>) {
    %a = memref.alloc() : memref<1024xf32>
    memref.copy %in, %a : memref<1024xf32> to memref<1024xf32>
    %e = memref.expand_shape %a [[0, 1]] output_shape [4, 256] : memref<1024xf32> into memref<4x256xf32>
    %v = memref.collapse_shape %e [[0, 1]] : memref<4x256xf32> into memref<1024xf32>
    %b = memref.alloc() : memref<4x256xf32>
    memref.copy %e, %b : memref<4x256xf32> to memref<4x256xf32>
    memref.copy %v, %out : memref<1024xf32> to memref<1024xf32>
    return
  }
}

// -----

// An elementwise op that reads a buffer for the last time writes its result
// in place: %b takes %a's bytes.
// CHECK-LABEL: module attributes {lathe.arena_buffers = {{.*}}, lathe.arena_bytes = 4096 : i64, lathe.arena_lower_bound_bytes = 4096 : i64, lathe.naive_bytes = 8192 : i64}
// CHECK: %[[OFF_A:.+]] = arith.constant 0 : index
// CHECK: memref.view %{{.+}}[%[[OFF_A]]][] : memref<4096xi8> to memref<1024xf32>
// CHECK: %[[OFF_B:.+]] = arith.constant 0 : index
// CHECK: memref.view %{{.+}}[%[[OFF_B]]][] : memref<4096xi8> to memref<1024xf32>
#id = affine_map<(d0) -> (d0)>
module {
  func.func @in_place(%in: memref<1024xf32>, %out: memref<1024xf32>) {
    %a = memref.alloc() : memref<1024xf32>
    memref.copy %in, %a : memref<1024xf32> to memref<1024xf32>
    %b = memref.alloc() : memref<1024xf32>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%a : memref<1024xf32>) outs(%b : memref<1024xf32>) {
    ^bb0(%x: f32, %y: f32):
      %r = arith.negf %x : f32
      linalg.yield %r : f32
    }
    memref.copy %b, %out : memref<1024xf32> to memref<1024xf32>
    return
  }
}

// -----

// %a is read again after the elementwise op: no in-place reuse.
// CHECK-LABEL: module attributes {lathe.arena_buffers = {{.*}}, lathe.arena_bytes = 8192 : i64
// CHECK: %[[OFF_A:.+]] = arith.constant 0 : index
// CHECK: %[[OFF_B:.+]] = arith.constant 4096 : index
#id2 = affine_map<(d0) -> (d0)>
module {
  func.func @input_still_live(%in: memref<1024xf32>, %out: memref<1024xf32>, %out2: memref<1024xf32>) {
    %a = memref.alloc() : memref<1024xf32>
    memref.copy %in, %a : memref<1024xf32> to memref<1024xf32>
    %b = memref.alloc() : memref<1024xf32>
    linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel"]} ins(%a : memref<1024xf32>) outs(%b : memref<1024xf32>) {
    ^bb0(%x: f32, %y: f32):
      %r = arith.negf %x : f32
      linalg.yield %r : f32
    }
    memref.copy %b, %out : memref<1024xf32> to memref<1024xf32>
    memref.copy %a, %out2 : memref<1024xf32> to memref<1024xf32>
    return
  }
}

// -----

// A transposing read is not elementwise in place: %b[i] = %a[N - 1 - i]
// would overwrite elements still to be read.
// CHECK-LABEL: module attributes {lathe.arena_buffers = {{.*}}, lathe.arena_bytes = 8192 : i64
#rev = affine_map<(d0) -> (1023 - d0)>
#id3 = affine_map<(d0) -> (d0)>
module {
  func.func @reversed(%in: memref<1024xf32>, %out: memref<1024xf32>) {
    %a = memref.alloc() : memref<1024xf32>
    memref.copy %in, %a : memref<1024xf32> to memref<1024xf32>
    %b = memref.alloc() : memref<1024xf32>
    linalg.generic {indexing_maps = [#rev, #id3], iterator_types = ["parallel"]} ins(%a : memref<1024xf32>) outs(%b : memref<1024xf32>) {
    ^bb0(%x: f32, %y: f32):
      linalg.yield %x : f32
    }
    memref.copy %b, %out : memref<1024xf32> to memref<1024xf32>
    return
  }
}

// -----

// Five buffers whose lifetimes begin and end at ten points, with ops that
// begin or end none (constants here; border fills in a real partition)
// between them. With lifetimes measured in those points, the placement
// reaches the lower bound, 448 bytes; measured in ops, the idle ops would
// lengthen some lifetimes more than others, reorder the longest-lived-first
// placement, and the best one found would take 512.
// CHECK-LABEL: module attributes {lathe.arena_buffers = {{.*}}, lathe.arena_bytes = 448 : i64, lathe.arena_lower_bound_bytes = 448 : i64
// CHECK: func.func @idle_ops_between(%{{.+}}: memref<448xi8> {lathe.arena})
module {
func.func @idle_ops_between() {
  %f = arith.constant 0.0 : f32
  %b3 = memref.alloc() : memref<16xf32>
  %pad0 = arith.constant 0 : index
  %pad1 = arith.constant 1 : index
  %b0 = memref.alloc() : memref<32xf32>
  %pad2 = arith.constant 2 : index
  %pad3 = arith.constant 3 : index
  %pad4 = arith.constant 4 : index
  linalg.fill ins(%f : f32) outs(%b0 : memref<32xf32>)
  %pad5 = arith.constant 5 : index
  %pad6 = arith.constant 6 : index
  %b1 = memref.alloc() : memref<64xf32>
  linalg.fill ins(%f : f32) outs(%b1 : memref<64xf32>)
  %pad7 = arith.constant 7 : index
  %pad8 = arith.constant 8 : index
  %pad9 = arith.constant 9 : index
  %b4 = memref.alloc() : memref<48xf32>
  %pad10 = arith.constant 10 : index
  %pad11 = arith.constant 11 : index
  linalg.fill ins(%f : f32) outs(%b3 : memref<16xf32>)
  %pad12 = arith.constant 12 : index
  %pad13 = arith.constant 13 : index
  %b2 = memref.alloc() : memref<64xf32>
  %pad14 = arith.constant 14 : index
  %pad15 = arith.constant 15 : index
  linalg.fill ins(%f : f32) outs(%b4 : memref<48xf32>)
  linalg.fill ins(%f : f32) outs(%b2 : memref<64xf32>)
  return
}
}
