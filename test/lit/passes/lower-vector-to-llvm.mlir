// RUN: lathe-opt --split-input-file --lathe-lower-vector-to-llvm %s | FileCheck %s

// With a 32-bit index, buffers become descriptors of 32-bit sizes and
// strides, as finalize-memref-to-llvm makes them, and addresses are computed
// in i32.
// CHECK-LABEL: func.func @index32
// CHECK: builtin.unrealized_conversion_cast %{{.+}} : memref<4x128xi8> to !llvm.struct<(ptr, ptr, i32, array<2 x i32>, array<2 x i32>)>
// CHECK: llvm.getelementptr %{{.+}}[%{{.+}}] : (!llvm.ptr, i32) -> !llvm.ptr, i8
// CHECK: llvm.load %{{.+}} {alignment = 1 : i64} : !llvm.ptr -> vector<128xi8>
// CHECK: llvm.intr.masked.store
// CHECK-NOT: {{vector\.[a-z_]+ }}
module attributes {dlti.dl_spec = #dlti.dl_spec<#dlti.dl_entry<index, 32 : i64>>} {
  func.func @index32(%m: memref<4x128xi8>, %y: memref<40xi32>, %i: index, %v: vector<32xi32>) -> vector<128xi8> {
    %r = vector.load %m[%i, %i] : memref<4x128xi8>, vector<128xi8>
    %c8 = arith.constant 8 : index
    %mask = vector.create_mask %c8 : vector<32xi1>
    vector.maskedstore %y[%i], %mask, %v : memref<40xi32>, vector<32xi1>, vector<32xi32>
    return %r : vector<128xi8>
  }
}

// -----

// Without a data layout, 64 bits as upstream.
// CHECK-LABEL: func.func @index64
// CHECK: !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>
// CHECK: llvm.load %{{.+}} : !llvm.ptr -> vector<4xi8>
func.func @index64(%m: memref<16xi8>, %i: index) -> vector<4xi8> {
  %r = vector.load %m[%i] : memref<16xi8>, vector<4xi8>
  return %r : vector<4xi8>
}
