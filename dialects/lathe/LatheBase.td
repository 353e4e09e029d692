//===- LatheBase.td - the lathe dialect ------------------------------------===//
//
// The lathe dialect holds a model right after import: ranked tensors with
// static shapes and ONNX semantics. Every ONNX version difference (attributes
// that became inputs, legacy broadcasting, 2-D coerced softmax) is resolved by
// the importer, so each op here has one meaning whatever opset it came from.
//
//===----------------------------------------------------------------------===//

#ifndef LATHE_BASE_TD
#define LATHE_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Lathe_Dialect : Dialect {
  let name = "lathe";
  let cppNamespace = "::lathe";
  let summary = "tensor-level ops with ONNX semantics and static shapes";
  let hasConstantMaterializer = 1;
  // What the compiler records on functions, their arguments and modules for
  // later stages (not attributes of lathe's own ops), declared once here;
  // C++ reaches each by LatheDialect::get<Name>AttrHelper() or its
  // getNameStr().
  let discardableAttrs = (ins
    // The target an op, or the partition outlined from it, runs on.
    "::mlir::StringAttr":$target,
    // The ONNX name of a graph input or output (on func arguments/results).
    "::mlir::StringAttr":$name,
    // Set on a lowered partition's module: its kernels, the arena it uses
    // and what a naive plan or the lower bound would have used, and its
    // constants as one blob (a DenseResourceElementsAttr; on the function
    // argument that carries them, a unit marker).
    "::mlir::IntegerAttr":$kernels,
    "::mlir::IntegerAttr":$arena_bytes,
    "::mlir::IntegerAttr":$naive_bytes,
    "::mlir::IntegerAttr":$arena_lower_bound_bytes,
    "::mlir::Attribute":$constants,
    // Also on a lowered partition's module, for the compile report: each
    // kernel as [op name, ONNX node, ...] (the nodes fused into it), and
    // each arena buffer as [offset, bytes, first, last] (the positions of
    // the entry's ops it lives through).
    "::mlir::ArrayAttr":$kernel_nodes,
    "::mlir::ArrayAttr":$arena_buffers,
    // Marks the function argument that carries the arena.
    "::mlir::UnitAttr":$arena,
    // Marks the function argument that carries the runtime's kernel
    // services (its threads; lathe_kernel_services in artifact_format.h).
    "::mlir::UnitAttr":$services,
    // Marks a constant memref.global that stays in the code rather than in
    // the artifact's constants (lathe-externalize-constants leaves it): a
    // small table of coefficients, indexed with constants once the loops
    // that read it are unrolled, whose values LLVM then folds.
    "::mlir::UnitAttr":$code_table
  );
}

// Every lathe op is side-effect free and infers its result types from its
// operands and attributes; the verifier checks the stored types against them.
class Lathe_Op<string mnemonic, list<Trait> traits = []>
    : Op<Lathe_Dialect, mnemonic,
         !listconcat(traits, [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>])> {
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

// Element types a lathe tensor may hold: ONNX's numeric types and bool (i1).
// Signed integers are signless, unsigned integers are `ui*`.
def Lathe_Tensor : RankedTensorOf<[AnyFloat, AnyInteger]>;
def Lathe_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Lathe_IndexTensor : RankedTensorOf<[I32, I64]>;
def Lathe_BoolTensor : RankedTensorOf<[I1]>;

#endif // LATHE_BASE_TD
