// RUN: %lathe-opt %s --split-input-file --lathe-unroll-short-loops | FileCheck %s
// RUN: %lathe-opt %s --split-input-file --lathe-unroll-short-loops=max-ops=40 | FileCheck %s --check-prefix=SMALL

// A transform's short nest (3 outputs of 2 terms each) inside the channel
// loop: the inner loop unrolls, then the outer one, leaving the channel loop
// with straight-line code whose table reads have constant indices.
// CHECK-LABEL: func.func @short_nest
// CHECK: scf.for %[[C:.+]] = %{{.+}} to %{{.+}} step %{{.+}} {
// CHECK-NOT: scf.for
// CHECK-COUNT-6: memref.load %{{.+}}[%{{.+}}, %{{.+}}] : memref<3x2xf32>
// CHECK-NOT: scf.for
// CHECK: return
// With room for the inner loop only, the outer one stays.
// SMALL-LABEL: func.func @short_nest
// SMALL: scf.for
// SMALL: scf.for
// SMALL-COUNT-2: memref.load %{{.+}}[%{{.+}}, %{{.+}}] : memref<3x2xf32>
// SMALL-NOT: scf.for
// SMALL: return
func.func @short_nest(%table: memref<3x2xf32>, %x: memref<2x64xf32>, %y: memref<3x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c64 = arith.constant 64 : index
  scf.for %c = %c0 to %c64 step %c1 {
    scf.for %a = %c0 to %c3 step %c1 {
      scf.for %i = %c0 to %c2 step %c1 {
        %t = memref.load %table[%a, %i] : memref<3x2xf32>
        %v = memref.load %x[%i, %c] : memref<2x64xf32>
        %s = memref.load %y[%a, %c] : memref<3x64xf32>
        %p = arith.mulf %t, %v : f32
        %r = arith.addf %s, %p : f32
        memref.store %r, %y[%a, %c] : memref<3x64xf32>
      }
    }
  }
  return
}

// -----

// Loops of more than 8 trips, or of a trip count known only at run time,
// stay loops.
// CHECK-LABEL: func.func @kept
// CHECK: scf.for
// CHECK: scf.for
func.func @kept(%x: memref<9xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c9 = arith.constant 9 : index
  %f = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c9 step %c1 {
    memref.store %f, %x[%i] : memref<9xf32>
  }
  scf.for %i = %c0 to %n step %c1 {
    memref.store %f, %x[%i] : memref<9xf32>
  }
  return
}
