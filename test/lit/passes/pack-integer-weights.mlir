// RUN: lathe-opt --split-input-file --lathe-pack-integer-weights="tile-columns=4 depth=2" %s | FileCheck %s
// RUN: lathe-opt --split-input-file --lathe-pack-integer-weights="tile-columns=4 depth=2 unsigned-lhs=1" %s | FileCheck %s --check-prefix=X86
// RUN: lathe-opt --split-input-file --lathe-pack-integer-weights="tile-columns=4 depth=2 signed-lhs=1" %s | FileCheck %s --check-prefix=ARM
// RUN: not lathe-opt --lathe-pack-integer-weights="unsigned-lhs=1 signed-lhs=1" %s 2>&1 | FileCheck %s --check-prefix=BOTH
// BOTH: lathe-pack-integer-weights: unsigned-lhs and signed-lhs exclude each other

// Panels of 4 columns x 2 rows, (ceil(5/4), ceil(3/2), 4, 2), zero past K
// and N. With a constant scalar za and zb = 0 only za * colsum(B) is
// subtracted: colsum = [6, 7, 8, 9, 10], times 3.
// CHECK-LABEL: func.func @scalar_zero_points
// CHECK-SAME: %[[A:[a-z0-9]+]]: tensor<2x3xui8>
// CHECK-DAG: %[[TERM:.+]] = lathe.constant dense<[18, 21, 24, 27, 30]> : tensor<5xi32>
// CHECK-DAG: %[[P:.+]] = lathe.constant dense<{{\[}}{{\[}}{{\[}}[1, 6], [2, 7], [3, 8], [4, 9]], {{\[}}[-1, 0], [-2, 0], [-3, 0], [-4, 0]]], {{\[}}{{\[}}[5, 10], [0, 0], [0, 0], [0, 0]], {{\[}}[-5, 0], [0, 0], [0, 0], [0, 0]]]]> : tensor<2x2x4x2xi8>
// CHECK: %[[RAW:.+]] = lathe.matmul_integer_packed %[[A]], %[[P]] {columns = 5 : i64} : (tensor<2x3xui8>, tensor<2x2x4x2xi8>) -> tensor<2x5xi32>
// CHECK: %[[Y:.+]] = lathe.sub %[[RAW]], %[[TERM]]
// CHECK: return %[[Y]]
func.func @scalar_zero_points(%a: tensor<2x3xui8>) -> tensor<2x5xi32> {
  %b = lathe.constant dense<[[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [-1, -2, -3, -4, -5]]> : tensor<3x5xi8>
  %za = lathe.constant dense<3> : tensor<ui8>
  %zb = lathe.constant dense<0> : tensor<i8>
  %y = lathe.matmul_integer %a, %b, %za, %zb : (tensor<2x3xui8>, tensor<3x5xi8>, tensor<ui8>, tensor<i8>) -> tensor<2x5xi32>
  return %y : tensor<2x5xi32>
}

// -----

// zb per column, za at run time: za * (colsum - K * zb) with colsum - 3 * zb
// = [3, 7, 8, 9, 4], and zb times the row sums of a.
// CHECK-LABEL: func.func @column_zero_points
// CHECK-SAME: %[[A:[a-z0-9]+]]: tensor<2x3xui8>, %[[ZA:[a-z0-9]+]]: tensor<ui8>
// CHECK-DAG: %[[ZB:.+]] = lathe.constant dense<[1, 0, 0, 0, 2]> : tensor<5xi32>
// CHECK-DAG: %[[COLTERM:.+]] = lathe.constant dense<[3, 7, 8, 9, 4]> : tensor<5xi32>
// CHECK: %[[RAW:.+]] = lathe.matmul_integer_packed %[[A]]
// CHECK: %[[ZA32:.+]] = lathe.cast %[[ZA]] {to = i32}
// CHECK: %[[ZACOL:.+]] = lathe.reshape %[[ZA32]] {shape = array<i64: 1, 1>}
// CHECK: %[[T1:.+]] = lathe.mul %[[ZACOL]], %[[COLTERM]]
// CHECK: %[[Y1:.+]] = lathe.sub %[[RAW]], %[[T1]]
// CHECK: %[[A32:.+]] = lathe.cast %[[A]] {to = i32}
// CHECK: %[[ROWS:.+]] = lathe.reduce_sum %[[A32]] {axes = array<i64: 1>} : (tensor<2x3xi32>) -> tensor<2x1xi32>
// CHECK: %[[T2:.+]] = lathe.mul %[[ROWS]], %[[ZB]]
// CHECK: %[[Y2:.+]] = lathe.sub %[[Y1]], %[[T2]]
// CHECK: return %[[Y2]]
func.func @column_zero_points(%a: tensor<2x3xui8>, %za: tensor<ui8>) -> tensor<2x5xi32> {
  %b = lathe.constant dense<[[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [-1, -2, -3, -4, -5]]> : tensor<3x5xi8>
  %zb = lathe.constant dense<[1, 0, 0, 0, 2]> : tensor<5xi8>
  %y = lathe.matmul_integer %a, %b, %za, %zb : (tensor<2x3xui8>, tensor<3x5xi8>, tensor<ui8>, tensor<5xi8>) -> tensor<2x5xi32>
  return %y : tensor<2x5xi32>
}

// -----

// Weights at run time and products narrower than half a panel stay.
// CHECK-LABEL: func.func @not_packed
// CHECK-NOT: lathe.matmul_integer_packed
// CHECK: lathe.matmul_integer %arg0, %arg1
// CHECK: lathe.matmul_integer %arg0, %{{.+}}
// CHECK-NOT: lathe.matmul_integer_packed
func.func @not_packed(%a: tensor<2x3xi8>, %b: tensor<3x5xi8>) -> (tensor<2x5xi32>, tensor<2x1xi32>) {
  %z = lathe.constant dense<0> : tensor<i8>
  %narrow = lathe.constant dense<[[1], [2], [3]]> : tensor<3x1xi8>
  %y = lathe.matmul_integer %a, %b, %z, %z : (tensor<2x3xi8>, tensor<3x5xi8>, tensor<i8>, tensor<i8>) -> tensor<2x5xi32>
  %n = lathe.matmul_integer %a, %narrow, %z, %z : (tensor<2x3xi8>, tensor<3x1xi8>, tensor<i8>, tensor<i8>) -> tensor<2x1xi32>
  return %y, %n : tensor<2x5xi32>, tensor<2x1xi32>
}

// -----

// For x86's vpdpbusd (unsigned a times signed weights): unsigned weights are
// stored less 128 ([[1..5], [6..10], [-1..-5]]) with zb 128 - 128 = 0, and
// the signed a is read as a + 128 with za -2 + 128 = 126: the term is
// 126 * colsum = 126 * [6, 7, 8, 9, 10].
// Without the option (Hexagon's vrmpy takes every signedness) the operands
// stay as they are.
// CHECK-LABEL: func.func @x86_signedness
// CHECK: lathe.matmul_integer_packed %arg0, %{{.+}} {columns = 5 : i64} : (tensor<2x3xi8>, tensor<2x2x4x2xui8>)
// X86-LABEL: func.func @x86_signedness
// X86-SAME: %[[A:[a-z0-9]+]]: tensor<2x3xi8>
// X86-DAG: %[[TERM:.+]] = lathe.constant dense<[756, 882, 1008, 1134, 1260]> : tensor<5xi32>
// X86-DAG: %[[OFFSET:.+]] = lathe.constant dense<128> : tensor<i32>
// X86-DAG: %[[P:.+]] = lathe.constant dense<{{\[}}{{\[}}{{\[}}[1, 6], [2, 7], [3, 8], [4, 9]], {{.*}} : tensor<2x2x4x2xi8>
// X86: %[[WIDE:.+]] = lathe.cast %[[A]] {to = i32}
// X86: %[[SHIFTED:.+]] = lathe.add %[[WIDE]], %[[OFFSET]]
// X86: %[[U:.+]] = lathe.cast %[[SHIFTED]] {to = ui8} : (tensor<2x3xi32>) -> tensor<2x3xui8>
// X86: %[[RAW:.+]] = lathe.matmul_integer_packed %[[U]], %[[P]] {columns = 5 : i64} : (tensor<2x3xui8>, tensor<2x2x4x2xi8>) -> tensor<2x5xi32>
// X86: %[[Y:.+]] = lathe.sub %[[RAW]], %[[TERM]]
// X86: return %[[Y]]
func.func @x86_signedness(%a: tensor<2x3xi8>) -> tensor<2x5xi32> {
  %b = lathe.constant dense<[[129, 130, 131, 132, 133], [134, 135, 136, 137, 138], [127, 126, 125, 124, 123]]> : tensor<3x5xui8>
  %za = lathe.constant dense<-2> : tensor<i8>
  %zb = lathe.constant dense<128> : tensor<ui8>
  %y = lathe.matmul_integer %a, %b, %za, %zb : (tensor<2x3xi8>, tensor<3x5xui8>, tensor<i8>, tensor<ui8>) -> tensor<2x5xi32>
  return %y : tensor<2x5xi32>
}

// -----

// For AArch64's sdot (signed by signed bytes): the unsigned a is read as
// a - 128 with za 3 - 128 = -125, the signed weights stay: the term is
// -125 * colsum = -125 * [6, 7, 8, 9, 10].
// ARM-LABEL: func.func @arm_signedness
// ARM-SAME: %[[A:[a-z0-9]+]]: tensor<2x3xui8>
// ARM-DAG: %[[TERM:.+]] = lathe.constant dense<[-750, -875, -1000, -1125, -1250]> : tensor<5xi32>
// ARM-DAG: %[[OFFSET:.+]] = lathe.constant dense<-128> : tensor<i32>
// ARM-DAG: %[[P:.+]] = lathe.constant dense<{{\[}}{{\[}}{{\[}}[1, 6], [2, 7], [3, 8], [4, 9]], {{.*}} : tensor<2x2x4x2xi8>
// ARM: %[[WIDE:.+]] = lathe.cast %[[A]] {to = i32}
// ARM: %[[SHIFTED:.+]] = lathe.add %[[WIDE]], %[[OFFSET]]
// ARM: %[[S:.+]] = lathe.cast %[[SHIFTED]] {to = i8} : (tensor<2x3xi32>) -> tensor<2x3xi8>
// ARM: %[[RAW:.+]] = lathe.matmul_integer_packed %[[S]], %[[P]] {columns = 5 : i64} : (tensor<2x3xi8>, tensor<2x2x4x2xi8>) -> tensor<2x5xi32>
// ARM: %[[Y:.+]] = lathe.sub %[[RAW]], %[[TERM]]
// ARM: return %[[Y]]
func.func @arm_signedness(%a: tensor<2x3xui8>) -> tensor<2x5xi32> {
  %b = lathe.constant dense<[[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [-1, -2, -3, -4, -5]]> : tensor<3x5xi8>
  %za = lathe.constant dense<3> : tensor<ui8>
  %zb = lathe.constant dense<0> : tensor<i8>
  %y = lathe.matmul_integer %a, %b, %za, %zb : (tensor<2x3xui8>, tensor<3x5xi8>, tensor<ui8>, tensor<i8>) -> tensor<2x5xi32>
  return %y : tensor<2x5xi32>
}
