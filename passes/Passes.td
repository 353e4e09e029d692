//===- Passes.td - lathe's target-independent passes ----------------------===//
#ifndef LATHE_PASSES_TD
#define LATHE_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertLatheToLinalg : Pass<"convert-lathe-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower lathe ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Every lathe op becomes structured ops on tensors (mostly linalg.generic,
    so that later tiling, fusion and vectorization see one form). An op with
    no lowering is an error that names it: the CPU and Hexagon targets call
    this pass after partitioning, so it sees only ops they claim.
  }];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect",
    "mlir::arith::ArithDialect", "mlir::math::MathDialect", "mlir::scf::SCFDialect",
    "mlir::memref::MemRefDialect", "mlir::bufferization::BufferizationDialect",
    "mlir::vector::VectorDialect"
  ];
  let options = [
    Option<"attentionColumns", "attention-columns", "int64_t", "32",
           "columns of one row's vector of sums in the attention kernel: the "
           "target's register tile width (0: the linalg form)">
  ];
}

def RecognizeNorms : Pass<"lathe-recognize-norms", "mlir::func::FuncOp"> {
  let summary = "Recognize layer and RMS normalization written out of primitive ops";
  let description = [{
    Exporters write layer normalization as
      d = x - mean(x); y = d / sqrt(mean(d^2) + eps) [* gamma] [+ beta]
    and RMS normalization as
      y = x / sqrt(mean(x^2) + eps) [* gamma]   (or x * 1/sqrt(...))
    over the trailing dims (squares as Pow(v, 2) or v * v). Each chain
    becomes one lathe.layer_norm or lathe.rms_norm, taking constant gamma
    (and beta) that broadcast over the normalized dims. Nothing else may use
    the chain's intermediate values.
  }];
}

def RecognizeActivations : Pass<"lathe-recognize-activations", "mlir::func::FuncOp"> {
  let summary = "Recognize GELU and SiLU written out of primitive ops";
  let description = [{
    x * 0.5 * (1 + erf(x / sqrt(2))) (the factors in any grouping, the
    division as a multiply by 1/sqrt(2) or not) becomes lathe.gelu, and
    x * sigmoid(x) becomes lathe.silu, when nothing else uses the pieces.
  }];
}

def FoldBatchNorm : Pass<"lathe-fold-batch-norm", "mlir::func::FuncOp"> {
  let summary = "Fold inference batch normalization into the preceding convolution or matrix product";
  let description = [{
    batch_norm(conv(x, W, b)) with constant W, b and batch-norm parameters,
    and no other user of the convolution, becomes conv(x, W', b') with
    W'[m] = W[m] * a[m] and b'[m] = (b[m] - mean[m]) * a[m] + beta[m],
    a = scale / sqrt(variance + epsilon), computed at compile time. A Gemm
    or a 2-D MatMul with constant B likewise becomes a Gemm with B's
    columns scaled and the bias shifted.
  }];
}

def IntegerQdqGroups : Pass<"lathe-integer-qdq-groups", "mlir::func::FuncOp"> {
  let summary = "Run quantized matmuls and convolutions (QDQ groups) in integers";
  let description = [{
    Q(relu?(DQ(x) * DQ(w) + DQ(bias)?), sy, zy), a matmul, Gemm or convolution
    between DequantizeLinear and QuantizeLinear as exporters and ONNX
    Runtime's quantizer write it (and as QLinearMatMul and QLinearConv
    import), becomes lathe.matmul_integer (a Gemm's transposed weight
    transposed at compile time) or an i32 lathe.conv of the 8-bit
    operands with the zero points folded in, the bias added in the
    accumulator's scale sx * sw, a ReLU as max(acc, 0), and
    lathe.requantize(acc, sx * sw / sy, zy) as the epilogue. Needs constant
    scales and zero points, activations per tensor and weights per tensor or
    per output channel; a group that cannot run in integers stays in float
    with a remark that says why. QuantizeLinear of a constant read only by
    DequantizeLinear (PyTorch's fake-quantized weights) is quantized at
    compile time.
  }];
}

def FuseElementwise : Pass<"lathe-fuse-elementwise", "mlir::func::FuncOp"> {
  let summary = "Fuse chains of elementwise ops into one, without recomputation";
  let description = [{
    Upstream elementwise fusion, allowed where the consumer reads the
    producer element for element (a permutation map), or where the consumer
    is elementwise and the producer cheap arithmetic (no division, no math
    function). Otherwise fusion would recompute the producer for every
    element it is broadcast to: a per-row square root inside a per-element
    division, or a scaled operand inside every row of a matmul.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def FormKernels : Pass<"lathe-form-kernels", "mlir::func::FuncOp"> {
  let summary = "Make each reduction, its initializer and its elementwise epilogue one loop nest";
  let description = [{
    On linalg ops over tensors: an elementwise op that consumes a reduction
    (a convolution, matmul, pooling or reduce) used nowhere else is tiled
    along its outer dims, and the reduction and its initializing fill are
    fused into the tile: one loop nest computes a row of the reduction and
    applies the epilogue to it. A reduction without such a consumer is tiled
    with its fill alone. The innermost dim stays whole so it vectorizes.
    A contraction over packed panels (lathe-pack-weights) is tiled
    one panel wide and a block of rows high, a multiple of `register-rows`.
    Any other kernel is tiled along its outer parallel dims alone. The
    tiles of a kernel form one scf.forall: they write disjoint slices and
    split no reduction, so they may run on several threads
    (lathe-outline-parallel-loops) and compute the same bits.
  }];
  let options = [
    Option<"registerRows", "register-rows", "int64_t", "6",
           "rows of the vectorizer's register tile over packed panels">
  ];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::tensor::TensorDialect"];
}

def FusePads : Pass<"lathe-fuse-pads", "mlir::func::FuncOp"> {
  let summary = "Kernels write their results into the interior of the padded tensor read next";
  let description = [{
    A static tensor.pad with a constant padding value whose source is the
    only use of a kernel's result (an scf.forall of tiles or a structured
    op) written into a fresh tensor: the padded tensor is made and filled
    before the kernel, the kernel's destination becomes the slice of it the
    source occupies, and the pad becomes the insertion of the kernel's
    result at that place, which bufferization leaves out. No copy of the
    kernel's result into the padded buffer remains.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect"];
}

def DistinctResults : Pass<"lathe-distinct-results", "mlir::func::FuncOp"> {
  let summary = "Give every function result a value of its own";
  let description = [{
    A graph may name one tensor as several outputs. Each output is written to
    its own buffer, so a result that repeats an earlier one is copied
    (linalg.copy into a new tensor) before bufferization.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect"];
}

def CountKernels : Pass<"lathe-count-kernels", "mlir::ModuleOp"> {
  let summary = "records the number of kernels a lowered partition runs";
  let description = [{
    Sets `lathe.kernels` on the module to the number of top-level loop nests
    of its functions, counted on linalg on tensors after fusion: a tiled
    group (`scf.for`), a linalg op, or the copy a pad or an insertion makes.
    `--stats` reports it.
  }];
}

def ExternalizeConstants : Pass<"lathe-externalize-constants", "mlir::ModuleOp"> {
  let summary = "Read constant buffers from the artifact's constant section";
  let description = [{
    After bufferization, each memref.global constant used by the entry
    function becomes a view at a fixed offset of a `constants` argument (the
    artifact's constant section, mapped by the runtime and never copied).
    The offsets and bytes are recorded on the module (`lathe.constants`).
    Globals marked `lathe.code_table` (a transform's coefficients) stay in
    the code, where LLVM reads their values at compile time.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect", "mlir::arith::ArithDialect"];
}

def PlanArena : Pass<"lathe-plan-arena", "mlir::ModuleOp"> {
  let summary = "Place every intermediate buffer at an offset of one arena";
  let description = [{
    Replaces each statically shaped memref.alloc in the entry function with a
    view into an `arena` argument, at an offset chosen from buffer lifetimes
    in execution order (greedy, best fit, under a few orders), and removes
    the deallocations. An elementwise op reading a buffer for the last time
    may write its result in place of it. The arena size is recorded on the module
    (`lathe.arena_bytes`), with the sum of all buffers (`lathe.naive_bytes`)
    and the largest total live at one step (`lathe.arena_lower_bound_bytes`).
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect", "mlir::arith::ArithDialect"];
}

def ReorderForPeakMemory : Pass<"lathe-reorder-for-peak-memory", "mlir::func::FuncOp"> {
  let summary = "Reorder a function's top-level ops to lower the bytes live at once";
  let description = [{
    List scheduling over the top-level ops (the kernels, after kernel
    formation): among the ops whose operands are computed, run first the
    one that adds the fewest bytes net of the bytes it frees (ties in source
    order). Buffers follow bufferization: a destination-style op or loop
    writes into its init's buffer, views share their source's, returned
    values live in the caller's. Ops without operands (constants, empty
    tensors) move right before their first user. The new order replaces
    the source order only if its peak of live bytes is lower.
  }];
}

def OutlineParallelLoops : Pass<"lathe-outline-parallel-loops", "mlir::ModuleOp"> {
  let summary = "Hand each kernel's independent tiles to the runtime's threads";
  let description = [{
    On buffers, before the arena plan: the entry gains a last argument, the
    runtime's kernel services (an !llvm.ptr marked lathe.services). Each
    scf.forall at the top of the entry with enough work becomes a private
    function running its iterations [begin, end) in linearized order, and a
    call to the declaration `lathe_parallel_for.<function>` with the
    services, the buffers the body reads, the iteration count and a grain
    (the fewest iterations worth a range of their own). Pure ops that
    compute the body's views are computed again inside it, so its arguments
    are buffers (the entry's, or allocations the arena plan places); the
    tile's own intermediates go on the stack of the thread, allocated once
    per range. Emitting the object defines the
    declaration (targets/llvm). Foralls with too little work stay where
    they are and run on the calling thread.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect", "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect", "mlir::func::FuncDialect"];
}

def CopiesToLinalg : Pass<"lathe-copies-to-linalg", "mlir::func::FuncOp"> {
  let summary = "Turn memref.copy into linalg.copy";
  let description = [{
    Bufferization copies with memref.copy, whose LLVM lowering calls a
    support library for strided buffers. As linalg.copy it becomes loops in
    the generated code, which then needs nothing from outside.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def ConvertConvToChannelsLast : Pass<"lathe-conv-channels-last", "mlir::func::FuncOp"> {
  let summary = "Run convolutions with constant weights channels last (NHWC)";
  let description = [{
    conv(x, W) becomes transpose(conv_nhwc(transpose(x), W'), back) with W'
    laid out (kernel..., C/group, M) at compile time, so the innermost loop
    of the convolution runs over contiguous filters. The transposes are left
    for lathe-sink-transposes to cancel. A convolution whose weights are not
    a constant f32 tensor keeps its layout.
  }];
}

def SinkTransposes : Pass<"lathe-sink-transposes", "mlir::func::FuncOp"> {
  let summary = "Sink transposes below layout-agnostic ops so that inverse pairs cancel";
  let description = [{
    A transpose moves below elementwise ops, broadcasting binary ops whose
    other operands are transposed the same way or constant (the constants
    are transposed at compile time), concatenation (the axis permuted),
    resizing (sizes and scales permuted), global average pooling (a mean
    over the permuted spatial dims) and layer normalization whose permuted
    axes stay adjacent (constant scale and bias transposed). Two transposes that meet compose, and
    cancel when inverse. A transpose left that moves only unit dims becomes
    a reshape.
  }];
}

def PackWeights : Pass<"lathe-pack-weights", "mlir::func::FuncOp"> {
  let summary = "Pack constant matmul, gemm and convolution weights in panels for the register tile";
  let description = [{
    matmul(a, B) with B a constant f32 (K, N) matrix becomes
    lathe.matmul_packed(a, P) with P = B's columns in panels of
    `tile-columns`, laid out (panel, K, tile) at compile time and the last
    panel padded with zeros. A gemm with constant b becomes the same, transB
    and alpha applied to P, plus an add of its bias (beta applied to a
    constant bias at compile time). A channels-last convolution of group 1
    with constant f32 weights (kernel..., C, M) gets them as (panel,
    kernel..., C, tile) and `filters = M`. Not packed: runtime or non-f32
    weights, a transposed a, a bias scaled by a runtime beta, grouped and
    depthwise convolutions, and products with fewer than half a panel of
    columns.
  }];
  let options = [
    Option<"tileColumns", "tile-columns", "int64_t", "16",
           "columns per panel: the width of the kernel's register tile">
  ];
}

def ConvTransposeAsConv : Pass<"lathe-conv-transpose-as-conv", "mlir::func::FuncOp"> {
  let summary = "Upsampling transposed convolutions as 1x1 convolutions and a block rearrangement";
  let description = [{
    A 2-D transposed convolution (group 1, f32, constant weights) whose
    stride equals its kernel, without dilation or padding, paints each
    input pixel into a block of its own. It becomes a 1x1 convolution to
    Cout * kH * kW channels (filter (co, a, b) reads weight (ci, co, a, b),
    re-laid out at compile time; the bias repeated per block position) and
    a reshape to (N, Cout, kH, kW, H, W), a transpose to
    (N, Cout, H, kH, W, kW) and a reshape to the result: no multiplication
    by the zeros a strided transposed convolution inserts, and a matmul the
    layout passes pack.
  }];
}

def WinogradConvolutions : Pass<"lathe-winograd-convolutions", "mlir::func::FuncOp"> {
  let summary = "3x3 convolutions at stride 1 as Winograd F(4x4, 3x3): a quarter of the multiplications";
  let description = [{
    A channels-last 2-D convolution (group 1, f32, constant weights, not yet
    packed) with a 3x3 window at stride 1 without dilation, at least
    `min-channels` input and output channels and an output of at least 4x4,
    becomes lathe.winograd_input (the padded image cut into 6x6 tiles at a
    step of 4, each d transformed to B^T d B), a batch of 36 matmuls against
    the filters transformed to G g G^T at compile time (a constant the
    packing pass lays out in panels), and lathe.winograd_output (A^T m A,
    plus the bias, cut to the output's size). Kept direct: strided, dilated,
    grouped and depthwise convolutions, other windows, runtime weights.
  }];
  let options = [
    Option<"minChannels", "min-channels", "int64_t", "16",
           "fewest input and output channels for which the transforms pay off">
  ];
}

def UnrollShortLoops : Pass<"lathe-unroll-short-loops", "mlir::func::FuncOp"> {
  let summary = "Unroll innermost loops of a few trips into the loop around them";
  let description = [{
    An scf.for with a static trip count of at most `max-trips`, holding no
    loop, is unrolled completely as long as the unrolled body stays within
    `max-ops` operations; innermost first, so a short nest (a Winograd
    transform's six outputs of six terms each) unrolls from the inside out.
    The loop around it is then straight-line code LLVM vectorizes, and
    indices into constant tables become constants LLVM folds.
  }];
  let options = [
    Option<"maxTrips", "max-trips", "int64_t", "8", "most trips of a loop to unroll">,
    Option<"maxOps", "max-ops", "int64_t", "512", "most operations of an unrolled body">
  ];
  let dependentDialects = ["mlir::scf::SCFDialect"];
}

def ConvertLinearToConv : Pass<"lathe-linear-to-conv", "mlir::func::FuncOp"> {
  let summary = "Matmuls and gemms with constant weights as 1x1 convolutions over (B, C, 1, S)";
  let description = [{
    For targets whose convolution engine is their fast path (the Apple
    Neural Engine): matmul(a, W) with a (batch..., S, K) and W a constant f32
    (K, N) becomes a 1x1 convolution of a laid out (B, K, 1, S) (B the batch
    dims together) with weights (N, K, 1, 1), and its (B, N, 1, S) result is
    laid back out (batch..., S, N). A gemm with constant b (a not
    transposed) is the same with S = M, alpha folded into the weights and a
    constant bias (beta applied) as the convolution's bias. The transposes
    at the edges are left for lathe-sink-transposes to cancel between
    consecutive layers. With `position-multiple`, S is zero-padded to a
    multiple of it (the ANE's last axis in whole 64-byte lines: 32 fp16
    values) and the padding sliced off the result.
  }];
  let options = [
    Option<"positionMultiple", "position-multiple", "int64_t", "1",
           "pad the S positions to a multiple of this many">
  ];
}

def SplitAttentionHeads : Pass<"lathe-split-attention-heads", "mlir::func::FuncOp"> {
  let summary = "Attention over (batch, heads, L, D) as one attention per head";
  let description = [{
    For the Apple Neural Engine, which runs attention best one head at a
    time: lathe.attention whose operands have a heads dim (the third from
    last) above 1 becomes one attention per head over slices of q, k and v,
    concatenated along the heads dim. With `head-dim-multiple`, q, k and v
    are first zero-padded along their last dim (D, Dv) to a multiple of it
    and the result sliced back to Dv (exact: zero columns add nothing to
    q k^T); 32 makes whole 64-byte lines of fp16.
  }];
  let options = [
    Option<"headDimMultiple", "head-dim-multiple", "int64_t", "1",
           "pad D and Dv with zeros to a multiple of this">
  ];
}

def PackIntegerWeights : Pass<"lathe-pack-integer-weights", "mlir::func::FuncOp"> {
  let summary = "Pack constant 8-bit matmul weights for dot-product instructions";
  let description = [{
    matmul_integer(a, B, a_zero_point, b_zero_point) with B a constant 8-bit
    (K, N) matrix and a constant b_zero_point becomes
    lathe.matmul_integer_packed(a, P), the raw sum of products, with P laid
    out for instructions that multiply `depth` bytes of a row of a with
    `depth` rows of `tile-columns` columns at once: (ceil(N / tile),
    ceil(K / depth), tile, depth), zero-padded. The zero points come back as
    terms subtracted from the product, from
      sum_k (a - za)(b - zb) = sum_k a b - zb sum_k a - za (sum_k b - K zb),
    the column sums of B computed at compile time and the row sums of a only
    where zb is not zero. Not packed: runtime weights or b zero points,
    batched B, and products with fewer than half a panel of columns.
    With `unsigned-lhs` (x86's vpdpbusd multiplies unsigned by signed bytes)
    the product is brought to that form: unsigned weights are stored less
    128 (and zb with them), a signed a is read as a + 128, an unsigned byte
    (and za with it); the zero-point terms then hold the product unchanged.
    With `signed-lhs` (AArch64's sdot and smmla multiply signed by signed bytes) the
    weights are brought to signed bytes alike and an unsigned a is read as
    a - 128, a signed byte (and za with it).
  }];
  let options = [
    Option<"tileColumns", "tile-columns", "int64_t", "32",
           "columns per panel: the 32-bit lanes of one dot-product instruction">,
    Option<"depth", "depth", "int64_t", "4",
           "rows of B one lane sums: the bytes per 32-bit lane">,
    Option<"unsignedLhs", "unsigned-lhs", "bool", "false",
           "pack for unsigned a times signed weights (x86 vpdpbusd)">,
    Option<"signedLhs", "signed-lhs", "bool", "false",
           "pack for signed a times signed weights (AArch64 sdot)">
  ];
}

def VectorizeIntegerPanels : Pass<"lathe-vectorize-integer-panels", "mlir::func::FuncOp"> {
  let summary = "Dot-product instruction kernels (Hexagon vrmpy, x86 vpdpbusd, AArch64 sdot and smmla) for 8-bit contractions over packed panels";
  let description = [{
    On buffers: a contraction of 8-bit a with 8-bit panels of `lanes`
    columns x 4 rows (lathe.matmul_integer_packed lowered to linalg) becomes
    loops around a dot-product instruction: per row of a and panel, 4 bytes
    of the row are splat to every 32-bit lane and multiplied with one panel
    row (one register), each lane summing its 4 products into its 32-bit
    accumulator. Rows go `rows` at a time, sharing each panel load, and
    panels `panels` at a time, sharing each row's splat: rows x panels
    accumulators stay in registers through the reduction.
    `instruction` is one of
      - hexagon-vrmpy: HVX vrmpy on 128-byte vectors (32 lanes); unsigned x
        signed bytes use vrmpybus, unsigned x unsigned vrmpyub, signed x
        signed vrmpyb; signed a with unsigned panels swaps the operands;
      - x86-vpdpbusd-512: AVX512-VNNI vpdpbusd on 64 bytes (16 lanes);
      - x86-vpdpbusd-256: AVX-VNNI (or AVX512-VNNI with VL) on 32 bytes
        (8 lanes);
      - aarch64-sdot: the Armv8.2 dot product (FEAT_DotProd) on 16-byte NEON
        registers (4 lanes), sdot for signed x signed bytes and udot for
        unsigned x unsigned;
      - aarch64-smmla: the 8-bit matrix multiply (FEAT_I8MM) over panels of 2
        columns x 8 rows: two rows of a (8 bytes each) by one panel row per
        instruction, 2 x 2 sums in one register (smmla signed, ummla
        unsigned); tiles of a pair of rows by 4 panels.
    vpdpbusd multiplies unsigned a by signed panels, sdot/udot bytes of one
    signedness; other forms are left to the generic loops
    (lathe-pack-integer-weights with unsigned-lhs or signed-lhs writes the
    instructions' forms). LLVM's vectorizers form none of these
    from the generic loops.
  }];
  let options = [
    Option<"instruction", "instruction", "std::string", "\"hexagon-vrmpy\"",
           "the dot-product instruction (hexagon-vrmpy, x86-vpdpbusd-512, x86-vpdpbusd-256, aarch64-sdot, aarch64-smmla)">,
    Option<"rows", "rows", "int64_t", "4", "rows of a per step, sharing each panel load">,
    Option<"panels", "panels", "int64_t", "1",
           "panels per step, sharing each row's splat (dot-product forms)">
  ];
  let dependentDialects = ["mlir::LLVM::LLVMDialect", "mlir::vector::VectorDialect",
                           "mlir::scf::SCFDialect"];
}

def LowerVectorToLlvm : Pass<"lathe-lower-vector-to-llvm", "mlir::ModuleOp"> {
  let summary = "Vector ops to the LLVM dialect with the data layout's index width";
  let description = [{
    What upstream convert-vector-to-llvm does for 1-D vectors (masks
    materialized, broadcasts lowered, then the conversion), but with memref
    descriptors and indices as wide as `index` in the module's data layout:
    upstream always uses 64 bits, which does not meet the 32-bit descriptors
    finalize-memref-to-llvm makes for a 32-bit target (Hexagon).
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def HoistInvariantLoads : Pass<"lathe-hoist-invariant-loads", "mlir::func::FuncOp"> {
  let summary = "Hoist loop-invariant loads from buffers the loop does not write";
  let description = [{
    On loops over the arena-planned buffers: a memref.load whose memref and
    indices are defined outside an scf.for moves before it when no store in
    the loop may write the same bytes. Two views of the arena alias only if
    their byte ranges overlap; distinct function arguments never alias (the
    runtime passes separate input, output, constant and arena buffers).
    LLVM then sees a loop-invariant scalar and vectorizes the loop.
  }];
}

def VectorizePanelContractions
    : Pass<"lathe-vectorize-panel-contractions", "mlir::func::FuncOp"> {
  let summary = "Turn contractions over packed panels into register tiles of vector code";
  let description = [{
    On buffers: a linalg op computing out[..., m, n] += a[..., m, k...] *
    panels[n floordiv tile, k..., n mod tile] in f32 (the form of
    lathe.matmul_packed) becomes loops over panels and blocks of
    `register-rows` rows, each keeping one vector accumulator of the panel's
    width per row in registers through the reduction: per step one panel
    row load, and per row one broadcast and one vector.fma. A panel narrower
    than the tile is read and written under a mask; rows left over run one
    at a time. Contractions whose panel or result rows are not contiguous
    are left alone. With `vector-width`, a channelwise contraction
    out[..., m, c] += a[..., f(m, k), c] * w[k..., c] (a depthwise
    convolution) becomes the same tile with channels as its columns,
    `vector-width` at a time: per step one weight vector and, per row, one
    input vector.
  }];
  let options = [
    Option<"registerRows", "register-rows", "int64_t", "6",
           "rows of a register tile (accumulators: rows x one panel)">,
    Option<"vectorWidth", "vector-width", "int64_t", "0",
           "floats per vector register for channelwise tiles (0: none)">
  ];
  let dependentDialects = [
    "mlir::affine::AffineDialect", "mlir::arith::ArithDialect", "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect", "mlir::memref::MemRefDialect"
  ];
}

def ApproximateMath : Pass<"lathe-approximate-math", "mlir::func::FuncOp"> {
  let summary = "Expand f32 exp, expm1, tanh, erf and log functions into inline polynomials";
  let description = [{
    Each f32 math.exp, expm1, tanh, erf, log, log1p and log2 becomes MLIR's
    polynomial approximation (a few ulp), plain arithmetic that vectorizes
    with the loop around it, instead of a scalar libm call per element.
    Other math functions and other element types keep their libm calls,
    unless `all` is set: for a target without libm (the Hexagon DSP side),
    tan, the hyperbolic functions and powf are first expanded into exp and
    log, and sin, cos, asin, acos, atan and cbrt are approximated as well.
  }];
  let options = [
    Option<"all", "all", "bool", /*default=*/"false",
           "Approximate every f32 function MLIR has a polynomial for">
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::math::MathDialect", "mlir::vector::VectorDialect"
  ];
}

def RecognizeAttention : Pass<"lathe-recognize-attention", "mlir::func::FuncOp"> {
  let summary = "Recognize scaled dot-product attention written as MatMul/Softmax/MatMul";
  let description = [{
    matmul(softmax(matmul(q, kT) [/ c | * c] [+ mask], axis = -1), v) with
    q, kT and v of one rank and the same batch dims, and no other user of the
    scores or the probabilities, becomes lathe.attention(q, k, v, scale): k
    is kT's input when kT transposes the last two dims, else a transpose of
    kT. A causal mask (Trilu of -inf above a diagonal, or a constant of that
    pattern) becomes `causal_offset`; any other mask of the scores' element
    type that broadcasts to them (an encoder's padding mask, computed at run
    time) becomes the kernel's additive `mask` operand. Keys and values
    whose heads were repeated for grouped-query attention (Reshape, Expand
    over a new dim after the heads, Reshape) are read before the repeat.
  }];
}

def RecognizeRotaryEmbedding : Pass<"lathe-recognize-rotary-embedding", "mlir::func::FuncOp"> {
  let summary = "Recognize the rotate_half rotary position embedding";
  let description = [{
    x * cos + concat(-x[..., D/2:], x[..., :D/2]) * sin over the last dim
    (either operand of the Add and of each Mul first), with cos and sin
    broadcasting to x and no other user of the intermediate values, becomes
    lathe.rotary_embedding(x, cos, sin).
  }];
}

#endif // LATHE_PASSES_TD

def OutlinePartitions : Pass<"lathe-outline-partitions", "mlir::ModuleOp"> {
  let summary = "Group ops by their assigned target and outline each group into a function";
  let description = [{
    Every non-constant op of a function carries `lathe.target` (the target
    the compiler assigned it). Ops are grouped, in program order, into
    partitions of one target each: an op joins the latest partition of its
    target when every value it reads is ready by then, so independent
    branches of two targets do not split each other. Each partition becomes
    a private function `@<function>_step<N>` with `lathe.target` on it
    (constants cloned in, values from other partitions as arguments), and
    the function becomes the plan: one `func.call` per partition, in order.
    Each graph output is a result of its own, so the runtime can give every
    output its own buffer; a graph input or constant returned as is goes
    through the last partition if it is of `default-target` (the fallback
    target, which holds every type of tensor), else through a new partition
    of that target, as does everything of a graph without ops.
  }];
  let options = [
    Option<"defaultTarget", "default-target", "std::string", /*default=*/"\"cpu\"",
           "The target of partitions that only pass graph inputs and constants through">
  ];
  let dependentDialects = ["mlir::func::FuncDialect"];
}
