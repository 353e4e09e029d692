"""The signatures of the MIL ops lathe's ane target writes, as Core ML's
CoreML7 opset (coremltools' iOS17 target) defines them: for each op, its
inputs (name, element types, whether it may be left out, whether it must be
known when the model is compiled, its rank, its length or allowed values),
the type parameters inputs share, and what the result's type is.

Read from coremltools' op definitions (github.com/apple/coremltools,
coremltools/converters/mil/mil/ops/defs/iOS15, iOS16 and iOS17, with
mil/input_type.py and mil/var.py): for the CoreML7 opset an op is its newest
definition at or below iOS17, named in `source` below. Types come from each
definition's input spec and type domains; ranks, lengths and allowed values
from its type inference where it checks them, else from its documented
parameter shapes (marked "documented" in a note). Not coremltools code: a
description of it, for validate_mlpackage.py.

What the fields mean:
- In.types: the element types allowed, or the name of one of the op's type
  parameters (Op.type_params), whose inputs must all have the same type.
- In.const: the value must be known at compile time. coremltools counts as
  such the result of a `const` op and of any constexpr_* op (var.py,
  _propagate_constness_upstream) and a value bound inline.
- In.rank: (lowest, highest), highest None for no bound; or RankOf(...).
- In.length: the number of elements of a rank-1 input: an int, RankOf(...)
  or DimOf(...).
- In.values: the values a const string input may take.
- In.variadic: one or more values bound to the one input (concat's values);
  every other input binds exactly one.
- Op.attributes: the parameters are the op's attributes, not inputs (a
  const's val; a constexpr op's parameters up to iOS17, see coremltools'
  backend/mil/load.py, translate_constexpr).
- Out.dtype / Out.shape: Same(input) for that input's type or shape,
  ValueOf(input) for the type a const string input names, a type name, or
  BROADCAST for the broadcast of x's and y's shapes.
- Op.rules: further checks the definition makes, by name; the validator
  implements them (see its docstring).
"""
from typing import NamedTuple, Optional, Tuple, Union


class RankOf(NamedTuple):
    """times * (rank of input `name` - minus)."""
    name: str
    minus: int = 0
    times: int = 1


class DimOf(NamedTuple):
    """Dimension `axis` of input `name`."""
    name: str
    axis: int


class Same(NamedTuple):
    """The same element type (or shape) as input `name`."""
    name: str


class ValueOf(NamedTuple):
    """The element type named by the const string input `name`."""
    name: str


BROADCAST = "broadcast"


class In(NamedTuple):
    name: str
    types: Union[Tuple[str, ...], str]
    optional: bool = False
    const: bool = False
    rank: Union[Tuple[int, Optional[int]], RankOf, None] = None
    length: Union[int, RankOf, DimOf, None] = None
    values: Optional[Tuple] = None
    variadic: bool = False


class Out(NamedTuple):
    dtype: Union[Same, ValueOf, str, None] = None
    shape: Union[Same, str, None] = None


class Op(NamedTuple):
    inputs: Tuple[In, ...]
    source: str
    type_params: dict = {}
    output: Out = Out()
    attributes: bool = False
    rules: Tuple[str, ...] = ()
    note: str = ""


# Element type names, as MIL's DataType (targets/ane/coreml/MIL.proto).
FLOATS = ("fp16", "fp32")
FLOATS_INT32 = ("fp16", "fp32", "int32")
INT32 = ("int32",)
BOOL = ("bool",)
STRING = ("string",)
SMALL_INTS = ("int8", "uint8", "int16", "uint16")
ANY = ("bool", "string", "fp16", "fp32", "fp64", "bf16", "int8", "int16", "int32", "int64",
       "uint8", "uint16", "uint32", "uint64")

SCALAR = (0, 0)
VECTOR = (1, 1)
ANY_RANK = (0, None)

DEFS = "coremltools/converters/mil/mil/ops/defs/"


def _unary(source, types=FLOATS):
    """x of T, the result x's type and shape."""
    return Op(inputs=(In("x", "T", rank=ANY_RANK),), type_params={"T": types},
              output=Out(Same("x"), Same("x")), source=DEFS + source)


def _binary(source):
    """x and y of one T, broadcast against each other."""
    return Op(inputs=(In("x", "T", rank=ANY_RANK), In("y", "T", rank=ANY_RANK)),
              type_params={"T": FLOATS_INT32}, output=Out(Same("x"), BROADCAST),
              source=DEFS + source, rules=("broadcast",))


def _reduction(source):
    """Reduction over `axes` (all when left out), keeping them as 1 or not."""
    return Op(inputs=(In("x", "T", rank=ANY_RANK),
                      In("axes", INT32, optional=True, const=True, rank=VECTOR),
                      In("keep_dims", BOOL, optional=True, const=True, rank=SCALAR)),
              type_params={"T": FLOATS_INT32}, output=Out(Same("x")),
              source=DEFS + source, rules=("reduce",))


def _with_alpha(source, beta=False):
    """x of T and const scalar parameters of a second type U (iOS17)."""
    inputs = [In("x", "T", rank=ANY_RANK), In("alpha", "U", const=True, rank=SCALAR)]
    if beta:
        inputs.append(In("beta", "U", const=True, rank=SCALAR))
    return Op(inputs=tuple(inputs), type_params={"T": FLOATS, "U": FLOATS},
              output=Out(Same("x"), Same("x")), source=DEFS + source)


def _pool(source, average):
    inputs = (In("x", "T", rank=(3, 5)),
              In("kernel_sizes", INT32, const=True, rank=VECTOR, length=RankOf("x", 2)),
              In("strides", INT32, optional=True, const=True, rank=VECTOR, length=RankOf("x", 2)),
              In("pad_type", STRING, const=True, rank=SCALAR,
                 values=("valid", "same", "custom", "same_lower")),
              In("pad", INT32, optional=True, const=True, rank=VECTOR,
                 length=RankOf("x", 2, 2)),
              In("ceil_mode", BOOL, optional=True, const=True, rank=SCALAR))
    if average:
        inputs += (In("exclude_padding_from_average", BOOL, optional=True, const=True,
                      rank=SCALAR),)
    return Op(inputs=inputs, type_params={"T": FLOATS}, output=Out(Same("x"), None),
              source=DEFS + source, rules=("pool",),
              note="x's rank 3-5 documented; ceil_mode only for 1-D and 2-D pools, not with "
                   "pad_type same, and with symmetric pad (type inference)")


_CONV_COMMON = (
    In("strides", INT32, optional=True, const=True, rank=VECTOR, length=RankOf("x", 2)),
    In("pad_type", STRING, optional=True, const=True, rank=SCALAR,
       values=("valid", "same", "custom", "same_lower")),
    In("pad", INT32, optional=True, const=True, rank=VECTOR, length=RankOf("x", 2, 2)),
    In("dilations", INT32, optional=True, const=True, rank=VECTOR, length=RankOf("x", 2)),
    In("groups", INT32, optional=True, const=True, rank=SCALAR),
)

SIGNATURES = {
    # Elementwise unary (iOS15 elementwise_unary.py, activation.py).
    "abs": _unary("iOS15/elementwise_unary.py", FLOATS_INT32),
    "sign": _unary("iOS15/elementwise_unary.py", FLOATS_INT32),
    "ceil": _unary("iOS15/elementwise_unary.py"),
    "floor": _unary("iOS15/elementwise_unary.py"),
    "cos": _unary("iOS15/elementwise_unary.py"),
    "sin": _unary("iOS15/elementwise_unary.py"),
    "erf": _unary("iOS15/elementwise_unary.py"),
    "exp": _unary("iOS15/elementwise_unary.py"),
    "sqrt": _unary("iOS15/elementwise_unary.py"),
    "tanh": _unary("iOS15/elementwise_unary.py"),
    "relu": _unary("iOS15/activation.py"),
    "sigmoid": _unary("iOS15/activation.py"),
    "silu": _unary("iOS15/activation.py"),
    "softplus": _unary("iOS15/activation.py"),
    "softsign": _unary("iOS15/activation.py"),
    # An epsilon of its own type U since iOS17.
    "inverse": Op(inputs=(In("x", "T", rank=ANY_RANK),
                          In("epsilon", "U", optional=True, const=True, rank=SCALAR)),
                  type_params={"T": FLOATS, "U": FLOATS}, output=Out(Same("x"), Same("x")),
                  source=DEFS + "iOS17/elementwise_unary.py"),
    "log": Op(inputs=(In("x", "T", rank=ANY_RANK),
                      In("epsilon", "U", optional=True, const=True, rank=SCALAR)),
              type_params={"T": FLOATS, "U": FLOATS}, output=Out(Same("x"), Same("x")),
              source=DEFS + "iOS17/elementwise_unary.py"),
    # clip keeps one T for x, alpha and beta; iOS17 wants alpha < beta.
    "clip": Op(inputs=(In("x", "T", rank=ANY_RANK), In("alpha", "T", const=True, rank=SCALAR),
                       In("beta", "T", const=True, rank=SCALAR)),
               type_params={"T": FLOATS}, output=Out(Same("x"), Same("x")),
               source=DEFS + "iOS17/elementwise_unary.py", rules=("alpha_below_beta",)),
    "cast": Op(inputs=(In("x", "T", rank=ANY_RANK),
                       In("dtype", STRING, const=True, rank=SCALAR,
                          values=FLOATS + SMALL_INTS + ("int32", "bool"))),
               type_params={"T": FLOATS + SMALL_INTS + ("int32", "bool")},
               output=Out(ValueOf("dtype"), Same("x")),
               source=DEFS + "iOS17/elementwise_unary.py",
               note="dtype one of T's names (iOS15 cast.type_inference, supported_dtypes)"),
    "elu": _with_alpha("iOS17/activation.py"),
    "leaky_relu": _with_alpha("iOS17/activation.py"),
    "sigmoid_hard": _with_alpha("iOS17/activation.py", beta=True),
    "gelu": Op(inputs=(In("x", "T", rank=ANY_RANK),
                       In("mode", STRING, optional=True, const=True, rank=SCALAR,
                          values=("EXACT", "TANH_APPROXIMATION", "SIGMOID_APPROXIMATION"))),
               type_params={"T": FLOATS}, output=Out(Same("x"), Same("x")),
               source=DEFS + "iOS15/activation.py"),
    "softmax": Op(inputs=(In("x", "T", rank=ANY_RANK),
                          In("axis", INT32, optional=True, const=True, rank=SCALAR)),
                  type_params={"T": FLOATS}, output=Out(Same("x"), Same("x")),
                  source=DEFS + "iOS15/activation.py"),

    # Elementwise binary (iOS15 elementwise_binary.py): one T for x and y.
    "add": _binary("iOS15/elementwise_binary.py"),
    "sub": _binary("iOS15/elementwise_binary.py"),
    "mul": _binary("iOS15/elementwise_binary.py"),
    "real_div": _binary("iOS15/elementwise_binary.py"),
    "pow": _binary("iOS15/elementwise_binary.py"),
    "maximum": _binary("iOS15/elementwise_binary.py"),
    "minimum": _binary("iOS15/elementwise_binary.py"),

    # Reductions (iOS15 reduction.py; iOS17 redefines only the arg ones).
    "reduce_l1_norm": _reduction("iOS15/reduction.py"),
    "reduce_l2_norm": _reduction("iOS15/reduction.py"),
    "reduce_log_sum": _reduction("iOS15/reduction.py"),
    "reduce_log_sum_exp": _reduction("iOS15/reduction.py"),
    "reduce_max": _reduction("iOS15/reduction.py"),
    "reduce_mean": _reduction("iOS15/reduction.py"),
    "reduce_min": _reduction("iOS15/reduction.py"),
    "reduce_prod": _reduction("iOS15/reduction.py"),
    "reduce_sum": _reduction("iOS15/reduction.py"),
    "reduce_sum_square": _reduction("iOS15/reduction.py"),

    # Convolution (iOS17 conv.py): weight and bias of their own type U,
    # neither need be const; a weight that is not const takes no dilation.
    "conv": Op(inputs=(In("x", "T", rank=(3, 5)),
                       In("weight", "U", rank=RankOf("x")),
                       In("bias", "U", optional=True, rank=VECTOR, length=DimOf("weight", 0)))
               + _CONV_COMMON,
               type_params={"T": FLOATS, "U": FLOATS}, output=Out(Same("x"), None),
               source=DEFS + "iOS17/conv.py", rules=("conv",),
               note="x's rank 3-5 documented; weight's rank that of x, strides, dilations "
                    "and pad of its spatial rank (spatial_dimensions_out_shape); C_in / groups "
                    "== weight's dim 1; no dilation with a weight that is not const"),
    "conv_transpose": Op(inputs=(In("x", "T", rank=(3, 5)),
                                 In("weight", "U", rank=RankOf("x")),
                                 In("bias", "U", optional=True, rank=VECTOR),
                                 In("output_shape", INT32, optional=True, const=True, rank=VECTOR,
                                    length=RankOf("x")))
                         + tuple(i._replace(values=("valid", "same", "custom"))
                                 if i.name == "pad_type" else i for i in _CONV_COMMON),
                         type_params={"T": FLOATS, "U": FLOATS}, output=Out(Same("x"), None),
                         source=DEFS + "iOS17/conv.py", rules=("conv_transpose",),
                         note="x's rank 3-5 documented; type inference knows pad_type same, "
                              "valid and custom; output_shape starts [n, C_out]; bias has C_out "
                              "= weight's dim 1 * groups values"),

    # Pools (iOS15 pool.py): pad_type is required.
    "avg_pool": _pool("iOS15/pool.py", average=True),
    "max_pool": _pool("iOS15/pool.py", average=False),

    # Normalizations (iOS17 normalization.py): parameters of their own type U,
    # all const.
    "batch_norm": Op(inputs=(In("x", "T", rank=(3, 5)),
                             In("mean", "U", const=True, rank=VECTOR, length=DimOf("x", 1)),
                             In("variance", "U", const=True, rank=VECTOR, length=DimOf("x", 1)),
                             In("gamma", "U", optional=True, const=True, rank=VECTOR,
                                length=DimOf("x", 1)),
                             In("beta", "U", optional=True, const=True, rank=VECTOR,
                                length=DimOf("x", 1)),
                             In("epsilon", "U", optional=True, const=True, rank=SCALAR)),
                     type_params={"T": FLOATS, "U": FLOATS}, output=Out(Same("x"), Same("x")),
                     source=DEFS + "iOS17/normalization.py",
                     note="x's rank 3-5 and parameters of C values documented"),
    "instance_norm": Op(inputs=(In("x", "T", rank=(3, 4)),
                                In("gamma", "U", optional=True, const=True, rank=VECTOR,
                                   length=DimOf("x", 1)),
                                In("beta", "U", optional=True, const=True, rank=VECTOR,
                                   length=DimOf("x", 1)),
                                In("epsilon", "U", optional=True, const=True, rank=SCALAR)),
                        type_params={"T": FLOATS, "U": FLOATS},
                        output=Out(Same("x"), Same("x")), source=DEFS + "iOS17/normalization.py",
                        note="x's rank 3-4 and parameters of C values documented"),
    "layer_norm": Op(inputs=(In("x", "T", rank=ANY_RANK),
                             In("axes", INT32, optional=True, const=True, rank=VECTOR),
                             In("gamma", "U", optional=True, const=True),
                             In("beta", "U", optional=True, const=True),
                             In("epsilon", "U", optional=True, const=True, rank=SCALAR)),
                     type_params={"T": FLOATS, "U": FLOATS}, output=Out(Same("x"), Same("x")),
                     source=DEFS + "iOS17/normalization.py", rules=("layer_norm",),
                     note="axes within x's rank; gamma and beta of x's shape at axes "
                          "(type inference)"),

    # Linear algebra (iOS17 linear.py).
    "linear": Op(inputs=(In("x", "T", rank=(1, 3)),
                         In("weight", "U", const=True, rank=(2, 2)),
                         In("bias", "U", optional=True, const=True, rank=VECTOR,
                            length=DimOf("weight", 0))),
                 type_params={"T": FLOATS_INT32, "U": FLOATS_INT32},
                 output=Out(Same("x"), None), source=DEFS + "iOS17/linear.py",
                 note="x's rank 1-3 documented; weight's dim 1 == x's last (type inference)"),
    "matmul": Op(inputs=(In("x", "T", rank=(1, None)), In("y", "U", rank=(1, None)),
                         In("transpose_x", BOOL, optional=True, const=True, rank=SCALAR),
                         In("transpose_y", BOOL, optional=True, const=True, rank=SCALAR)),
                 type_params={"T": FLOATS_INT32, "U": FLOATS_INT32}, output=Out(None, None),
                 source=DEFS + "iOS17/linear.py", rules=("matmul",),
                 note="x and y of one type unless exactly one is a const op's; the result of "
                      "the type of the one that is not const (else x's); no transpose of a "
                      "rank-1 operand; x's K equals y's"),

    # Tensor operations and transformations.
    "concat": Op(inputs=(In("values", ("fp16", "fp32", "int32", "bool"), rank=ANY_RANK,
                            variadic=True),
                         In("axis", INT32, const=True, rank=SCALAR),
                         In("interleave", BOOL, optional=True, const=True, rank=SCALAR)),
                 output=Out(Same("values"), None), source=DEFS + "iOS15/tensor_operation.py",
                 rules=("concat",),
                 note="values a tuple (no type check in the input spec; T documented); all of "
                      "one rank and type, equal but along axis (type inference)"),
    "pad": Op(inputs=(In("x", "T", rank=ANY_RANK),
                      In("pad", INT32, rank=VECTOR),
                      In("mode", STRING, optional=True, const=True, rank=SCALAR,
                         values=("constant", "reflect", "replicate")),
                      In("constant_val", "T", optional=True, const=True, rank=SCALAR)),
              type_params={"T": FLOATS}, output=Out(Same("x"), None),
              source=DEFS + "iOS15/tensor_operation.py", rules=("pad",),
              note="pad not const, then 2 * rank(x) values; else an even count, at most "
                   "2 * rank(x), none negative"),
    "shape": Op(inputs=(In("x", "T", rank=ANY_RANK),),
                type_params={"T": ("fp16", "fp32", "int32", "bool")},
                output=Out("int32", None), source=DEFS + "iOS15/tensor_operation.py",
                rules=("shape",)),
    "reshape": Op(inputs=(In("x", "T", rank=ANY_RANK), In("shape", "U", rank=VECTOR)),
                  type_params={"T": FLOATS + SMALL_INTS + ("int32", "bool"),
                               "U": ("int8", "int16", "int32")},
                  output=Out(Same("x"), None), source=DEFS + "iOS17/tensor_transformation.py",
                  rules=("reshape",),
                  note="at most one -1; a 0 takes x's dim counted from the right (iOS17); "
                       "as many elements as x"),
    "transpose": Op(inputs=(In("x", "T", rank=(1, None)),
                            In("perm", INT32, const=True, rank=VECTOR, length=RankOf("x"))),
                    type_params={"T": FLOATS + SMALL_INTS + ("int32", "bool")},
                    output=Out(Same("x"), None), source=DEFS + "iOS17/tensor_transformation.py",
                    rules=("transpose",), note="x at least 1-D documented"),
    "slice_by_index": Op(inputs=(In("x", "T", rank=ANY_RANK),
                                 In("begin", "U", rank=VECTOR, length=RankOf("x")),
                                 In("end", "U", rank=VECTOR, length=RankOf("x")),
                                 In("stride", "U", optional=True, const=True, rank=VECTOR,
                                    length=RankOf("x")),
                                 In("begin_mask", BOOL, optional=True, const=True, rank=VECTOR,
                                    length=RankOf("x")),
                                 In("end_mask", BOOL, optional=True, const=True, rank=VECTOR,
                                    length=RankOf("x")),
                                 In("squeeze_mask", BOOL, optional=True, const=True, rank=VECTOR,
                                    length=RankOf("x"))),
                         type_params={"T": FLOATS + SMALL_INTS + ("int32", "bool"),
                                      "U": ("int8", "int16", "int32")},
                         output=Out(Same("x"), None),
                         source=DEFS + "iOS17/tensor_transformation.py",
                         note="lengths rank(x) documented; stride shares begin's and end's U"),

    # Image resizing: bilinear from iOS16 (half_pixel_centers), nearest
    # from iOS15; x at least rank 3; both scale factors of one U.
    "upsample_nearest_neighbor": Op(
        inputs=(In("x", "T", rank=(3, None)),
                In("scale_factor_height", "U", optional=True, const=True, rank=SCALAR),
                In("scale_factor_width", "U", optional=True, const=True, rank=SCALAR)),
        type_params={"T": FLOATS, "U": ("fp32", "int32")}, output=Out(Same("x"), None),
        source=DEFS + "iOS15/image_resizing.py", rules=("upsample",)),
    "upsample_bilinear": Op(
        inputs=(In("x", "T", rank=(3, None)),
                In("scale_factor_height", "U", optional=True, const=True, rank=SCALAR),
                In("scale_factor_width", "U", optional=True, const=True, rank=SCALAR),
                In("align_corners", BOOL, optional=True, const=True, rank=SCALAR),
                In("half_pixel_centers", BOOL, optional=True, const=True, rank=SCALAR)),
        type_params={"T": FLOATS, "U": ("fp32", "int32")}, output=Out(Same("x"), None),
        source=DEFS + "iOS16/image_resizing.py", rules=("upsample",)),

    # Constants: parameters as attributes.
    "const": Op(inputs=(In("val", ANY, const=True, rank=ANY_RANK),), attributes=True,
                output=Out(Same("val"), Same("val")), source=DEFS + "iOS15/control_flow.py",
                note="T documented as fp16, fp32, int32, string, bool; coremltools writes "
                     "other types too, so any is taken"),
    "constexpr_affine_dequantize": Op(
        inputs=(In("quantized_data", "SrcT", const=True, rank=(1, None)),
                In("zero_point", "ZeroPointT", const=True, rank=(0, 1)),
                In("scale", "DstT", const=True, rank=(0, 1)),
                In("axis", INT32, const=True, rank=SCALAR)),
        type_params={"SrcT": ("uint8", "int8"), "ZeroPointT": ("uint8", "int8", "fp32"),
                     "DstT": FLOATS},
        attributes=True, output=Out(Same("scale"), Same("quantized_data")),
        source=DEFS + "iOS16/constexpr_ops.py"),
}
