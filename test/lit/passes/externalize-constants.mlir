// RUN: %lathe-opt %s --lathe-externalize-constants | FileCheck %s

// Each constant global becomes a view of the constants argument at a 64-byte
// aligned offset; the bytes move to the module's lathe.constants blob. A
// coefficient table marked lathe.code_table stays a global in the code.
// CHECK-LABEL: module attributes {lathe.constants = dense_resource<lathe_constants> : tensor<80xi8>}
// CHECK-NOT: memref.global "private" constant @{{a|b}}
// CHECK: memref.global "private" constant @table : memref<2xf32> = dense<[1.000000e+00, -1.000000e+00]> {lathe.code_table}
// CHECK: func.func @f(%[[OUT:.+]]: memref<4xf32>, %[[C:.+]]: memref<80xi8> {lathe.constants})
// CHECK: %[[OFF0:.+]] = arith.constant 0 : index
// CHECK: memref.view %[[C]][%[[OFF0]]][] : memref<80xi8> to memref<4xf32>
// CHECK: %[[OFF64:.+]] = arith.constant 64 : index
// CHECK: memref.view %[[C]][%[[OFF64]]][] : memref<80xi8> to memref<4xi32>
// CHECK: memref.get_global @table
// After the blob's alignment word (64), the splat expanded to its four
// elements (2.0f is 00000040 in little-endian hex), zeros to offset 64, then
// 1, 2, 3, 4.
// CHECK: lathe_constants: "0x4000000000000040000000400000004000000040{{(00)+}}01000000020000000300000004000000"
module {
  memref.global "private" constant @a : memref<4xf32> = dense<2.0>
  memref.global "private" constant @b : memref<4xi32> = dense<[1, 2, 3, 4]>
  memref.global "private" constant @table : memref<2xf32> = dense<[1.0, -1.0]> {lathe.code_table}
  func.func @f(%out: memref<4xf32>) {
    %a = memref.get_global @a : memref<4xf32>
    %b = memref.get_global @b : memref<4xi32>
    %t = memref.get_global @table : memref<2xf32>
    memref.copy %a, %out : memref<4xf32> to memref<4xf32>
    return
  }
}
