//===- LatheOps.td - lathe dialect ops -------------------------------------===//
//
// Ops are grouped by the shape rule that gives their result type. Ops whose
// rule is shared (elementwise, broadcasting, reductions) get their inference
// from their class; the others declare it and define it in LatheOps.cpp or
// ShapeInference.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef LATHE_OPS_TD
#define LATHE_OPS_TD

include "dialects/lathe/LatheBase.td"

// Signature of InferTypeOpInterface::inferReturnTypes, for class-level
// definitions that forward to a shared rule.
defvar InferSignature = [{
  ::llvm::LogicalResult $cppClass::inferReturnTypes(
      ::mlir::MLIRContext *context, ::std::optional<::mlir::Location> location,
      ::mlir::ValueRange operands, ::mlir::DictionaryAttr attributes,
      ::mlir::OpaqueProperties properties, ::mlir::RegionRange regions,
      ::llvm::SmallVectorImpl<::mlir::Type> &inferredReturnTypes)
}];

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Lathe_ConstantOp : Lathe_Op<"constant", [ConstantLike]> {
  let summary = "a tensor constant (dense, splat or an external resource blob)";
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Lathe_Tensor:$output);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise, one operand, result type = operand type (inferred by ODS from
// SameOperandsAndResultType)
//===----------------------------------------------------------------------===//

class Lathe_UnaryOp<string mnemonic, Type operandType = Lathe_Tensor,
                    list<Trait> traits = []>
    : Lathe_Op<mnemonic, !listconcat(traits, [SameOperandsAndResultType])> {
  let arguments = (ins operandType:$input);
  let results = (outs operandType:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

foreach op = [["abs", "Abs"], ["neg", "Neg"], ["sign", "Sign"], ["relu", "Relu"]] in
  def Lathe_ # op[1] # Op : Lathe_UnaryOp<op[0]>;

foreach op = [["exp", "Exp"], ["log", "Log"], ["sqrt", "Sqrt"],
              ["reciprocal", "Reciprocal"], ["floor", "Floor"], ["ceil", "Ceil"],
              ["round", "Round"], ["sin", "Sin"], ["cos", "Cos"], ["tan", "Tan"],
              ["asin", "Asin"], ["acos", "Acos"], ["atan", "Atan"],
              ["sinh", "Sinh"], ["cosh", "Cosh"], ["asinh", "Asinh"],
              ["acosh", "Acosh"], ["atanh", "Atanh"], ["sigmoid", "Sigmoid"],
              ["tanh", "Tanh"], ["softplus", "Softplus"], ["softsign", "Softsign"],
              ["erf", "Erf"], ["hard_swish", "HardSwish"],
              // Recognized from primitive ops (lathe-recognize-activations):
              // gelu is x * (1 + erf(x / sqrt(2))) / 2, silu is x * sigmoid(x).
              ["gelu", "Gelu"], ["silu", "Silu"]] in
  def Lathe_ # op[1] # Op : Lathe_UnaryOp<op[0], Lathe_FloatTensor>;

def Lathe_NotOp : Lathe_UnaryOp<"not", Lathe_BoolTensor>;

// Elementwise activations with constant parameters.
class Lathe_ParamUnaryOp<string mnemonic, dag params>
    : Lathe_UnaryOp<mnemonic, Lathe_FloatTensor> {
  let arguments = !con((ins Lathe_FloatTensor:$input), params);
}

def Lathe_LeakyReluOp : Lathe_ParamUnaryOp<"leaky_relu", (ins F32Attr:$alpha)>;
def Lathe_EluOp : Lathe_ParamUnaryOp<"elu", (ins F32Attr:$alpha)>;
def Lathe_CeluOp : Lathe_ParamUnaryOp<"celu", (ins F32Attr:$alpha)>;
def Lathe_SeluOp : Lathe_ParamUnaryOp<"selu", (ins F32Attr:$alpha, F32Attr:$gamma)>;
def Lathe_ThresholdedReluOp : Lathe_ParamUnaryOp<"thresholded_relu", (ins F32Attr:$alpha)>;
def Lathe_HardSigmoidOp : Lathe_ParamUnaryOp<"hard_sigmoid", (ins F32Attr:$alpha, F32Attr:$beta)>;
def Lathe_ShrinkOp : Lathe_ParamUnaryOp<"shrink", (ins F32Attr:$bias, F32Attr:$lambd)>;

def Lathe_ClipOp : Lathe_UnaryOp<"clip"> {
  let summary = "clamps to [min, max]; a missing bound is unbounded";
  let arguments = (ins Lathe_Tensor:$input, OptionalAttr<F64Attr>:$min,
                   OptionalAttr<F64Attr>:$max);
  let hasFolder = 1;
}

// Elementwise predicates: bool result of the operand's shape.
class Lathe_PredicateOp<string mnemonic, dag params = (ins)>
    : Lathe_Op<mnemonic, [SameOperandsAndResultShape]> {
  let arguments = !con((ins Lathe_FloatTensor:$input), params);
  let results = (outs Lathe_BoolTensor:$output);
  let extraClassDefinition = InferSignature # [{ {
    return ::lathe::detail::inferWithElementType(operands[0],
        ::mlir::IntegerType::get(context, 1), inferredReturnTypes);
  } }];
}
def Lathe_IsNaNOp : Lathe_PredicateOp<"is_nan">;
def Lathe_IsInfOp : Lathe_PredicateOp<"is_inf",
    (ins BoolAttr:$detect_negative, BoolAttr:$detect_positive)>;

def Lathe_CastOp : Lathe_Op<"cast", [SameOperandsAndResultShape]> {
  let summary = "element type conversion with ONNX Cast rounding and saturation rules";
  let arguments = (ins Lathe_Tensor:$input, TypeAttr:$to);
  let results = (outs Lathe_Tensor:$output);
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise with numpy-style multidirectional broadcasting
//===----------------------------------------------------------------------===//

class Lathe_BroadcastOp<string mnemonic, Type operandType = Lathe_Tensor,
                        Type resultType = operandType, bit boolResult = 0>
    : Lathe_Op<mnemonic> {
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs resultType:$output);
  let extraClassDefinition = InferSignature # [{ {
    return ::lathe::detail::inferBroadcast(location, operands, }] #
        !if(boolResult, "true", "false") # [{, inferredReturnTypes);
  } }];
  let hasFolder = 1;
}

foreach op = [["add", "Add"], ["sub", "Sub"], ["mul", "Mul"], ["div", "Div"],
              ["max", "Max"], ["min", "Min"]] in
  def Lathe_ # op[1] # Op : Lathe_BroadcastOp<op[0]>;

def Lathe_ModOp : Lathe_BroadcastOp<"mod"> {
  let summary = "remainder; fmod = true takes the dividend's sign (C fmod)";
  let arguments = (ins Lathe_Tensor:$lhs, Lathe_Tensor:$rhs, BoolAttr:$fmod);
}
def Lathe_BitShiftOp : Lathe_BroadcastOp<"bit_shift"> {
  let arguments = (ins Lathe_Tensor:$lhs, Lathe_Tensor:$rhs, BoolAttr:$left);
}
def Lathe_PowOp : Lathe_BroadcastOp<"pow"> {
  let summary = "lhs ** rhs; the exponent may have another element type";
}
foreach op = [["and", "And"], ["or", "Or"], ["xor", "Xor"]] in
  def Lathe_ # op[1] # Op : Lathe_BroadcastOp<op[0], Lathe_BoolTensor>;
foreach op = [["equal", "Equal"], ["less", "Less"], ["greater", "Greater"],
              ["less_or_equal", "LessOrEqual"],
              ["greater_or_equal", "GreaterOrEqual"]] in
  def Lathe_ # op[1] # Op : Lathe_BroadcastOp<op[0], Lathe_Tensor, Lathe_BoolTensor, 1>;

def Lathe_PReluOp : Lathe_Op<"prelu"> {
  let summary = "x < 0 ? slope * x : x, slope broadcast to x";
  let arguments = (ins Lathe_Tensor:$input, Lathe_Tensor:$slope);
  let results = (outs Lathe_Tensor:$output);
}

def Lathe_WhereOp : Lathe_Op<"where"> {
  let arguments = (ins Lathe_BoolTensor:$condition, Lathe_Tensor:$lhs, Lathe_Tensor:$rhs);
  let results = (outs Lathe_Tensor:$output);
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

// `axes` are non-negative, sorted and unique; an empty list reduces nothing.
class Lathe_ReduceOp<string mnemonic> : Lathe_Op<mnemonic> {
  let arguments = (ins Lathe_Tensor:$input, DenseI64ArrayAttr:$axes,
                   DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs Lathe_Tensor:$output);
  let extraClassDefinition = InferSignature # [{ {
    Adaptor adaptor(operands, attributes, properties, regions);
    return ::lathe::detail::inferReduce(location, operands[0], adaptor.getAxes(),
                                        adaptor.getKeepdims(), inferredReturnTypes);
  } }];
}
foreach op = [["reduce_sum", "ReduceSum"], ["reduce_mean", "ReduceMean"],
              ["reduce_max", "ReduceMax"], ["reduce_min", "ReduceMin"],
              ["reduce_prod", "ReduceProd"], ["reduce_l1", "ReduceL1"],
              ["reduce_l2", "ReduceL2"], ["reduce_log_sum", "ReduceLogSum"],
              ["reduce_log_sum_exp", "ReduceLogSumExp"],
              ["reduce_sum_square", "ReduceSumSquare"]] in
  def Lathe_ # op[1] # Op : Lathe_ReduceOp<op[0]>;

class Lathe_ArgReduceOp<string mnemonic> : Lathe_Op<mnemonic> {
  let arguments = (ins Lathe_Tensor:$input, I64Attr:$axis, BoolAttr:$keepdims,
                   BoolAttr:$select_last_index);
  let results = (outs RankedTensorOf<[I64]>:$output);
  let extraClassDefinition = InferSignature # [{ {
    Adaptor adaptor(operands, attributes, properties, regions);
    return ::lathe::detail::inferArgReduce(location, operands[0], adaptor.getAxis(),
                                           adaptor.getKeepdims(), inferredReturnTypes);
  } }];
}
def Lathe_ArgMaxOp : Lathe_ArgReduceOp<"arg_max">;
def Lathe_ArgMinOp : Lathe_ArgReduceOp<"arg_min">;

// Normalized exponentials along one axis (ONNX 13 semantics).
class Lathe_AxisNormalizeOp<string mnemonic> : Lathe_Op<mnemonic> {
  let arguments = (ins Lathe_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Lathe_FloatTensor:$output);
  let extraClassDefinition = InferSignature # [{ {
    Adaptor adaptor(operands, attributes, properties, regions);
    return ::lathe::detail::inferSameWithAxis(location, operands[0],
        adaptor.getAxis(), inferredReturnTypes);
  } }];
}
def Lathe_SoftmaxOp : Lathe_AxisNormalizeOp<"softmax">;
def Lathe_LogSoftmaxOp : Lathe_AxisNormalizeOp<"log_softmax">;
def Lathe_HardmaxOp : Lathe_AxisNormalizeOp<"hardmax">;

def Lathe_CumSumOp : Lathe_Op<"cum_sum"> {
  let arguments = (ins Lathe_Tensor:$input, I64Attr:$axis, BoolAttr:$exclusive,
                   BoolAttr:$reverse);
  let results = (outs Lathe_Tensor:$output);
}

//===----------------------------------------------------------------------===//
// Linear algebra and neural-network layers
//===----------------------------------------------------------------------===//

def Lathe_MatMulOp : Lathe_Op<"matmul"> {
  let summary = "numpy matmul: batch dims broadcast, 1-D operands promoted";
  let arguments = (ins Lathe_Tensor:$lhs, Lathe_Tensor:$rhs);
  let results = (outs Lathe_Tensor:$output);
}

// Recognized from MatMul/Softmax/MatMul (lathe-recognize-attention).
def Lathe_AttentionOp : Lathe_Op<"attention"> {
  let summary = "scaled dot-product attention: softmax(q k^T * scale [+ mask]) v over the last dims";
  let description = [{
    q is (batch..., L, D), k is (batch..., S, D), v is (batch..., S, Dv); the
    result is (batch..., L, Dv). Each query row is one step of the fused
    kernel: its S scores, their softmax and its weighted sum of v are
    computed without writing the L x S score matrix.

    Grouped-query attention: k and v may have fewer heads (the third dim from
    last) than q, Hkv dividing H; query head h reads key/value head
    h / (H / Hkv). The other batch dims are the same.

    With `causal_offset` c, query row i sees keys 0..i + c only (the others
    score -inf): c = S - L is the causal mask of a decoder whose first S - L
    keys are the cache of earlier positions.

    `mask`, when given, is added to the scaled scores before the softmax: it
    broadcasts to the scores (batch..., L, S) by numpy's rules, e.g. an
    encoder's (B, 1, 1, S) padding mask computed from its input at run time.
  }];
  let arguments = (ins Lathe_FloatTensor:$query, Lathe_FloatTensor:$key,
                   Lathe_FloatTensor:$value, Optional<Lathe_FloatTensor>:$mask,
                   F32Attr:$scale, OptionalAttr<I64Attr>:$causal_offset);
  let results = (outs Lathe_FloatTensor:$output);
}

// The layout passes' form of a matmul whose right operand is a constant
// matrix (K, N): its columns are packed at compile time into panels of
// `tile` columns, (ceil(N / tile), K, tile), the last panel padded with
// zeros. One panel is what the kernel's register tile reads at each step of
// the reduction, contiguous and in order. A batch of B constant matrices
// (B, K, N), one per matrix of a (B, M, K) left operand, is packed as
// (ceil(N / tile), B, K, tile). Panels of i8 (weight-only quantization) are
// read as their integer values in float; the weights' scales multiply the
// product after it.
def Lathe_MatMulPackedOp : Lathe_Op<"matmul_packed"> {
  let summary = "matmul (batch..., M, K) x ([B,] K, N) with the right operand in column panels";
  let arguments = (ins Lathe_FloatTensor:$lhs, RankedTensorOf<[AnyFloat, I8]>:$packed_rhs,
                   I64Attr:$columns);
  let results = (outs Lathe_FloatTensor:$output);
}

// ONNX MatMulInteger: the zero points are part of the op, lhs_zero_point a
// scalar or one per row of lhs (M), rhs_zero_point a scalar, one per column
// (N) or broadcast like rhs with its K dim 1.
def Lathe_MatMulIntegerOp : Lathe_Op<"matmul_integer"> {
  let summary = "sum_k (lhs - lhs_zero_point) * (rhs - rhs_zero_point) in i32, 8-bit operands";
  let arguments = (ins Lathe_Tensor:$lhs, Lathe_Tensor:$rhs, Lathe_Tensor:$lhs_zero_point,
                   Lathe_Tensor:$rhs_zero_point);
  let results = (outs Lathe_Tensor:$output);
}

// The layout passes' form of an 8-bit matmul whose right operand is a
// constant matrix (K, N), for dot-product instructions that multiply `depth`
// consecutive bytes of a row of lhs with `depth` rows of `tile` columns at
// once (Hexagon's vrmpy: 4 x 32). packed_rhs is (ceil(N / tile),
// ceil(K / depth), tile, depth): element (k, n) at [n / tile, k / depth,
// n % tile, k % depth], zero past K and N. No zero points: the packing pass
// subtracts their terms after the product.
def Lathe_MatMulIntegerPackedOp : Lathe_Op<"matmul_integer_packed"> {
  let summary = "sum_k lhs[..., m, k] * rhs[k, n] in i32, rhs in panels of tile columns x depth rows";
  let arguments = (ins Lathe_Tensor:$lhs, Lathe_Tensor:$packed_rhs, I64Attr:$columns);
  let results = (outs Lathe_Tensor:$output);
}

def Lathe_GemmOp : Lathe_Op<"gemm"> {
  let summary = "alpha * op(a) * op(b) + beta * c, c broadcast to the result";
  let arguments = (ins Lathe_Tensor:$a, Lathe_Tensor:$b, Optional<Lathe_Tensor>:$c,
                   F32Attr:$alpha, F32Attr:$beta, BoolAttr:$trans_a, BoolAttr:$trans_b);
  let results = (outs Lathe_Tensor:$output);
}

// Spatial attributes of convolutions and pools: one entry per spatial dim;
// `pads` holds all begins then all ends, with auto_pad already resolved.
// Float, or i32 for ONNX ConvInteger (imported with its zero points
// subtracted from the widened operands, which pads with the zero point).
def Lathe_ConvOp : Lathe_Op<"conv"> {
  let arguments = (ins Lathe_Tensor:$input, Lathe_Tensor:$weight,
                   Optional<Lathe_Tensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads, I64Attr:$group);
  let results = (outs Lathe_Tensor:$output);
}

// The layout passes' form of a convolution, with channels last: input
// (N, spatial..., C), weight (kernel..., C/group, M), result (N, spatial..., M).
// Each output pixel's M filters are then contiguous, as are the weights of one
// input channel, so the innermost loop runs over filters in unit stride.
// With `filters` set (group 1 only), the weight is packed in panels of `tile`
// filters, (ceil(M / tile), kernel..., C, tile), as a packed matmul's.
def Lathe_ConvNhwcOp : Lathe_Op<"conv_nhwc"> {
  let summary = "convolution on channels-last tensors";
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$weight,
                   Optional<Lathe_FloatTensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads, I64Attr:$group,
                   OptionalAttr<I64Attr>:$filters);
  let results = (outs Lathe_FloatTensor:$output);
}

// lathe-winograd-convolutions' form of a 3x3 convolution at stride 1
// (Lavin and Gray's F(m x m, 3 x 3) with m = `output_tile`, 2 or 4: 16 or
// 36 multiplications per m x m outputs and channel pair instead of 36 or
// 144): these two ops bracket a batch of (m+2)^2 matmuls (T, tiles, C) x
// (T, C, M) with the filters transformed at compile time.
//
// winograd_input pads the channels-last image (N, H, W, C) by `pads` (top,
// left, bottom, right) and with zeros below and right to whole tiles, cuts
// it into (m+2) x (m+2) tiles at a step of m (TH x TW of them per image,
// covering the (H + top + bottom - 2) x (W + left + right - 2) output), and
// transforms each tile d to B^T d B: result ((m+2)^2, N * TH * TW, C).
def Lathe_WinogradInputOp : Lathe_Op<"winograd_input"> {
  let summary = "the transformed input tiles of a F(m x m, 3 x 3) convolution";
  let arguments = (ins Lathe_FloatTensor:$input, DenseI64ArrayAttr:$pads, I64Attr:$output_tile);
  let results = (outs Lathe_FloatTensor:$output);
}

// winograd_output transforms each product p ((m+2)^2, N * TH * TW, M) back
// to its m x m output tile A^T p A, adds the bias (M), and cuts the tiled
// image to `size` (OH, OW): result (N, OH, OW, M).
def Lathe_WinogradOutputOp : Lathe_Op<"winograd_output"> {
  let summary = "the output tiles of a F(m x m, 3 x 3) convolution from its tile products";
  let arguments = (ins Lathe_FloatTensor:$products, Optional<Lathe_FloatTensor>:$bias,
                   DenseI64ArrayAttr:$size, I64Attr:$output_tile);
  let results = (outs Lathe_FloatTensor:$output);
}

def Lathe_ConvTransposeOp : Lathe_Op<"conv_transpose"> {
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$weight,
                   Optional<Lathe_FloatTensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads, DenseI64ArrayAttr:$output_padding,
                   I64Attr:$group);
  let results = (outs Lathe_FloatTensor:$output);
}

// Pools read (N, C, spatial...) or, with `channels_last` (the layout
// passes' form, beside channels-last convolutions), (N, spatial..., C).
def Lathe_MaxPoolOp : Lathe_Op<"max_pool"> {
  let arguments = (ins Lathe_Tensor:$input, DenseI64ArrayAttr:$kernel_shape,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads, BoolAttr:$ceil_mode, UnitAttr:$channels_last);
  let results = (outs Lathe_Tensor:$output);
}

def Lathe_AveragePoolOp : Lathe_Op<"average_pool"> {
  let arguments = (ins Lathe_FloatTensor:$input, DenseI64ArrayAttr:$kernel_shape,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads, BoolAttr:$ceil_mode,
                   BoolAttr:$count_include_pad, UnitAttr:$channels_last);
  let results = (outs Lathe_FloatTensor:$output);
}

def Lathe_LpPoolOp : Lathe_Op<"lp_pool"> {
  let arguments = (ins Lathe_FloatTensor:$input, DenseI64ArrayAttr:$kernel_shape,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads, BoolAttr:$ceil_mode, I64Attr:$p);
  let results = (outs Lathe_FloatTensor:$output);
}

class Lathe_GlobalPoolOp<string mnemonic, dag params = (ins)> : Lathe_Op<mnemonic> {
  let arguments = !con((ins Lathe_FloatTensor:$input), params);
  let results = (outs Lathe_FloatTensor:$output);
  let extraClassDefinition = InferSignature # [{ {
    return ::lathe::detail::inferGlobalPool(location, operands[0], inferredReturnTypes);
  } }];
}
def Lathe_GlobalAveragePoolOp : Lathe_GlobalPoolOp<"global_average_pool">;
def Lathe_GlobalMaxPoolOp : Lathe_GlobalPoolOp<"global_max_pool">;
def Lathe_GlobalLpPoolOp : Lathe_GlobalPoolOp<"global_lp_pool", (ins I64Attr:$p)>;

def Lathe_BatchNormOp : Lathe_Op<"batch_norm"> {
  let summary = "inference batch normalization over dim 1";
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$scale,
                   Lathe_FloatTensor:$bias, Lathe_FloatTensor:$mean,
                   Lathe_FloatTensor:$variance, F32Attr:$epsilon);
  let results = (outs Lathe_FloatTensor:$output);
}

def Lathe_InstanceNormOp : Lathe_Op<"instance_norm"> {
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$scale,
                   Lathe_FloatTensor:$bias, F32Attr:$epsilon);
  let results = (outs Lathe_FloatTensor:$output);
}

def Lathe_LayerNormOp : Lathe_Op<"layer_norm"> {
  let summary = "normalizes over `axes`; scale/bias broadcast against the input along them";
  let description = [{
    ONNX's LayerNormalization normalizes the trailing dims from its axis on;
    the layout passes may move the normalized dims elsewhere (the channels of
    (B, C, S) rather than the last dim of (B, S, C)). `axes` ascend; scale
    and bias broadcast against the input by numpy's rules and vary only
    along `axes`.
  }];
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$scale,
                   Optional<Lathe_FloatTensor>:$bias, DenseI64ArrayAttr:$axes,
                   F32Attr:$epsilon);
  let results = (outs Lathe_FloatTensor:$output);
}

def Lathe_RmsNormOp : Lathe_Op<"rms_norm"> {
  let summary = "x / sqrt(mean(x^2) + epsilon) * scale over the dims from `axis` on";
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$scale, I64Attr:$axis,
                   F32Attr:$epsilon);
  let results = (outs Lathe_FloatTensor:$output);
}

// Recognized from the exporters' rotate_half (lathe-recognize-rotary-embedding).
def Lathe_RotaryEmbeddingOp : Lathe_Op<"rotary_embedding"> {
  let summary = "x * cos + rotate_half(x) * sin over the last dim";
  let description = [{
    rotate_half(x) = concat(-x[..., D/2:], x[..., :D/2]) over the last dim
    of x (D even): the rotary position embedding of the Llama/Qwen family in
    its half-split form. cos and sin broadcast against x by numpy's rules
    (one row per position, shared by the heads). One pass over x: each half
    of a row reads the other half once.
  }];
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$cos,
                   Lathe_FloatTensor:$sin);
  let results = (outs Lathe_FloatTensor:$output);
}

def Lathe_LpNormOp : Lathe_Op<"lp_norm"> {
  let arguments = (ins Lathe_FloatTensor:$input, I64Attr:$axis, I64Attr:$p);
  let results = (outs Lathe_FloatTensor:$output);
}

def Lathe_LrnOp : Lathe_Op<"lrn"> {
  let arguments = (ins Lathe_FloatTensor:$input, F32Attr:$alpha, F32Attr:$beta,
                   F32Attr:$bias, I64Attr:$size);
  let results = (outs Lathe_FloatTensor:$output);
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Lathe_ReshapeOp : Lathe_Op<"reshape"> {
  let summary = "same elements, new static shape (also Flatten, Squeeze, Unsqueeze)";
  let arguments = (ins Lathe_Tensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs Lathe_Tensor:$output);
  let hasFolder = 1;
}

def Lathe_TransposeOp : Lathe_Op<"transpose"> {
  let arguments = (ins Lathe_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Lathe_Tensor:$output);
  let hasFolder = 1;
}

def Lathe_ConcatOp : Lathe_Op<"concat"> {
  let arguments = (ins Variadic<Lathe_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Lathe_Tensor:$output);
  let hasFolder = 1;
}

def Lathe_SplitOp : Lathe_Op<"split"> {
  let arguments = (ins Lathe_Tensor:$input, I64Attr:$axis, DenseI64ArrayAttr:$sizes);
  let results = (outs Variadic<Lathe_Tensor>:$outputs);
}

def Lathe_SliceOp : Lathe_Op<"slice"> {
  let summary = "strided slice; one normalized (start, end, step) per dim";
  let arguments = (ins Lathe_Tensor:$input, DenseI64ArrayAttr:$starts,
                   DenseI64ArrayAttr:$ends, DenseI64ArrayAttr:$steps);
  let results = (outs Lathe_Tensor:$output);
  let hasFolder = 1;
}

def Lathe_GatherOp : Lathe_Op<"gather"> {
  let arguments = (ins Lathe_Tensor:$input, Lathe_IndexTensor:$indices, I64Attr:$axis);
  let results = (outs Lathe_Tensor:$output);
  let hasFolder = 1;
}

def Lathe_GatherElementsOp : Lathe_Op<"gather_elements"> {
  let arguments = (ins Lathe_Tensor:$input, Lathe_IndexTensor:$indices, I64Attr:$axis);
  let results = (outs Lathe_Tensor:$output);
}

def Lathe_GatherNDOp : Lathe_Op<"gather_nd"> {
  let arguments = (ins Lathe_Tensor:$input, RankedTensorOf<[I64]>:$indices,
                   I64Attr:$batch_dims);
  let results = (outs Lathe_Tensor:$output);
}

// reduction: "none", "add", "mul", "max" or "min".
def Lathe_ScatterElementsOp : Lathe_Op<"scatter_elements"> {
  let arguments = (ins Lathe_Tensor:$input, Lathe_IndexTensor:$indices,
                   Lathe_Tensor:$updates, I64Attr:$axis, StrAttr:$reduction);
  let results = (outs Lathe_Tensor:$output);
}

def Lathe_ScatterNDOp : Lathe_Op<"scatter_nd"> {
  let arguments = (ins Lathe_Tensor:$input, RankedTensorOf<[I64]>:$indices,
                   Lathe_Tensor:$updates, StrAttr:$reduction);
  let results = (outs Lathe_Tensor:$output);
}

// The in-place write of a decoder's key/value cache: made by the compile of
// an entry whose cache is session state, in place of the Concat(past, new)
// of a past-key/value export.
def Lathe_CacheWriteOp : Lathe_Op<"cache_write"> {
  let summary = "`cache` with `update` written from the run-time `position` on along `axis`";
  let description = [{
    The result is `cache` except for positions [p, p + n) along `axis`,
    which hold `update` (n its size there; every other dim as the cache's).
    p is `position`'s one element, read at run time and clamped to
    [0, size - n], so no write leaves the cache; whoever owns the cache
    refuses a position past its end before the run. Bufferized onto the
    cache's own buffer, the write touches n positions and copies nothing
    else.
  }];
  let arguments = (ins Lathe_Tensor:$cache, Lathe_Tensor:$update, Lathe_IndexTensor:$position,
                   I64Attr:$axis);
  let results = (outs Lathe_Tensor:$output);
}

def Lathe_ExpandOp : Lathe_Op<"expand"> {
  let summary = "broadcast to `shape` (bidirectionally, as ONNX Expand)";
  let arguments = (ins Lathe_Tensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs Lathe_Tensor:$output);
  let hasFolder = 1;
}

def Lathe_TileOp : Lathe_Op<"tile"> {
  let arguments = (ins Lathe_Tensor:$input, DenseI64ArrayAttr:$repeats);
  let results = (outs Lathe_Tensor:$output);
}

// mode: "constant", "reflect", "edge" or "wrap"; pads: all begins then all ends.
def Lathe_PadOp : Lathe_Op<"pad"> {
  let arguments = (ins Lathe_Tensor:$input, DenseI64ArrayAttr:$pads, StrAttr:$mode,
                   F64Attr:$value);
  let results = (outs Lathe_Tensor:$output);
}

def Lathe_DepthToSpaceOp : Lathe_Op<"depth_to_space"> {
  let arguments = (ins Lathe_Tensor:$input, I64Attr:$blocksize, StrAttr:$mode);
  let results = (outs Lathe_Tensor:$output);
}

def Lathe_SpaceToDepthOp : Lathe_Op<"space_to_depth"> {
  let arguments = (ins Lathe_Tensor:$input, I64Attr:$blocksize);
  let results = (outs Lathe_Tensor:$output);
}

// The output shape is resolved at import (`sizes`); `scales` are the ones the
// coordinate transformation uses (given, or sizes / input dims).
def Lathe_ResizeOp : Lathe_Op<"resize"> {
  let arguments = (ins Lathe_Tensor:$input, DenseI64ArrayAttr:$sizes,
                   DenseF32ArrayAttr:$scales, StrAttr:$mode,
                   StrAttr:$coordinate_transformation_mode, StrAttr:$nearest_mode,
                   F32Attr:$cubic_coeff_a, BoolAttr:$exclude_outside,
                   F32Attr:$extrapolation_value);
  let results = (outs Lathe_Tensor:$output);
}

def Lathe_TriluOp : Lathe_Op<"trilu"> {
  let arguments = (ins Lathe_Tensor:$input, BoolAttr:$upper, I64Attr:$k);
  let results = (outs Lathe_Tensor:$output);
  let hasFolder = 1;
}

def Lathe_OneHotOp : Lathe_Op<"one_hot"> {
  let summary = "values[1] where index == position along `axis`, else values[0]";
  let arguments = (ins Lathe_Tensor:$indices, Lathe_Tensor:$values, I64Attr:$depth,
                   I64Attr:$axis);
  let results = (outs Lathe_Tensor:$output);
}

def Lathe_TopKOp : Lathe_Op<"top_k"> {
  let arguments = (ins Lathe_Tensor:$input, I64Attr:$k, I64Attr:$axis,
                   BoolAttr:$largest, BoolAttr:$sorted);
  let results = (outs Lathe_Tensor:$values, RankedTensorOf<[I64]>:$indices);
}

def Lathe_ReverseSequenceOp : Lathe_Op<"reverse_sequence"> {
  let arguments = (ins Lathe_Tensor:$input, RankedTensorOf<[I64]>:$sequence_lens,
                   I64Attr:$batch_axis, I64Attr:$time_axis);
  let results = (outs Lathe_Tensor:$output);
}

//===----------------------------------------------------------------------===//
// Quantization (linear, per tensor or per `axis`)
//===----------------------------------------------------------------------===//

def Lathe_QuantizeLinearOp : Lathe_Op<"quantize_linear"> {
  let arguments = (ins Lathe_FloatTensor:$input, Lathe_FloatTensor:$scale,
                   Lathe_Tensor:$zero_point, I64Attr:$axis);
  let results = (outs Lathe_Tensor:$output);
}

def Lathe_DequantizeLinearOp : Lathe_Op<"dequantize_linear"> {
  let arguments = (ins Lathe_Tensor:$input, Lathe_FloatTensor:$scale,
                   Lathe_Tensor:$zero_point, I64Attr:$axis);
  let results = (outs Lathe_FloatTensor:$output);
}

// The epilogue of an integer matmul or convolution: its i32 accumulator
// brought to the output's 8-bit scale, saturate(round_half_even(input *
// multiplier) + zero_point), as ONNX's QuantizeLinear rounds. The
// multiplier (input scale x weight scale / output scale, in f32 as ONNX
// Runtime computes it) is a scalar or one per `axis`, as the zero point is
// a scalar.
def Lathe_RequantizeOp : Lathe_Op<"requantize"> {
  let arguments = (ins RankedTensorOf<[I32]>:$input, RankedTensorOf<[F32]>:$multiplier,
                   RankedTensorOf<[I8, UI8, SI8]>:$zero_point, I64Attr:$axis);
  let results = (outs RankedTensorOf<[I8, UI8, SI8]>:$output);
}

#endif // LATHE_OPS_TD
