// RUN: %lathe-opt %s --split-input-file --lathe-outline-parallel-loops | FileCheck %s

// A kernel of 128 x 2 tiles of 256 elements: its body becomes a function of
// the linearized iterations [begin, end), the forall a call that hands the
// 256 iterations to the runtime with a grain of 64 (64 x 256 elements per
// range at least). The entry gains the services argument.
// CHECK-LABEL: func.func @relu_tiles
// CHECK-SAME: (%[[X:.+]]: memref<128x512xf32>, %[[Y:.+]]: memref<128x512xf32>, %[[S:.+]]: !llvm.ptr {lathe.services})
// CHECK-DAG: %[[COUNT:.+]] = arith.constant 256 : index
// CHECK-DAG: %[[GRAIN:.+]] = arith.constant 64 : index
// CHECK: call @lathe_parallel_for.relu_tiles.tiles0(%[[S]], %[[X]], %[[Y]], %[[COUNT]], %[[GRAIN]])
// CHECK-NOT: scf.forall
// CHECK: return
// CHECK: func.func private @relu_tiles.tiles0(%[[BX:.+]]: memref<128x512xf32>, %[[BY:.+]]: memref<128x512xf32>, %[[BEGIN:.+]]: index, %[[END:.+]]: index)
// CHECK-SAME: llvm.linkage = #llvm.linkage<internal>
// CHECK: scf.for %[[I:.+]] = %[[BEGIN]] to %[[END]]
// CHECK: %[[J:.+]] = arith.remui %[[I]], %[[TWO:.+]] : index
// CHECK: %[[ROW:.+]] = arith.divui %[[I]], %[[TWO]] : index
// CHECK: %[[COL:.+]] = arith.muli %[[J]], %{{.+}} : index
// CHECK: memref.subview %[[BX]][%{{.+}}, %{{.+}}] [1, 256]
// CHECK: arith.maximumf
// CHECK: func.func private @lathe_parallel_for.relu_tiles.tiles0(!llvm.ptr, memref<128x512xf32>, memref<128x512xf32>, index, index)
func.func @relu_tiles(%x: memref<128x512xf32>, %y: memref<128x512xf32>) {
  %zero = arith.constant 0.0 : f32
  scf.forall (%i, %j) = (0, 0) to (128, 512) step (1, 256) {
    %a = memref.subview %x[%i, %j] [1, 256] [1, 1] : memref<128x512xf32> to memref<1x256xf32, strided<[512, 1], offset: ?>>
    %b = memref.subview %y[%i, %j] [1, 256] [1, 1] : memref<128x512xf32> to memref<1x256xf32, strided<[512, 1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                    iterator_types = ["parallel", "parallel"]}
        ins(%a : memref<1x256xf32, strided<[512, 1], offset: ?>>) outs(%b : memref<1x256xf32, strided<[512, 1], offset: ?>>) {
    ^bb0(%in: f32, %out: f32):
      %r = arith.maximumf %in, %zero : f32
      linalg.yield %r : f32
    }
  }
  return
}

// -----

// 16 rows of 256 elements are too little work to wake a thread for: the
// forall stays, and the entry still takes the services.
// CHECK-LABEL: func.func @small
// CHECK-SAME: !llvm.ptr {lathe.services}
// CHECK: scf.forall
// CHECK-NOT: call
func.func @small(%x: memref<16x256xf32>, %y: memref<16x256xf32>) {
  scf.forall (%i) in (16) {
    %a = memref.subview %x[%i, 0] [1, 256] [1, 1] : memref<16x256xf32> to memref<1x256xf32, strided<[256, 1], offset: ?>>
    %b = memref.subview %y[%i, 0] [1, 256] [1, 1] : memref<16x256xf32> to memref<1x256xf32, strided<[256, 1], offset: ?>>
    linalg.copy ins(%a : memref<1x256xf32, strided<[256, 1], offset: ?>>) outs(%b : memref<1x256xf32, strided<[256, 1], offset: ?>>)
  }
  return
}

// -----

// The body reads a view of the constants (computed again inside, so the
// body's arguments are the entry's buffers) and a buffer the arena plan
// will place (passed as it is); the tile's own intermediate, cut short at
// the last tile (6 rows, then 2), becomes bytes of its largest size on the
// stack, allocated once before the loop and viewed at each tile's size.
// CHECK-LABEL: func.func @tile_buffer
// CHECK-SAME: (%[[C:.+]]: memref<4096xi8> {lathe.constants}, %[[Y:.+]]: memref<20x64xf32>, %[[S:.+]]: !llvm.ptr {lathe.services})
// CHECK: %[[T:.+]] = memref.alloc() : memref<20x64xf32>
// CHECK: call @lathe_parallel_for.tile_buffer.tiles0(%[[S]], %[[C]], %[[Y]], %[[T]], %{{.+}}, %{{.+}})
// CHECK: func.func private @tile_buffer.tiles0(%[[BC:.+]]: memref<4096xi8>, %[[BY:.+]]: memref<20x64xf32>, %[[BT:.+]]: memref<20x64xf32>, %{{.+}}: index, %{{.+}}: index)
// CHECK: %[[W:.+]] = memref.view %[[BC]]
// CHECK: %[[STACK:.+]] = memref.alloca() {alignment = 64 : i64} : memref<1536xi8>
// CHECK: scf.for
// CHECK: %[[ROWS:.+]] = affine.min
// CHECK: memref.view %[[STACK]][%{{.+}}][%[[ROWS]]] : memref<1536xi8> to memref<?x64xf32>
// CHECK-NOT: memref.alloc(
func.func @tile_buffer(%c: memref<4096xi8> {lathe.constants}, %y: memref<20x64xf32>) {
  %c0 = arith.constant 0 : index
  %w = memref.view %c[%c0][] : memref<4096xi8> to memref<16x64xf32>
  %t = memref.alloc() : memref<20x64xf32>
  %zero = arith.constant 0.0 : f32
  scf.forall (%i) = (0) to (20) step (6) {
    %rows = affine.min affine_map<(d0) -> (-d0 + 20, 6)>(%i)
    %acc = memref.alloc(%rows) : memref<?x64xf32>
    linalg.fill ins(%zero : f32) outs(%acc : memref<?x64xf32>)
    %a = memref.subview %y[%i, 0] [%rows, 16] [1, 1] : memref<20x64xf32> to memref<?x16xf32, strided<[64, 1], offset: ?>>
    linalg.matmul ins(%a, %w : memref<?x16xf32, strided<[64, 1], offset: ?>>, memref<16x64xf32>) outs(%acc : memref<?x64xf32>)
    %o = memref.subview %t[%i, 0] [%rows, 64] [1, 1] : memref<20x64xf32> to memref<?x64xf32, strided<[64, 1], offset: ?>>
    linalg.copy ins(%acc : memref<?x64xf32>) outs(%o : memref<?x64xf32, strided<[64, 1], offset: ?>>)
  }
  %u = memref.subview %t[0, 0] [20, 64] [1, 1] : memref<20x64xf32> to memref<20x64xf32, strided<[64, 1]>>
  linalg.copy ins(%u : memref<20x64xf32, strided<[64, 1]>>) outs(%y : memref<20x64xf32>)
  return
}

// -----

// A body that reads a value loaded outside it (not a buffer, not computed
// by pure ops from buffers) stays where it is.
// CHECK-LABEL: func.func @reads_a_load
// CHECK: scf.forall
// CHECK-NOT: call
func.func @reads_a_load(%x: memref<256x256xf32>, %y: memref<256x256xf32>, %s: memref<1xf32>) {
  %c0 = arith.constant 0 : index
  %scale = memref.load %s[%c0] : memref<1xf32>
  scf.forall (%i) in (256) {
    %a = memref.subview %x[%i, 0] [1, 256] [1, 1] : memref<256x256xf32> to memref<1x256xf32, strided<[256, 1], offset: ?>>
    %b = memref.subview %y[%i, 0] [1, 256] [1, 1] : memref<256x256xf32> to memref<1x256xf32, strided<[256, 1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                    iterator_types = ["parallel", "parallel"]}
        ins(%a : memref<1x256xf32, strided<[256, 1], offset: ?>>) outs(%b : memref<1x256xf32, strided<[256, 1], offset: ?>>) {
    ^bb0(%in: f32, %out: f32):
      %r = arith.mulf %in, %scale : f32
      linalg.yield %r : f32
    }
  }
  return
}

// -----

// A pad as bufferization leaves it, a zero fill of the padded buffer and a
// copy into its interior, is split over its outermost loop of more than one
// index (the 34 and 32 rows) and handed to the threads like any kernel.
// CHECK-LABEL: func.func @pad
// CHECK: call @lathe_parallel_for.pad.tiles0(
// CHECK: call @lathe_parallel_for.pad.tiles1(
// CHECK: func.func private @pad.tiles0(
// CHECK: scf.for
// CHECK: linalg.fill {{.*}} outs(%{{.+}} : memref<1x1x34x64xf32, strided<[{{.+}}], offset: ?>>)
// CHECK: func.func private @pad.tiles1(
// CHECK: scf.for
// CHECK: linalg.copy ins(%{{.+}} : memref<1x1x32x64xf32, {{.+}}>) outs(%{{.+}} : memref<1x1x32x64xf32, {{.+}}>)
func.func @pad(%x: memref<1x32x32x64xf32>, %y: memref<1x34x34x64xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<1x34x34x64xf32>)
  %inner = memref.subview %y[0, 1, 1, 0] [1, 32, 32, 64] [1, 1, 1, 1] : memref<1x34x34x64xf32> to memref<1x32x32x64xf32, strided<[73984, 2176, 64, 1], offset: 2240>>
  linalg.copy ins(%x : memref<1x32x32x64xf32>) outs(%inner : memref<1x32x32x64xf32, strided<[73984, 2176, 64, 1], offset: 2240>>)
  return
}
