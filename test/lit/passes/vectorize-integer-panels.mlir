// RUN: lathe-opt --split-input-file --lathe-vectorize-integer-panels %s | FileCheck %s
// RUN: lathe-opt --split-input-file --lathe-vectorize-integer-panels="instruction=x86-vpdpbusd-512 rows=4" %s | FileCheck %s --check-prefix=X86
// RUN: lathe-opt --split-input-file --lathe-vectorize-integer-panels="instruction=aarch64-sdot rows=4" %s | FileCheck %s --check-prefix=ARM
// RUN: lathe-opt --split-input-file --lathe-vectorize-integer-panels="instruction=aarch64-smmla" %s | FileCheck %s --check-prefix=MMLA
// RUN: lathe-opt --split-input-file --lathe-vectorize-integer-panels="instruction=x86-vpdpbusd-512 rows=2 panels=2" %s | FileCheck %s --check-prefix=WIDE
// RUN: not lathe-opt --split-input-file --lathe-vectorize-integer-panels="panels=0" %s 2>&1 | FileCheck %s --check-prefix=NOPANELS
// NOPANELS: rows and panels >= 1, not 4 and 0

#a = affine_map<(d0, d1, d2) -> (d0, d1)>
#p = affine_map<(d0, d1, d2) -> (d2 floordiv 32, d1 floordiv 4, d2 mod 32, d1 mod 4)>
#y = affine_map<(d0, d1, d2) -> (d0, d2)>

// 5 rows: a block of 4, then 1. 40 columns: one whole panel, then 8 under
// a mask. K = 9: two 4-byte steps in a loop, then a last one with the ninth
// byte and zeros. Unsigned a times signed panels: vrmpybus, a's word first.
// CHECK-LABEL: func.func @unsigned_by_signed
// CHECK-SAME: %[[A:[a-z0-9]+]]: memref<5x9xi8>, %[[P:[a-z0-9]+]]: memref<2x3x32x4xi8>, %[[Y:[a-z0-9]+]]: memref<5x40xi32>
// CHECK: %[[ROWS:.+]] = memref.collapse_shape %[[P]] {{\[}}[0], [1], [2, 3]] : memref<2x3x32x4xi8> into memref<2x3x128xi8>
// CHECK: scf.for %[[M:.+]] = %c0{{.*}} to %c4{{.*}} step %c4
// CHECK: scf.for %[[PANEL:.+]] = %c0{{.*}} to %c1{{.*}} step %c1
// CHECK: %[[ACC:.+]] = vector.load %[[Y]][%[[M]], %{{.+}}] : memref<5x40xi32>, vector<32xi32>
// CHECK: scf.for %[[STEP:.+]] = {{.*}} iter_args(%[[A0:.+]] = %[[ACC]], %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (vector<32xi32>, vector<32xi32>, vector<32xi32>, vector<32xi32>)
// CHECK: %[[BYTES:.+]] = vector.load %[[ROWS]][%[[PANEL]], %[[STEP]], %{{.+}}] : memref<2x3x128xi8>, vector<128xi8>
// CHECK: %[[W:.+]] = vector.bitcast %[[BYTES]] : vector<128xi8> to vector<32xi32>
// CHECK: %[[QUAD:.+]] = vector.load %[[A]][%[[M]], %{{.+}}] : memref<5x9xi8>, vector<4xi8>
// CHECK: %[[WORD:.+]] = vector.bitcast %[[QUAD]] : vector<4xi8> to vector<1xi32>
// CHECK: %[[SCALAR:.+]] = vector.extract %[[WORD]][0] : i32 from vector<1xi32>
// CHECK: %[[SPLAT:.+]] = vector.broadcast %[[SCALAR]] : i32 to vector<32xi32>
// CHECK: llvm.call_intrinsic "llvm.hexagon.V6.vrmpybusv.acc.128B"(%[[A0]], %[[SPLAT]], %[[W]]) : (vector<32xi32>, vector<32xi32>, vector<32xi32>) -> vector<32xi32>
// CHECK-COUNT-3: llvm.call_intrinsic "llvm.hexagon.V6.vrmpybusv.acc.128B"
// CHECK: scf.yield
// The partial step: the ninth byte, padded with zeros.
// CHECK: vector.transfer_read %[[A]]{{.*}} : memref<5x9xi8>, vector<4xi8>
// CHECK: llvm.call_intrinsic "llvm.hexagon.V6.vrmpybusv.acc.128B"
// CHECK: vector.store %{{.+}}, %[[Y]][%[[M]], %{{.+}}] : memref<5x40xi32>, vector<32xi32>
// The last panel's 8 columns.
// CHECK: %[[MASK:.+]] = vector.create_mask %c8{{.*}} : vector<32xi1>
// CHECK: vector.maskedload %[[Y]][%[[M]], %{{.+}}], %[[MASK]]
// CHECK: vector.maskedstore %[[Y]][%[[M]], %{{.+}}], %[[MASK]]
// The fifth row alone.
// CHECK: scf.for %{{.+}} = %c4{{.*}} to %c5{{.*}} step %c1
// CHECK-NOT: linalg.generic
func.func @unsigned_by_signed(%a: memref<5x9xi8>, %p: memref<2x3x32x4xi8>, %y: memref<5x40xi32>) {
  linalg.generic {indexing_maps = [#a, #p, #y], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %p : memref<5x9xi8>, memref<2x3x32x4xi8>) outs(%y : memref<5x40xi32>) {
  ^bb0(%x: i8, %w: i8, %acc: i32):
    %0 = arith.extui %x : i8 to i32
    %1 = arith.extsi %w : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}

// -----

#a = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#p = affine_map<(d0, d1, d2, d3) -> (d3 floordiv 32, d2 floordiv 4, d3 mod 32, d2 mod 4)>
#y = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>

// Signed a times unsigned panels: vrmpybus with the panel first. Batch dims
// are outer loops; one row, whole panels and whole steps need no masks.
// CHECK-LABEL: func.func @signed_by_unsigned
// CHECK: scf.for %[[B:.+]] = %c0{{.*}} to %c2
// CHECK: scf.for %[[M:.+]] = %c0{{.*}} to %c1
// CHECK: vector.load %arg2[%[[B]], %[[M]], %{{.+}}] : memref<2x1x64xi32>, vector<32xi32>
// CHECK: %[[W:.+]] = vector.bitcast %{{.+}} : vector<128xi8> to vector<32xi32>
// CHECK: %[[SPLAT:.+]] = vector.broadcast
// CHECK: llvm.call_intrinsic "llvm.hexagon.V6.vrmpybusv.acc.128B"(%{{.+}}, %[[W]], %[[SPLAT]])
// CHECK-NOT: vector.transfer_read
// CHECK-NOT: vector.create_mask
func.func @signed_by_unsigned(%a: memref<2x1x8xi8>, %p: memref<2x2x32x4xi8>, %y: memref<2x1x64xi32>) {
  linalg.generic {indexing_maps = [#a, #p, #y], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
      ins(%a, %p : memref<2x1x8xi8>, memref<2x2x32x4xi8>) outs(%y : memref<2x1x64xi32>) {
  ^bb0(%x: i8, %w: i8, %acc: i32):
    %0 = arith.extsi %x : i8 to i32
    %1 = arith.extui %w : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}

// -----

#a = affine_map<(d0, d1, d2) -> (d0, d1)>
#p = affine_map<(d0, d1, d2) -> (d2 floordiv 32, d1 floordiv 4, d2 mod 32, d1 mod 4)>
#y = affine_map<(d0, d1, d2) -> (d0, d2)>

// Both alike: vrmpyub for unsigned, vrmpyb for signed.
// CHECK-LABEL: func.func @alike
// CHECK: llvm.call_intrinsic "llvm.hexagon.V6.vrmpyubv.acc.128B"
// CHECK: llvm.call_intrinsic "llvm.hexagon.V6.vrmpybv.acc.128B"
func.func @alike(%a: memref<1x4xi8>, %p: memref<1x1x32x4xi8>, %y: memref<1x32xi32>) {
  linalg.generic {indexing_maps = [#a, #p, #y], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %p : memref<1x4xi8>, memref<1x1x32x4xi8>) outs(%y : memref<1x32xi32>) {
  ^bb0(%x: i8, %w: i8, %acc: i32):
    %0 = arith.extui %x : i8 to i32
    %1 = arith.extui %w : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  linalg.generic {indexing_maps = [#a, #p, #y], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %p : memref<1x4xi8>, memref<1x1x32x4xi8>) outs(%y : memref<1x32xi32>) {
  ^bb0(%x: i8, %w: i8, %acc: i32):
    %0 = arith.extsi %x : i8 to i32
    %1 = arith.extsi %w : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}

// -----

#a = affine_map<(d0, d1, d2) -> (d0, d1)>
#p = affine_map<(d0, d1, d2) -> (d2 floordiv 16, d1 floordiv 4, d2 mod 16, d1 mod 4)>
#y = affine_map<(d0, d1, d2) -> (d0, d2)>

// Panels of another shape are not vrmpy's: the generic stays. They are
// AVX512-VNNI's (16 lanes): unsigned a times signed panels, one vpdpbusd on
// the 64 bytes of a panel row and a's 4 bytes splat to 16 lanes.
// CHECK-LABEL: func.func @other_panels
// CHECK: linalg.generic
// CHECK-NOT: llvm.call_intrinsic
// X86-LABEL: func.func @other_panels
// X86: %[[ROWS:.+]] = memref.collapse_shape %{{.+}} {{\[}}[0], [1], [2, 3]] : memref<1x1x16x4xi8> into memref<1x1x64xi8>
// X86: %[[ACC:.+]] = vector.load %{{.+}} : memref<1x16xi32>, vector<16xi32>
// X86: %[[W:.+]] = vector.load %[[ROWS]]{{.*}} : memref<1x1x64xi8>, vector<64xi8>
// X86: %[[SPLAT:.+]] = vector.broadcast %{{.+}} : i32 to vector<16xi32>
// X86: %[[BYTES:.+]] = vector.bitcast %[[SPLAT]] : vector<16xi32> to vector<64xi8>
// X86: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.+}}, %[[BYTES]], %[[W]]) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// X86: vector.store
// X86-NOT: linalg.generic
func.func @other_panels(%a: memref<1x4xi8>, %p: memref<1x1x16x4xi8>, %y: memref<1x16xi32>) {
  linalg.generic {indexing_maps = [#a, #p, #y], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %p : memref<1x4xi8>, memref<1x1x16x4xi8>) outs(%y : memref<1x16xi32>) {
  ^bb0(%x: i8, %w: i8, %acc: i32):
    %0 = arith.extui %x : i8 to i32
    %1 = arith.extsi %w : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}

// -----

#a = affine_map<(d0, d1, d2) -> (d0, d1)>
#p = affine_map<(d0, d1, d2) -> (d2 floordiv 16, d1 floordiv 4, d2 mod 16, d1 mod 4)>
#y = affine_map<(d0, d1, d2) -> (d0, d2)>

// vpdpbusd multiplies unsigned by signed bytes only: signed a stays in the
// generic loops (lathe-pack-integer-weights --unsigned-lhs writes a + 128
// instead).
// X86-LABEL: func.func @x86_signed_by_signed
// X86: linalg.generic
// X86-NOT: llvm.call_intrinsic
func.func @x86_signed_by_signed(%a: memref<1x4xi8>, %p: memref<1x1x16x4xi8>, %y: memref<1x16xi32>) {
  linalg.generic {indexing_maps = [#a, #p, #y], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %p : memref<1x4xi8>, memref<1x1x16x4xi8>) outs(%y : memref<1x16xi32>) {
  ^bb0(%x: i8, %w: i8, %acc: i32):
    %0 = arith.extsi %x : i8 to i32
    %1 = arith.extsi %w : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}

// -----

#a = affine_map<(d0, d1, d2) -> (d0, d1)>
#p = affine_map<(d0, d1, d2) -> (d2 floordiv 16, d1 floordiv 4, d2 mod 16, d1 mod 4)>
#y = affine_map<(d0, d1, d2) -> (d0, d2)>

// 7 rows with rows=4: a block of 4 sharing each panel row, then the 3
// left as one block of 3. 20 columns: a whole panel, then 4 under a
// 16-lane mask.
// X86-LABEL: func.func @x86_row_blocks
// X86: scf.for %{{.+}} = %c0{{.*}} to %c4{{.*}} step %c4
// X86: scf.for {{.*}} -> (vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>)
// X86-COUNT-4: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// X86: vector.create_mask %c4{{.*}} : vector<16xi1>
// X86: scf.for %{{.+}} = %c4{{.*}} to %c7{{.*}} step %c3
// X86: scf.for {{.*}} -> (vector<16xi32>, vector<16xi32>, vector<16xi32>)
// X86-COUNT-3: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
func.func @x86_row_blocks(%a: memref<7x8xi8>, %p: memref<2x2x16x4xi8>, %y: memref<7x20xi32>) {
  linalg.generic {indexing_maps = [#a, #p, #y], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %p : memref<7x8xi8>, memref<2x2x16x4xi8>) outs(%y : memref<7x20xi32>) {
  ^bb0(%x: i8, %w: i8, %acc: i32):
    %0 = arith.extui %x : i8 to i32
    %1 = arith.extsi %w : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}

// -----

#a = affine_map<(d0, d1, d2) -> (d0, d1)>
#p = affine_map<(d0, d1, d2) -> (d2 floordiv 4, d1 floordiv 4, d2 mod 4, d1 mod 4)>
#y = affine_map<(d0, d1, d2) -> (d0, d2)>

// AArch64's dot product on 16-byte panel rows (4 lanes): sdot for signed
// by signed bytes, udot for unsigned by unsigned; mixed signedness stays in
// the generic loops.
// ARM-LABEL: func.func @arm_signed
// ARM: %[[W:.+]] = vector.load %{{.+}} : memref<2x2x16xi8>, vector<16xi8>
// ARM: %[[SPLAT:.+]] = vector.broadcast %{{.+}} : i32 to vector<4xi32>
// ARM: %[[BYTES:.+]] = vector.bitcast %[[SPLAT]] : vector<4xi32> to vector<16xi8>
// ARM: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"(%{{.+}}, %[[BYTES]], %[[W]]) : (vector<4xi32>, vector<16xi8>, vector<16xi8>) -> vector<4xi32>
// ARM-NOT: linalg.generic
// ARM-LABEL: func.func @arm_unsigned
// ARM: llvm.call_intrinsic "llvm.aarch64.neon.udot.v4i32.v16i8"
// ARM-NOT: linalg.generic
// ARM-LABEL: func.func @arm_mixed
// ARM: linalg.generic
// ARM-NOT: llvm.call_intrinsic
func.func @arm_signed(%a: memref<3x8xi8>, %p: memref<2x2x4x4xi8>, %y: memref<3x6xi32>) {
  linalg.generic {indexing_maps = [#a, #p, #y], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %p : memref<3x8xi8>, memref<2x2x4x4xi8>) outs(%y : memref<3x6xi32>) {
  ^bb0(%x: i8, %w: i8, %acc: i32):
    %0 = arith.extsi %x : i8 to i32
    %1 = arith.extsi %w : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}
func.func @arm_unsigned(%a: memref<3x8xi8>, %p: memref<2x2x4x4xi8>, %y: memref<3x6xi32>) {
  linalg.generic {indexing_maps = [#a, #p, #y], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %p : memref<3x8xi8>, memref<2x2x4x4xi8>) outs(%y : memref<3x6xi32>) {
  ^bb0(%x: i8, %w: i8, %acc: i32):
    %0 = arith.extui %x : i8 to i32
    %1 = arith.extui %w : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}
func.func @arm_mixed(%a: memref<3x8xi8>, %p: memref<2x2x4x4xi8>, %y: memref<3x6xi32>) {
  linalg.generic {indexing_maps = [#a, #p, #y], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %p : memref<3x8xi8>, memref<2x2x4x4xi8>) outs(%y : memref<3x6xi32>) {
  ^bb0(%x: i8, %w: i8, %acc: i32):
    %0 = arith.extui %x : i8 to i32
    %1 = arith.extsi %w : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}

// -----

#a = affine_map<(d0, d1, d2) -> (d0, d1)>
#p = affine_map<(d0, d1, d2) -> (d2 floordiv 2, d1 floordiv 8, d2 mod 2, d1 mod 8)>
#y = affine_map<(d0, d1, d2) -> (d0, d2)>

// AArch64's 8-bit matrix multiply over panels of 2 columns x 8 rows: 3 rows
// are a pair and an odd row (paired with zeros), 5 columns two whole panels
// and a last one under a 1-lane mask, K = 12 one whole step of 8 bytes and a
// partial one read as zeros past K. The pair's two rows of 8 bytes share one
// register for each of the tile's panels.
// MMLA-LABEL: func.func @arm_matrix_multiply
// MMLA: %[[ROWS:.+]] = memref.collapse_shape %{{.+}} {{\[}}[0], [1], [2, 3]] : memref<3x2x2x8xi8> into memref<3x2x16xi8>
// MMLA: scf.for %{{.+}} = %c0{{.*}} to %c2{{.*}} step %c2
// MMLA: vector.create_mask %c1{{.*}} : vector<2xi1>
// MMLA-COUNT-2: vector.load %{{.+}} : memref<3x5xi32>, vector<2xi32>
// MMLA: vector.maskedload %{{.+}} : memref<3x5xi32>, vector<2xi1>, vector<2xi32> into vector<2xi32>
// MMLA: scf.for {{.*}} -> (vector<4xi32>, vector<4xi32>, vector<4xi32>)
// MMLA: %[[R0:.+]] = vector.load %{{.+}} : memref<3x12xi8>, vector<8xi8>
// MMLA: %[[R1:.+]] = vector.load %{{.+}} : memref<3x12xi8>, vector<8xi8>
// MMLA: %[[PAIR:.+]] = vector.shuffle %[[R0]], %[[R1]] [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] : vector<8xi8>, vector<8xi8>
// MMLA: %[[W:.+]] = vector.load %[[ROWS]]{{.*}} : memref<3x2x16xi8>, vector<16xi8>
// MMLA: llvm.call_intrinsic "llvm.aarch64.neon.smmla.v4i32.v16i8"(%{{.+}}, %[[PAIR]], %[[W]]) : (vector<4xi32>, vector<16xi8>, vector<16xi8>) -> vector<4xi32>
// MMLA-COUNT-2: llvm.call_intrinsic "llvm.aarch64.neon.smmla.v4i32.v16i8"
// MMLA: vector.transfer_read %{{.+}} : memref<3x12xi8>, vector<8xi8>
// MMLA: vector.maskedstore
// MMLA: arith.constant dense<0> : vector<8xi8>
// MMLA-NOT: linalg.generic
func.func @arm_matrix_multiply(%a: memref<3x12xi8>, %p: memref<3x2x2x8xi8>, %y: memref<3x5xi32>) {
  linalg.generic {indexing_maps = [#a, #p, #y], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %p : memref<3x12xi8>, memref<3x2x2x8xi8>) outs(%y : memref<3x5xi32>) {
  ^bb0(%x: i8, %w: i8, %acc: i32):
    %0 = arith.extsi %x : i8 to i32
    %1 = arith.extsi %w : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}

// -----

#a = affine_map<(d0, d1, d2) -> (d0, d1)>
#p = affine_map<(d0, d1, d2) -> (d2 floordiv 16, d1 floordiv 4, d2 mod 16, d1 mod 4)>
#y = affine_map<(d0, d1, d2) -> (d0, d2)>

// Tiles of 2 rows x 2 panels: 52 columns are a group of two whole panels in
// a loop, the third whole panel as a tile of its own, and 4 columns under a
// mask. Each row's splat serves both panels of a step: 2 panel loads, 2
// splats and 4 vpdpbusd.
// MMLA-LABEL: func.func @x86_panel_groups
// WIDE-LABEL: func.func @x86_panel_groups
// WIDE: scf.for %{{.+}} = %c0{{.*}} to %c2{{.*}} step %c2
// WIDE: scf.for {{.*}} -> (vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>)
// WIDE-COUNT-2: vector.load %{{.+}} : memref<4x2x64xi8>, vector<64xi8>
// WIDE: vector.broadcast %{{.+}} : i32 to vector<16xi32>
// WIDE-COUNT-2: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// WIDE: vector.broadcast %{{.+}} : i32 to vector<16xi32>
// WIDE-COUNT-2: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// WIDE: scf.for {{.*}} -> (vector<16xi32>, vector<16xi32>)
// WIDE: vector.create_mask %c4{{.*}} : vector<16xi1>
// WIDE: vector.maskedstore
func.func @x86_panel_groups(%a: memref<2x8xi8>, %p: memref<4x2x16x4xi8>, %y: memref<2x52xi32>) {
  linalg.generic {indexing_maps = [#a, #p, #y], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %p : memref<2x8xi8>, memref<4x2x16x4xi8>) outs(%y : memref<2x52xi32>) {
  ^bb0(%x: i8, %w: i8, %acc: i32):
    %0 = arith.extui %x : i8 to i32
    %1 = arith.extsi %w : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  }
  return
}
