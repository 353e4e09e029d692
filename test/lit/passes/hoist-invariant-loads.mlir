// RUN: %lathe-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(lathe-hoist-invariant-loads))' | FileCheck %s

// The inner loop writes one view of the arena and reads an element of
// another, disjoint view (bytes [0, 64) vs [64, 128)) at a fixed address:
// the read moves out of the loop, and out of the outer one too, since its
// indices do not depend on either loop.
// CHECK-LABEL: func.func @disjoint_views
// CHECK: %[[IN:.+]] = memref.view %arg0[%{{.+}}][] : memref<128xi8> to memref<16xf32>
// CHECK: %[[X:.+]] = memref.load %[[IN]][%{{.+}}]
// CHECK-NEXT: scf.for
// CHECK-NEXT: scf.for
// CHECK-NOT: memref.load %[[IN]]
// CHECK: memref.load %arg1
func.func @disjoint_views(%arena: memref<128xi8>, %w: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %in = memref.view %arena[%c0][] : memref<128xi8> to memref<16xf32>
  %out = memref.view %arena[%c64][] : memref<128xi8> to memref<16xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %j = %c0 to %c16 step %c1 {
      %x = memref.load %in[%c4] : memref<16xf32>
      %y = memref.load %w[%j] : memref<16xf32>
      %p = arith.mulf %x, %y : f32
      memref.store %p, %out[%j] : memref<16xf32>
    }
  }
  return
}

// -----

// The views overlap (an in-place result): the store may change the element
// the loop reads, so the load stays.
// CHECK-LABEL: func.func @overlapping_views
// CHECK: scf.for
// CHECK-NEXT: memref.load %[[IN:.+]][%c4]
// CHECK: memref.store
func.func @overlapping_views(%arena: memref<128xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %in = memref.view %arena[%c0][] : memref<128xi8> to memref<16xf32>
  %out = memref.view %arena[%c32][] : memref<128xi8> to memref<16xf32>
  scf.for %j = %c0 to %c16 step %c1 {
    %x = memref.load %in[%c4] : memref<16xf32>
    memref.store %x, %out[%j] : memref<16xf32>
  }
  return
}

// -----

// A load whose address changes with the loop stays in it.
// CHECK-LABEL: func.func @varying_address
// CHECK: scf.for
// CHECK-NEXT: memref.load %arg0[%{{.+}}]
func.func @varying_address(%a: memref<16xf32>, %b: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  scf.for %j = %c0 to %c16 step %c1 {
    %x = memref.load %a[%j] : memref<16xf32>
    memref.store %x, %b[%j] : memref<16xf32>
  }
  return
}
