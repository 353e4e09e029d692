// RUN: %lathe-opt %s --lathe-cpu-pipeline="cpu=x86-64-v3" | FileCheck %s
// RUN: %lathe-opt %s --lathe-cpu-pipeline="cpu=x86-64-v3 disable-pass=lathe-fuse-elementwise,lathe-form-kernels" | FileCheck %s --check-prefix=UNFUSED
// RUN: not %lathe-opt %s --lathe-cpu-pipeline="cpu=no-such-cpu" 2>&1 | FileCheck %s --check-prefix=BADCPU

// The cpu target's real pipeline, built in C++ and registered by name: a
// partition of lathe ops comes out in the LLVM dialect with bare pointers,
// its kernels counted, its constants in one blob and its arena planned.

// CHECK-LABEL: module attributes
// CHECK-SAME: lathe.arena_bytes = 0 : i64
// CHECK-SAME: lathe.kernels = 1 : i64
// CHECK: llvm.func @relu_add(%{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr {lathe.constants}, %{{[^:]*}}: !llvm.ptr {lathe.services}, %{{[^:]*}}: !llvm.ptr {lathe.arena})
// CHECK-NOT: linalg.
// CHECK: llvm.return
// UNFUSED: lathe.kernels = 2 : i64
func.func @relu_add(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = lathe.relu %x : tensor<4x8xf32>
  %1 = lathe.add %0, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// BADCPU: lathe-cpu-pipeline: unknown --cpu 'no-such-cpu'
