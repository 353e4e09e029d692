// RUN: %lathe-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(lathe-approximate-math))' | FileCheck %s

// f32 exp, tanh, erf and log become arithmetic: no libm call is left, and
// the exponential scales by 2^n through the exponent bits.
// CHECK-LABEL: func.func @approximated
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK-NOT: math.log
// CHECK: arith.bitcast
// CHECK: return
func.func @approximated(%x: f32) -> (f32, f32, f32, f32) {
  %0 = math.exp %x : f32
  %1 = math.tanh %x : f32
  %2 = math.erf %x : f32
  %3 = math.log %x : f32
  return %0, %1, %2, %3 : f32, f32, f32, f32
}

// -----

// Inside a loop body as the loop lowering leaves it: the loop stays free of
// calls, so LLVM vectorizes it.
// CHECK-LABEL: func.func @in_a_loop
// CHECK: scf.for
// CHECK-NOT: math.exp
// CHECK: memref.store
func.func @in_a_loop(%in: memref<64xf32>, %out: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %i = %c0 to %c64 step %c1 {
    %v = memref.load %in[%i] : memref<64xf32>
    %e = math.exp %v : f32
    memref.store %e, %out[%i] : memref<64xf32>
  }
  return
}

// -----

// Kept for libm: functions whose approximation loses accuracy on large
// arguments (sin, cos) or that have none (pow), and f64 and f16 math.
// CHECK-LABEL: func.func @kept
// CHECK: math.sin
// CHECK: math.cos
// CHECK: math.powf
// CHECK: math.exp %{{.+}} : f64
// CHECK: math.tanh %{{.+}} : f16
func.func @kept(%x: f32, %d: f64, %h: f16) -> (f32, f32, f32, f64, f16) {
  %0 = math.sin %x : f32
  %1 = math.cos %x : f32
  %2 = math.powf %x, %x : f32
  %3 = math.exp %d : f64
  %4 = math.tanh %h : f16
  return %0, %1, %2, %3, %4 : f32, f32, f32, f64, f16
}
