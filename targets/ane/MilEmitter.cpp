//===- MilEmitter.cpp - an ane partition as a Core ML ML Program ----------===//
//
// Each lathe op maps to one MIL op of opset CoreML7 (or a short sequence:
// attention is two matmuls around a softmax, hard_swish a multiply by
// sigmoid_hard). MIL takes parameters as inputs bound to named `const` ops,
// so every attribute becomes one; lathe's spatial pads (all begins, then all
// ends) become MIL's (begin, end) pairs.
//
//===----------------------------------------------------------------------===//
#include "targets/ane/MilEmitter.h"
#include "targets/ane/MlPackage.h"
#include "targets/ane/WeightBlobWriter.h"

#include "dialects/lathe/LatheDialect.h"
#include "passes/ConstantValues.h"

#include "targets/ane/coreml/MIL.pb.h"
#include "targets/ane/coreml/Model.pb.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <functional>
#include <map>
#include <set>

using namespace mlir;
using namespace lathe;
namespace MIL = CoreML::Specification::MILSpec;
namespace Spec = CoreML::Specification;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Constants with more elements go to weight.bin; fewer stay inline.
constexpr int64_t kInlineElements = 10;
constexpr float kFloat16Max = 65504.0f;

/// `value` as fp16 bits, saturated to fp16's range (`saturated` set then).
uint16_t toFloat16(float value, bool &saturated) {
  if (std::isfinite(value) && std::fabs(value) > kFloat16Max) {
    saturated = true;
    value = std::copysign(kFloat16Max, value);
  }
  llvm::APFloat f(value);
  bool lost;
  f.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven, &lost);
  return uint16_t(f.bitcastToAPInt().getZExtValue());
}

/// Builds the operations of one block, naming every value.
class BlockBuilder {
public:
  BlockBuilder(MIL::Block &block, ane::WeightBlobWriter &weights,
               std::vector<std::string> &warnings)
      : block(block), weights(weights), warnings(warnings) {}

  static MIL::ValueType tensorType(MIL::DataType type, ArrayRef<int64_t> shape) {
    MIL::ValueType value;
    MIL::TensorType *tensor = value.mutable_tensortype();
    tensor->set_datatype(type);
    tensor->set_rank(shape.size());
    for (int64_t d : shape)
      tensor->add_dimensions()->mutable_constant()->set_size(d);
    return value;
  }

  /// A new value name from `stem`, none of the reserved ones.
  std::string fresh(StringRef stem) {
    std::string name;
    do
      name = (stem + "_" + Twine(counter++)).str();
    while (reserved.count(name));
    return name;
  }

  /// A feature's name: `wanted` (the ONNX tensor's) as a MIL identifier
  /// (letters, digits and _, not starting with a digit), else `fallback`;
  /// unique among features and kept from fresh names.
  std::string featureName(StringRef wanted, StringRef fallback) {
    std::string name;
    for (char c : wanted)
      name += llvm::isAlnum(c) || c == '_' ? c : '_';
    if (name.empty() || llvm::isDigit(name.front()))
      name = name.empty() ? fallback.str() : "_" + name;
    std::string unique = name;
    for (int i = 1; reserved.count(unique); ++i)
      unique = name + "_" + std::to_string(i);
    reserved.insert(unique);
    return unique;
  }

  /// An fp16 constant of `shape`.
  std::string constHalf(ArrayRef<float> values, ArrayRef<int64_t> shape, StringRef stem) {
    std::string name = fresh(stem);
    return constant(name, halfValue(values, shape, name));
  }

  /// fp16 `values` of `shape`: inline, or a blob of weight.bin when large.
  MIL::Value halfValue(ArrayRef<float> values, ArrayRef<int64_t> shape, StringRef name) {
    std::vector<uint8_t> bits;
    bits.reserve(values.size() * 2);
    bool saturated = false;
    for (float v : values) {
      uint16_t h = toFloat16(v, saturated);
      bits.push_back(uint8_t(h));
      bits.push_back(uint8_t(h >> 8));
    }
    if (saturated)
      warnings.push_back("constant " + name.str() + " has values outside fp16's range (saturated " +
                         "to +-65504)");
    return bytesValue(MIL::FLOAT16, ane::BlobType::Float16, bits, shape);
  }

  /// `bytes` as a Value of `type` and `shape`: inline, or a blob of
  /// weight.bin (of `blobType`) when it holds more than a few elements.
  MIL::Value bytesValue(MIL::DataType type, ane::BlobType blobType, ArrayRef<uint8_t> bytes,
                        ArrayRef<int64_t> shape) {
    MIL::Value value;
    *value.mutable_type() = tensorType(type, shape);
    int64_t elements = 1;
    for (int64_t d : shape)
      elements *= d;
    if (elements > kInlineElements) {
      MIL::Value::BlobFileValue *blob = value.mutable_blobfilevalue();
      blob->set_filename(ane::kWeightsFileName);
      blob->set_offset(weights.add(blobType, bytes));
    } else {
      value.mutable_immediatevalue()->mutable_tensor()->mutable_bytes()->set_values(
          std::string(bytes.begin(), bytes.end()));
    }
    return value;
  }

  std::string halfScalar(float v, StringRef stem) { return constHalf({v}, {}, stem); }

  /// constexpr_affine_dequantize (iOS16, the form coremltools writes up to
  /// iOS17): 8-bit `data` of `shape` (a blob when large), a zero point of
  /// its type and an fp16 scale, one each or one per index of `axis`; the
  /// result is fp16 of the data's shape, named `output`. Core ML computes
  /// it when it loads the model, so the weights stay 8-bit in weight.bin.
  /// A constexpr op's parameters are its attributes, not its inputs.
  std::string affineDequantize(ArrayRef<int64_t> data, bool isSigned, ArrayRef<int64_t> shape,
                               ArrayRef<int64_t> zeroPoints, ArrayRef<float> scales, int64_t axis,
                               std::string output) {
    MIL::DataType type = isSigned ? MIL::INT8 : MIL::UINT8;
    ane::BlobType blobType = isSigned ? ane::BlobType::Int8 : ane::BlobType::UInt8;
    auto bytes = [](ArrayRef<int64_t> values) {
      std::vector<uint8_t> b;
      for (int64_t v : values)
        b.push_back(uint8_t(v));
      return b;
    };
    // One value, or one per index of the axis.
    auto vector = [](size_t count) {
      return count == 1 ? SmallVector<int64_t>{} : SmallVector<int64_t>{(int64_t)count};
    };
    MIL::Operation *operation = block.add_operations();
    operation->set_type("constexpr_affine_dequantize");
    auto &attributes = *operation->mutable_attributes();
    attributes["quantized_data"] = bytesValue(type, blobType, bytes(data), shape);
    attributes["zero_point"] =
        bytesValue(type, blobType, bytes(zeroPoints), vector(zeroPoints.size()));
    attributes["scale"] = halfValue(scales, vector(scales.size()), output);
    MIL::Value axisValue;
    *axisValue.mutable_type() = tensorType(MIL::INT32, {});
    axisValue.mutable_immediatevalue()->mutable_tensor()->mutable_ints()->add_values(int32_t(axis));
    attributes["axis"] = std::move(axisValue);
    MIL::NamedValueType *result = operation->add_outputs();
    result->set_name(output);
    *result->mutable_type() = tensorType(MIL::FLOAT16, shape);
    nameOp(*operation, output);
    return output;
  }

  std::string floatScalar(float v, StringRef stem) {
    MIL::Value value;
    *value.mutable_type() = tensorType(MIL::FLOAT32, {});
    value.mutable_immediatevalue()->mutable_tensor()->mutable_floats()->add_values(v);
    return constant(fresh(stem), std::move(value));
  }

  /// An int32 constant: a scalar if `scalar`, else a 1-D array.
  std::string ints(ArrayRef<int64_t> values, StringRef stem, bool scalar = false) {
    MIL::Value value = array(MIL::INT32, values.size(), scalar);
    auto *tensor = value.mutable_immediatevalue()->mutable_tensor()->mutable_ints();
    for (int64_t v : values)
      tensor->add_values(int32_t(v));
    return constant(fresh(stem), std::move(value));
  }

  std::string bools(ArrayRef<bool> values, StringRef stem, bool scalar = false) {
    MIL::Value value = array(MIL::BOOL, values.size(), scalar);
    auto *tensor = value.mutable_immediatevalue()->mutable_tensor()->mutable_bools();
    for (bool v : values)
      tensor->add_values(v);
    return constant(fresh(stem), std::move(value));
  }

  std::string string(StringRef s, StringRef stem) {
    MIL::Value value;
    *value.mutable_type() = tensorType(MIL::STRING, {});
    value.mutable_immediatevalue()->mutable_tensor()->mutable_strings()->add_values(s.str());
    return constant(fresh(stem), std::move(value));
  }

  /// An op of `type` whose inputs bind each parameter to values by name;
  /// its one output is named `output` (fresh from the type if empty).
  std::string op(StringRef type, ArrayRef<std::pair<StringRef, std::vector<std::string>>> inputs,
                 MIL::DataType outType, ArrayRef<int64_t> outShape, std::string output = "") {
    if (output.empty())
      output = fresh(type);
    MIL::Operation *operation = block.add_operations();
    operation->set_type(type.str());
    for (const auto &[param, names] : inputs) {
      MIL::Argument &argument = (*operation->mutable_inputs())[param.str()];
      for (const std::string &name : names)
        argument.add_arguments()->set_name(name);
    }
    MIL::NamedValueType *result = operation->add_outputs();
    result->set_name(output);
    *result->mutable_type() = tensorType(outType, outShape);
    nameOp(*operation, output);
    return output;
  }

private:
  /// A Value typed as a scalar or a 1-D array of `count` elements of `type`.
  static MIL::Value array(MIL::DataType type, size_t count, bool scalar) {
    MIL::Value value;
    SmallVector<int64_t> shape;
    if (!scalar)
      shape.push_back(count);
    *value.mutable_type() = tensorType(type, shape);
    return value;
  }

  std::string constant(std::string name, MIL::Value value) {
    MIL::Operation *operation = block.add_operations();
    operation->set_type("const");
    MIL::NamedValueType *result = operation->add_outputs();
    result->set_name(name);
    *result->mutable_type() = value.type();
    (*operation->mutable_attributes())["val"] = std::move(value);
    nameOp(*operation, name);
    return name;
  }

  static void nameOp(MIL::Operation &operation, const std::string &name) {
    MIL::Value value;
    *value.mutable_type() = tensorType(MIL::STRING, {});
    value.mutable_immediatevalue()->mutable_tensor()->mutable_strings()->add_values(name);
    (*operation.mutable_attributes())["name"] = std::move(value);
  }

  MIL::Block &block;
  ane::WeightBlobWriter &weights;
  std::vector<std::string> &warnings;
  int64_t counter = 0;
  std::set<std::string> reserved;
};

using Inputs = std::vector<std::pair<StringRef, std::vector<std::string>>>;

/// Emits the ops of one function, mapping each lathe value to its MIL name.
class FunctionEmitter {
public:
  FunctionEmitter(BlockBuilder &b) : b(b) {}

  void bind(Value v, std::string name) { names[v] = std::move(name); }

  /// The MIL name of `v`; a constant is emitted at its first use.
  std::string operator[](Value v) {
    auto it = names.find(v);
    if (it != names.end())
      return it->second;
    std::optional<std::vector<float>> values = constantFloats(v);
    std::string name = b.constHalf(values ? *values : std::vector<float>(), shapeOf(v), "const");
    names[v] = name;
    return name;
  }

  static ArrayRef<int64_t> shapeOf(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }

  /// Emits `op`; false if it has no MIL form here.
  LogicalResult emit(Operation *op);

private:
  std::string out(Operation *op, StringRef type, Inputs inputs) {
    std::string name = b.op(type, inputs, MIL::FLOAT16, shapeOf(op->getResult(0)));
    names[op->getResult(0)] = name;
    return name;
  }
  std::string unary(Operation *op, StringRef type) {
    return out(op, type, {{"x", {(*this)[op->getOperand(0)]}}});
  }
  std::string binary(Operation *op, StringRef type) {
    return out(op, type, {{"x", {(*this)[op->getOperand(0)]}}, {"y", {(*this)[op->getOperand(1)]}}});
  }
  /// Spatial pads as MIL wants them: (begin, end) per dim.
  static SmallVector<int64_t> padPairs(ArrayRef<int64_t> pads) {
    size_t n = pads.size() / 2;
    SmallVector<int64_t> pairs;
    for (size_t i = 0; i < n; ++i) {
      pairs.push_back(pads[i]);
      pairs.push_back(pads[i + n]);
    }
    return pairs;
  }
  /// A parameter that broadcasts against `input` along `axes` only, as a
  /// constant of the normalized dims' shape.
  std::string normalizedParameter(ArrayRef<float> values, ArrayRef<int64_t> shape,
                                  ArrayRef<int64_t> input, ArrayRef<int64_t> axes) {
    SmallVector<int64_t> normalized;
    for (int64_t a : axes)
      normalized.push_back(input[a]);
    int64_t count = 1;
    for (int64_t d : normalized)
      count *= d;
    std::vector<float> laidOut(count);
    int64_t offset = input.size() - shape.size();
    for (int64_t i = 0; i < count; ++i) {
      // The index along each axis, then the element of `values` it reads.
      int64_t rest = i, at = 0, stride = 1;
      SmallVector<int64_t> index(axes.size());
      for (int64_t k = axes.size() - 1; k >= 0; --k) {
        index[k] = rest % normalized[k];
        rest /= normalized[k];
      }
      for (int64_t d = shape.size() - 1; d >= 0; --d) {
        if (shape[d] != 1)
          at += index[llvm::find(axes, d + offset) - axes.begin()] * stride;
        stride *= shape[d];
      }
      laidOut[i] = values[at];
    }
    return b.constHalf(laidOut, normalized, "const");
  }
  static SmallVector<int64_t> trailingAxes(int64_t from, int64_t rank) {
    SmallVector<int64_t> axes;
    for (int64_t i = from; i < rank; ++i)
      axes.push_back(i);
    return axes;
  }

  BlockBuilder &b;
  llvm::DenseMap<Value, std::string> names;
};

const std::map<std::string, std::string> &unaryNames() {
  static const std::map<std::string, std::string> names = {
      {"lathe.relu", "relu"},       {"lathe.sigmoid", "sigmoid"}, {"lathe.tanh", "tanh"},
      {"lathe.exp", "exp"},         {"lathe.log", "log"},         {"lathe.sqrt", "sqrt"},
      {"lathe.abs", "abs"},         {"lathe.floor", "floor"},     {"lathe.ceil", "ceil"},
      {"lathe.sin", "sin"},         {"lathe.cos", "cos"},         {"lathe.erf", "erf"},
      {"lathe.sign", "sign"},       {"lathe.silu", "silu"},       {"lathe.softplus", "softplus"},
      {"lathe.softsign", "softsign"}};
  return names;
}

const std::map<std::string, std::string> &binaryNames() {
  static const std::map<std::string, std::string> names = {
      {"lathe.add", "add"},     {"lathe.sub", "sub"},     {"lathe.mul", "mul"},
      {"lathe.div", "real_div"}, {"lathe.max", "maximum"}, {"lathe.min", "minimum"},
      {"lathe.pow", "pow"}};
  return names;
}

const std::map<std::string, std::string> &reduceNames() {
  static const std::map<std::string, std::string> names = {
      {"lathe.reduce_sum", "reduce_sum"},
      {"lathe.reduce_mean", "reduce_mean"},
      {"lathe.reduce_max", "reduce_max"},
      {"lathe.reduce_min", "reduce_min"},
      {"lathe.reduce_prod", "reduce_prod"},
      {"lathe.reduce_l1", "reduce_l1_norm"},
      {"lathe.reduce_l2", "reduce_l2_norm"},
      {"lathe.reduce_log_sum", "reduce_log_sum"},
      {"lathe.reduce_log_sum_exp", "reduce_log_sum_exp"},
      {"lathe.reduce_sum_square", "reduce_sum_square"}};
  return names;
}

bool unitDilations(ArrayRef<int64_t> dilations) {
  return llvm::all_of(dilations, [](int64_t d) { return d == 1; });
}

/// The MIL upsampling form of a resize, if it has one: NCHW, whole-number
/// scales on H and W only, nearest (asymmetric, floor) or linear.
bool upsamplable(ResizeOp op) {
  auto in = cast<RankedTensorType>(op.getInput().getType());
  auto outType = op.getType();
  if (in.getRank() != 4 || in.getDimSize(0) != outType.getDimSize(0) ||
      in.getDimSize(1) != outType.getDimSize(1))
    return false;
  for (int i : {2, 3})
    if (outType.getDimSize(i) % in.getDimSize(i))
      return false;
  StringRef mode = op.getMode(), coordinates = op.getCoordinateTransformationMode();
  if (mode == "nearest")
    return coordinates == "asymmetric" && op.getNearestMode() == "floor";
  return mode == "linear" &&
         (coordinates == "half_pixel" || coordinates == "align_corners" ||
          coordinates == "asymmetric" || coordinates == "pytorch_half_pixel");
}

LogicalResult FunctionEmitter::emit(Operation *op) {
  StringRef opName = op->getName().getStringRef();
  if (isa<ConstantOp>(op))
    return success(); // emitted where used
  if (auto it = unaryNames().find(opName.str()); it != unaryNames().end())
    return unary(op, it->second), success();
  if (auto it = binaryNames().find(opName.str()); it != binaryNames().end())
    return binary(op, it->second), success();
  if (auto it = reduceNames().find(opName.str()); it != reduceNames().end()) {
    auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef();
    bool keep = op->getAttrOfType<BoolAttr>("keepdims").getValue();
    out(op, it->second,
        {{"x", {(*this)[op->getOperand(0)]}}, {"axes", {b.ints(axes, "axes")}},
         {"keep_dims", {b.bools({keep}, "keep_dims", true)}}});
    return success();
  }
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](NegOp n) {
        out(op, "mul", {{"x", {(*this)[n.getInput()]}}, {"y", {b.halfScalar(-1, "minus_one")}}});
        return success();
      })
      .Case([&](ReciprocalOp r) {
        out(op, "inverse",
            {{"x", {(*this)[r.getInput()]}}, {"epsilon", {b.halfScalar(0, "epsilon")}}});
        return success();
      })
      .Case([&](GeluOp g) {
        out(op, "gelu", {{"x", {(*this)[g.getInput()]}}, {"mode", {b.string("EXACT", "mode")}}});
        return success();
      })
      .Case([&](LeakyReluOp l) {
        out(op, "leaky_relu", {{"x", {(*this)[l.getInput()]}},
                               {"alpha", {b.halfScalar(l.getAlpha().convertToFloat(), "alpha")}}});
        return success();
      })
      .Case([&](EluOp e) {
        out(op, "elu", {{"x", {(*this)[e.getInput()]}},
                        {"alpha", {b.halfScalar(e.getAlpha().convertToFloat(), "alpha")}}});
        return success();
      })
      .Case([&](HardSigmoidOp h) {
        out(op, "sigmoid_hard",
            {{"x", {(*this)[h.getInput()]}},
             {"alpha", {b.halfScalar(h.getAlpha().convertToFloat(), "alpha")}},
             {"beta", {b.halfScalar(h.getBeta().convertToFloat(), "beta")}}});
        return success();
      })
      .Case([&](HardSwishOp h) {
        std::string x = (*this)[h.getInput()];
        std::string gate =
            b.op("sigmoid_hard",
                 {{"x", {x}}, {"alpha", {b.halfScalar(1.0f / 6, "alpha")}},
                  {"beta", {b.halfScalar(0.5f, "beta")}}},
                 MIL::FLOAT16, shapeOf(h.getInput()));
        out(op, "mul", {{"x", {x}}, {"y", {gate}}});
        return success();
      })
      .Case([&](ClipOp c) {
        float lo = c.getMin() ? float(c.getMin()->convertToDouble()) : -kFloat16Max;
        float hi = c.getMax() ? float(c.getMax()->convertToDouble()) : kFloat16Max;
        out(op, "clip",
            {{"x", {(*this)[c.getInput()]}}, {"alpha", {b.halfScalar(lo, "alpha")}},
             {"beta", {b.halfScalar(hi, "beta")}}});
        return success();
      })
      .Case([&](SoftmaxOp s) {
        out(op, "softmax",
            {{"x", {(*this)[s.getInput()]}}, {"axis", {b.ints({(int64_t)s.getAxis()}, "axis", true)}}});
        return success();
      })
      .Case([&](DequantizeLinearOp d) {
        auto data = constantIntegers(d.getInput());
        auto zeroPoints = constantIntegers(d.getZeroPoint());
        auto scales = constantFloats(d.getScale());
        if (!data || !zeroPoints || !scales)
          return failure();
        auto element = cast<IntegerType>(d.getInput().getType().getElementType());
        int64_t axis = scales->size() == 1 ? 0 : d.getAxis();
        names[d.getResult()] = b.affineDequantize(*data, !element.isUnsigned(),
                                                  shapeOf(d.getInput()), *zeroPoints, *scales,
                                                  axis, b.fresh("dequantized"));
        return success();
      })
      .Case([&](ConvOp c) {
        Inputs inputs{{"x", {(*this)[c.getInput()]}},
                      {"weight", {(*this)[c.getWeight()]}},
                      {"strides", {b.ints(c.getStrides(), "strides")}},
                      {"pad_type", {b.string("custom", "pad_type")}},
                      {"pad", {b.ints(padPairs(c.getPads()), "pad")}},
                      {"dilations", {b.ints(c.getDilations(), "dilations")}},
                      {"groups", {b.ints({(int64_t)c.getGroup()}, "groups", true)}}};
        if (c.getBias())
          inputs.push_back({"bias", {(*this)[c.getBias()]}});
        out(op, "conv", inputs);
        return success();
      })
      .Case([&](ConvTransposeOp c) {
        // Core ML takes output_shape as a choice among the sizes its pads
        // allow, not as padding: ONNX's output_padding (rows and columns
        // added at the end) is taken back from the end pads where they crop
        // that many, and what is left is padded on after with zeros, then
        // the bias added over all of it.
        SmallVector<int64_t> outputShape(shapeOf(c.getResult()));
        SmallVector<int64_t> pads(c.getPads());
        size_t spatial = pads.size() / 2;
        SmallVector<int64_t> after(2 * outputShape.size(), 0);
        SmallVector<int64_t> productShape(outputShape);
        bool padded = false;
        for (size_t i = 0; i < spatial; ++i) {
          int64_t extra = c.getOutputPadding()[i], taken = std::min(extra, pads[spatial + i]);
          pads[spatial + i] -= taken;
          after[2 * (2 + i) + 1] = extra - taken;
          productShape[2 + i] -= extra - taken;
          padded |= extra > taken;
        }
        Inputs inputs{{"x", {(*this)[c.getInput()]}},
                      {"weight", {(*this)[c.getWeight()]}},
                      {"strides", {b.ints(c.getStrides(), "strides")}},
                      {"pad_type", {b.string("custom", "pad_type")}},
                      {"pad", {b.ints(padPairs(pads), "pad")}},
                      {"dilations", {b.ints(c.getDilations(), "dilations")}},
                      {"groups", {b.ints({(int64_t)c.getGroup()}, "groups", true)}},
                      {"output_shape", {b.ints(productShape, "output_shape")}}};
        if (!padded) {
          if (c.getBias())
            inputs.push_back({"bias", {(*this)[c.getBias()]}});
          out(op, "conv_transpose", inputs);
          return success();
        }
        std::string y = b.op("conv_transpose", inputs, MIL::FLOAT16, productShape);
        y = b.op("pad",
                 {{"x", {y}}, {"pad", {b.ints(after, "pad")}},
                  {"mode", {b.string("constant", "mode")}},
                  {"constant_val", {b.halfScalar(0.0f, "constant_val")}}},
                 MIL::FLOAT16, outputShape);
        if (c.getBias()) {
          // (C) as (C, 1, ...): one value per channel of (N, C, spatial...).
          SmallVector<int64_t> channels(spatial + 1, 1);
          channels[0] = outputShape[1];
          std::string bias = b.op("reshape",
                                  {{"x", {(*this)[c.getBias()]}},
                                   {"shape", {b.ints(channels, "shape")}}},
                                  MIL::FLOAT16, channels);
          y = b.op("add", {{"x", {y}}, {"y", {bias}}}, MIL::FLOAT16, outputShape);
        }
        names[op->getResult(0)] = y;
        return success();
      })
      .Case<MaxPoolOp, AveragePoolOp>([&](Operation *pool) {
        auto window = [&](auto p) {
          return Inputs{{"x", {(*this)[p.getInput()]}},
                        {"kernel_sizes", {b.ints(p.getKernelShape(), "kernel_sizes")}},
                        {"strides", {b.ints(p.getStrides(), "strides")}},
                        {"pad_type", {b.string("custom", "pad_type")}},
                        {"pad", {b.ints(padPairs(p.getPads()), "pad")}}};
        };
        if (auto p = dyn_cast<MaxPoolOp>(pool)) {
          Inputs inputs = window(p);
          inputs.push_back({"ceil_mode", {b.bools({p.getCeilMode()}, "ceil_mode", true)}});
          out(op, "max_pool", inputs);
          return success();
        }
        auto p = cast<AveragePoolOp>(pool);
        Inputs inputs = window(p);
        inputs.push_back({"exclude_padding_from_average",
                          {b.bools({!p.getCountIncludePad()}, "exclude_padding_from_average", true)}});
        inputs.push_back({"ceil_mode", {b.bools({p.getCeilMode()}, "ceil_mode", true)}});
        out(op, "avg_pool", inputs);
        return success();
      })
      .Case<GlobalAveragePoolOp, GlobalMaxPoolOp>([&](Operation *p) {
        int64_t rank = shapeOf(p->getOperand(0)).size();
        out(op, isa<GlobalAveragePoolOp>(p) ? "reduce_mean" : "reduce_max",
            {{"x", {(*this)[p->getOperand(0)]}}, {"axes", {b.ints(trailingAxes(2, rank), "axes")}},
             {"keep_dims", {b.bools({true}, "keep_dims", true)}}});
        return success();
      })
      .Case([&](MatMulOp m) {
        out(op, "matmul",
            {{"x", {(*this)[m.getLhs()]}}, {"y", {(*this)[m.getRhs()]}},
             {"transpose_x", {b.bools({false}, "transpose_x", true)}},
             {"transpose_y", {b.bools({false}, "transpose_y", true)}}});
        return success();
      })
      .Case([&](GemmOp g) {
        SmallVector<int64_t> shape(shapeOf(g.getResult()));
        std::string product = b.op(
            "matmul",
            {{"x", {(*this)[g.getA()]}}, {"y", {(*this)[g.getB()]}},
             {"transpose_x", {b.bools({g.getTransA()}, "transpose_x", true)}},
             {"transpose_y", {b.bools({g.getTransB()}, "transpose_y", true)}}},
            MIL::FLOAT16, shape);
        float alpha = g.getAlpha().convertToFloat(), beta = g.getBeta().convertToFloat();
        if (alpha != 1)
          product = b.op("mul", {{"x", {product}}, {"y", {b.halfScalar(alpha, "alpha")}}},
                         MIL::FLOAT16, shape);
        if (g.getC() && beta != 0) {
          std::string c = (*this)[g.getC()];
          if (beta != 1)
            c = b.op("mul", {{"x", {c}}, {"y", {b.halfScalar(beta, "beta")}}}, MIL::FLOAT16,
                     shapeOf(g.getC()));
          product = b.op("add", {{"x", {product}}, {"y", {c}}}, MIL::FLOAT16, shape);
        }
        names[op->getResult(0)] = product;
        return success();
      })
      .Case([&](AttentionOp a) {
        // softmax(q k^T * scale) v, with the L x S scores as a tensor.
        SmallVector<int64_t> scores(shapeOf(a.getQuery()));
        scores.back() = shapeOf(a.getKey())[scores.size() - 2];
        std::string s = b.op("matmul",
                             {{"x", {(*this)[a.getQuery()]}}, {"y", {(*this)[a.getKey()]}},
                              {"transpose_x", {b.bools({false}, "transpose_x", true)}},
                              {"transpose_y", {b.bools({true}, "transpose_y", true)}}},
                             MIL::FLOAT16, scores);
        s = b.op("mul", {{"x", {s}}, {"y", {b.halfScalar(a.getScale().convertToFloat(), "scale")}}},
                 MIL::FLOAT16, scores);
        if (Value mask = a.getMask())
          s = b.op("add", {{"x", {s}}, {"y", {(*this)[mask]}}}, MIL::FLOAT16, scores);
        if (std::optional<int64_t> offset = a.getCausalOffset()) {
          // The causal mask as an (L, S) constant added to the scores:
          // fp16's lowest value where a key comes after query + offset.
          int64_t l = scores[scores.size() - 2], keys = scores.back();
          std::vector<float> mask(l * keys, 0.0f);
          for (int64_t i = 0; i < l; ++i)
            for (int64_t j = i + *offset + 1; j < keys; ++j)
              if (j >= 0)
                mask[i * keys + j] = -65504.0f;
          s = b.op("add", {{"x", {s}}, {"y", {b.constHalf(mask, {l, keys}, "causal_mask")}}},
                   MIL::FLOAT16, scores);
        }
        s = b.op("softmax", {{"x", {s}}, {"axis", {b.ints({-1}, "axis", true)}}}, MIL::FLOAT16,
                 scores);
        out(op, "matmul",
            {{"x", {s}}, {"y", {(*this)[a.getValue()]}},
             {"transpose_x", {b.bools({false}, "transpose_x", true)}},
             {"transpose_y", {b.bools({false}, "transpose_y", true)}}});
        return success();
      })
      .Case([&](BatchNormOp n) {
        out(op, "batch_norm",
            {{"x", {(*this)[n.getInput()]}}, {"mean", {(*this)[n.getMean()]}},
             {"variance", {(*this)[n.getVariance()]}}, {"gamma", {(*this)[n.getScale()]}},
             {"beta", {(*this)[n.getBias()]}},
             {"epsilon", {b.halfScalar(n.getEpsilon().convertToFloat(), "epsilon")}}});
        return success();
      })
      .Case([&](InstanceNormOp n) {
        out(op, "instance_norm",
            {{"x", {(*this)[n.getInput()]}}, {"gamma", {(*this)[n.getScale()]}},
             {"beta", {(*this)[n.getBias()]}},
             {"epsilon", {b.halfScalar(n.getEpsilon().convertToFloat(), "epsilon")}}});
        return success();
      })
      .Case([&](LayerNormOp n) {
        // MIL's gamma and beta are constants of exactly the normalized
        // dims' shape: a constant lathe scale (bias) is laid out so; one
        // that is not constant is applied after, broadcasting. A bias after
        // a scale that is applied after goes after it too: LN(x) * s + b,
        // not (LN(x) + b) * s.
        SmallVector<int64_t> shape(shapeOf(n.getInput()));
        ArrayRef<int64_t> axes = n.getAxes();
        Inputs inputs{{"x", {(*this)[n.getInput()]}},
                      {"axes", {b.ints(axes, "axes")}},
                      {"epsilon", {b.halfScalar(n.getEpsilon().convertToFloat(), "epsilon")}}};
        SmallVector<Value> after;
        for (auto [param, value] : {std::pair<StringRef, Value>{"gamma", n.getScale()},
                                    std::pair<StringRef, Value>{"beta", n.getBias()}}) {
          if (!value)
            continue;
          std::optional<std::vector<float>> values = constantFloats(value);
          if (values && after.empty())
            inputs.push_back({param, {normalizedParameter(*values, shapeOf(value), shape, axes)}});
          else
            after.push_back(value);
        }
        std::string y = b.op("layer_norm", inputs, MIL::FLOAT16, shape);
        for (Value value : after)
          y = b.op(value == n.getScale() ? "mul" : "add", {{"x", {y}}, {"y", {(*this)[value]}}},
                   MIL::FLOAT16, shape);
        names[op->getResult(0)] = y;
        return success();
      })
      .Case([&](RmsNormOp n) {
        // Core ML has no RMS norm, and x^2 overflows fp16 from |x| = 256 on:
        // layer_norm of [x, -x] (mean 0, variance mean(x^2)) over the same
        // dims is x's RMS norm in its first half, computed by the Neural
        // Engine's own normalization.
        SmallVector<int64_t> shape(shapeOf(n.getInput()));
        int64_t rank = shape.size();
        SmallVector<int64_t> wide(shape);
        wide.back() *= 2;
        std::string x = (*this)[n.getInput()];
        std::string negated =
            b.op("mul", {{"x", {x}}, {"y", {b.halfScalar(-1.0f, "minus_one")}}}, MIL::FLOAT16, shape);
        std::string both = b.op("concat",
                                {{"values", {x, negated}},
                                 {"axis", {b.ints({rank - 1}, "axis", true)}},
                                 {"interleave", {b.bools({false}, "interleave", true)}}},
                                MIL::FLOAT16, wide);
        SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(n.getAxis(), rank));
        std::string normalized = b.op(
            "layer_norm",
            {{"x", {both}}, {"axes", {b.ints(axes, "axes")}},
             {"epsilon", {b.halfScalar(n.getEpsilon().convertToFloat(), "epsilon")}}},
            MIL::FLOAT16, wide);
        std::string y = b.op("slice_by_index",
                             {{"x", {normalized}},
                              {"begin", {b.ints(SmallVector<int64_t>(rank, 0), "begin")}},
                              {"end", {b.ints(shape, "end")}},
                              {"stride", {b.ints(SmallVector<int64_t>(rank, 1), "stride")}},
                              {"begin_mask", {b.bools(SmallVector<bool>(rank, false), "begin_mask")}},
                              {"end_mask", {b.bools(SmallVector<bool>(rank, false), "end_mask")}}},
                             MIL::FLOAT16, shape);
        if (splatFloat(n.getScale()) != std::optional<double>(1.0))
          y = b.op("mul", {{"x", {y}}, {"y", {(*this)[n.getScale()]}}}, MIL::FLOAT16, shape);
        names[op->getResult(0)] = y;
        return success();
      })
      .Case([&](RotaryEmbeddingOp r) {
        // The two halves of the output, each from views of the halves of x,
        // cos and sin, concatenated: MIL has no rotate_half.
        SmallVector<int64_t> shape(shapeOf(r.getInput()));
        int64_t rank = shape.size(), half = shape.back() / 2;
        SmallVector<int64_t> halfShape(shape);
        halfShape.back() = half;
        auto halfOf = [&](Value v, int64_t begin) {
          SmallVector<int64_t> vShape(shapeOf(v));
          if (vShape.back() == 1)
            return (*this)[v];
          SmallVector<int64_t> starts(vShape.size(), 0), ends(vShape);
          starts.back() = begin;
          ends.back() = begin + half;
          SmallVector<int64_t> sliced(vShape);
          sliced.back() = half;
          return b.op("slice_by_index",
                      {{"x", {(*this)[v]}},
                       {"begin", {b.ints(starts, "begin")}},
                       {"end", {b.ints(ends, "end")}},
                       {"stride", {b.ints(SmallVector<int64_t>(vShape.size(), 1), "stride")}},
                       {"begin_mask", {b.bools(SmallVector<bool>(vShape.size(), false), "begin_mask")}},
                       {"end_mask", {b.bools(SmallVector<bool>(vShape.size(), false), "end_mask")}}},
                      MIL::FLOAT16, sliced);
        };
        std::string x1 = halfOf(r.getInput(), 0), x2 = halfOf(r.getInput(), half);
        std::vector<std::string> halves;
        for (int64_t part = 0; part < 2; ++part) {
          auto mul = [&](const std::string &x, const std::string &y) {
            return b.op("mul", {{"x", {x}}, {"y", {y}}}, MIL::FLOAT16, halfShape);
          };
          std::string direct = mul(part ? x2 : x1, halfOf(r.getCos(), part * half));
          std::string rotated = mul(part ? x1 : x2, halfOf(r.getSin(), part * half));
          halves.push_back(b.op(part ? "add" : "sub", {{"x", {direct}}, {"y", {rotated}}},
                                MIL::FLOAT16, halfShape));
        }
        names[op->getResult(0)] =
            b.op("concat",
                 {{"values", halves},
                  {"axis", {b.ints({rank - 1}, "axis", true)}},
                  {"interleave", {b.bools({false}, "interleave", true)}}},
                 MIL::FLOAT16, shape);
        return success();
      })
      .Case([&](ReshapeOp r) {
        out(op, "reshape",
            {{"x", {(*this)[r.getInput()]}}, {"shape", {b.ints(r.getShape(), "shape")}}});
        return success();
      })
      .Case([&](TransposeOp t) {
        out(op, "transpose",
            {{"x", {(*this)[t.getInput()]}}, {"perm", {b.ints(t.getPerm(), "perm")}}});
        return success();
      })
      .Case([&](ConcatOp c) {
        std::vector<std::string> values;
        for (Value v : c.getInputs())
          values.push_back((*this)[v]);
        out(op, "concat",
            {{"values", values}, {"axis", {b.ints({(int64_t)c.getAxis()}, "axis", true)}},
             {"interleave", {b.bools({false}, "interleave", true)}}});
        return success();
      })
      .Case([&](SliceOp s) {
        // A reverse slice that runs past index 0 ends at -1, which MIL reads
        // as the last index: its end is masked instead.
        SmallVector<bool> endMask;
        SmallVector<int64_t> ends(s.getEnds());
        for (auto [i, end] : llvm::enumerate(ends)) {
          endMask.push_back(end < 0);
          if (end < 0)
            end = 0;
        }
        SmallVector<bool> beginMask(ends.size(), false);
        out(op, "slice_by_index",
            {{"x", {(*this)[s.getInput()]}},
             {"begin", {b.ints(s.getStarts(), "begin")}},
             {"end", {b.ints(ends, "end")}},
             {"stride", {b.ints(s.getSteps(), "stride")}},
             {"begin_mask", {b.bools(beginMask, "begin_mask")}},
             {"end_mask", {b.bools(endMask, "end_mask")}}});
        return success();
      })
      .Case([&](PadOp p) {
        out(op, "pad",
            {{"x", {(*this)[p.getInput()]}}, {"pad", {b.ints(padPairs(p.getPads()), "pad")}},
             {"mode", {b.string("constant", "mode")}},
             {"constant_val", {b.halfScalar(float(p.getValue().convertToDouble()), "constant_val")}}});
        return success();
      })
      .Case([&](ResizeOp r) {
        auto in = shapeOf(r.getInput());
        auto outShape = shapeOf(r.getResult());
        float sh = float(outShape[2] / in[2]), sw = float(outShape[3] / in[3]);
        std::string x = (*this)[r.getInput()];
        if (r.getMode() == "nearest") {
          out(op, "upsample_nearest_neighbor",
              {{"x", {x}},
               {"scale_factor_height", {b.floatScalar(sh, "scale_factor_height")}},
               {"scale_factor_width", {b.floatScalar(sw, "scale_factor_width")}}});
        } else {
          StringRef coordinates = r.getCoordinateTransformationMode();
          bool alignCorners = coordinates == "align_corners";
          bool halfPixel = coordinates == "half_pixel" || coordinates == "pytorch_half_pixel";
          out(op, "upsample_bilinear",
              {{"x", {x}},
               {"scale_factor_height", {b.floatScalar(sh, "scale_factor_height")}},
               {"scale_factor_width", {b.floatScalar(sw, "scale_factor_width")}},
               {"align_corners", {b.bools({alignCorners}, "align_corners", true)}},
               {"half_pixel_centers", {b.bools({halfPixel}, "half_pixel_centers", true)}}});
        }
        return success();
      })
      .Default([](Operation *) { return failure(); });
}

} // namespace

std::string lathe::ane::coreMlRuleBroken(Operation *op) {
  auto constant = [](Value v) { return !v || matchPattern(v, m_Constant()); };
  // Core ML's pools take ceil_mode with symmetric padding only.
  auto ceilWithAsymmetricPads = [](bool ceilMode, ArrayRef<int64_t> pads) {
    size_t n = pads.size() / 2;
    return ceilMode && !llvm::equal(pads.take_front(n), pads.drop_front(n));
  };
  // With ceil_mode, ONNX drops a last window that would start past the
  // input and its leading padding; Core ML keeps it where there is no
  // padding, so the two disagree on the output's size.
  auto dropsLastWindow = [](Operation *pool) {
    auto in = cast<RankedTensorType>(pool->getOperand(0).getType());
    auto out = cast<RankedTensorType>(pool->getResult(0).getType());
    ArrayRef<int64_t> kernel = pool->getAttrOfType<DenseI64ArrayAttr>("kernel_shape");
    ArrayRef<int64_t> strides = pool->getAttrOfType<DenseI64ArrayAttr>("strides");
    ArrayRef<int64_t> dilations = pool->getAttrOfType<DenseI64ArrayAttr>("dilations");
    ArrayRef<int64_t> pads = pool->getAttrOfType<DenseI64ArrayAttr>("pads");
    size_t spatial = kernel.size(), first = pool->hasAttr("channels_last") ? 1 : 2;
    for (size_t i = 0; i < spatial; ++i) {
      int64_t extent = in.getDimSize(first + i) + pads[i] + pads[spatial + i];
      int64_t span = (kernel[i] - 1) * dilations[i] + 1;
      int64_t ceilSize = (extent - span + strides[i] - 1) / strides[i] + 1;
      if (out.getDimSize(first + i) < ceilSize)
        return true;
    }
    return false;
  };
  auto rank = [](Value v) { return cast<RankedTensorType>(v.getType()).getRank(); };
  return llvm::TypeSwitch<Operation *, std::string>(op)
      .Case([&](BatchNormOp n) -> std::string {
        if (rank(n.getInput()) < 3 || rank(n.getInput()) > 5)
          return "Core ML's batch_norm takes inputs of rank 3 to 5";
        if (constant(n.getMean()) && constant(n.getVariance()) && constant(n.getScale()) &&
            constant(n.getBias()))
          return {};
        return "Core ML's batch_norm takes constant mean, variance, gamma and beta";
      })
      .Case([&](InstanceNormOp n) -> std::string {
        if (rank(n.getInput()) < 3 || rank(n.getInput()) > 4)
          return "Core ML's instance_norm takes inputs of rank 3 or 4";
        if (constant(n.getScale()) && constant(n.getBias()))
          return {};
        return "Core ML's instance_norm takes constant gamma and beta";
      })
      .Case<MaxPoolOp, AveragePoolOp>([&](Operation *pool) -> std::string {
        bool ceilMode = pool->getAttrOfType<BoolAttr>("ceil_mode").getValue();
        if (ceilWithAsymmetricPads(ceilMode, pool->getAttrOfType<DenseI64ArrayAttr>("pads")))
          return "Core ML's pools take ceil_mode only with symmetric padding";
        if (ceilMode && dropsLastWindow(pool))
          return "Core ML's pools with ceil_mode keep a last window that starts past the input";
        return {};
      })
      .Case([&](ClipOp c) -> std::string {
        // Core ML refuses a clip whose alpha is not below its beta, as the
        // emitted fp16 constants hold them.
        bool saturated = false;
        auto half = [&](float v) {
          llvm::APFloat f(llvm::APFloat::IEEEhalf(), llvm::APInt(16, toFloat16(v, saturated)));
          return f.convertToFloat();
        };
        float lo = c.getMin() ? float(c.getMin()->convertToDouble()) : -kFloat16Max;
        float hi = c.getMax() ? float(c.getMax()->convertToDouble()) : kFloat16Max;
        if (half(lo) < half(hi))
          return {};
        return "Core ML's clip takes a minimum below its maximum (in fp16)";
      })
      .Case([&](ConvOp c) -> std::string {
        // Int8 weights reach the conv through constexpr_affine_dequantize,
        // which Core ML evaluates at load: constant too.
        auto dequantized = c.getWeight().getDefiningOp<DequantizeLinearOp>();
        bool constantWeight = constant(c.getWeight()) ||
                              (dequantized && constant(dequantized.getInput()) &&
                               constant(dequantized.getScale()) &&
                               constant(dequantized.getZeroPoint()));
        if (constantWeight || llvm::all_of(c.getDilations(), [](int64_t d) { return d == 1; }))
          return {};
        return "Core ML's conv takes dilations only with constant weights";
      })
      .Default([](Operation *) { return std::string(); });
}

bool lathe::ane::emitsOp(Operation *op) {
  if (!coreMlRuleBroken(op).empty())
    return false;
  StringRef name = op->getName().getStringRef();
  if (isa<ConstantOp>(op) || unaryNames().count(name.str()) || binaryNames().count(name.str()))
    return true;
  if (reduceNames().count(name.str()))
    return !op->getAttrOfType<DenseI64ArrayAttr>("axes").empty();
  return llvm::TypeSwitch<Operation *, bool>(op)
      .Case<NegOp, ReciprocalOp, GeluOp, LeakyReluOp, EluOp, HardSigmoidOp, HardSwishOp, ClipOp,
            SoftmaxOp, GlobalAveragePoolOp, GlobalMaxPoolOp, MatMulOp, GemmOp, AttentionOp,
            RmsNormOp, RotaryEmbeddingOp, BatchNormOp, InstanceNormOp, ReshapeOp, TransposeOp, ConcatOp, SliceOp>(
          [](Operation *) { return true; })
      .Case([](LayerNormOp n) {
        ArrayRef<int64_t> axes = n.getAxes(); // MIL and the executor: adjacent dims
        return axes.back() - axes.front() + 1 == (int64_t)axes.size();
      })
      .Case([](ConvOp c) { return c.getStrides().size() == 2 || c.getStrides().size() == 1; })
      .Case([](DequantizeLinearOp d) {
        // Constant 8-bit weights: int8 in weight.bin, fp16 once loaded.
        auto element = dyn_cast<IntegerType>(d.getInput().getType().getElementType());
        auto scale = cast<RankedTensorType>(d.getScale().getType());
        return element && element.getWidth() == 8 && scale.getRank() <= 1 &&
               matchPattern(d.getInput(), m_Constant()) &&
               matchPattern(d.getZeroPoint(), m_Constant()) &&
               matchPattern(d.getScale(), m_Constant());
      })
      .Case([](ConvTransposeOp c) {
        return c.getStrides().size() == 2 || c.getStrides().size() == 1;
      })
      .Case([](MaxPoolOp p) { return unitDilations(p.getDilations()) && p.getStrides().size() <= 2; })
      .Case([](AveragePoolOp p) {
        return unitDilations(p.getDilations()) && p.getStrides().size() <= 2;
      })
      .Case([](ResizeOp r) { return upsamplable(r); })
      .Case([](PadOp p) {
        return p.getMode() == "constant" &&
               llvm::all_of(p.getPads(), [](int64_t v) { return v >= 0; });
      })
      .Default([](Operation *) { return false; });
}

llvm::Expected<ane::MlProgram> lathe::ane::emitMlProgram(func::FuncOp func) {
  MlProgram result;
  WeightBlobWriter weights;
  Spec::Model model;
  model.set_specificationversion(kSpecificationVersion);
  MIL::Program *program = model.mutable_mlprogram();
  program->set_version(1);
  MIL::Function &main = (*program->mutable_functions())["main"];
  main.set_opset(kOpset);
  MIL::Block &block = (*main.mutable_block_specializations())[kOpset];
  BlockBuilder b(block, weights, result.rangeWarnings);
  FunctionEmitter values(b);

  // Core ML's interface validator wants every multi-array feature shaped: a
  // scalar crosses the interface as shape [1] (as coremltools describes
  // it). Inside, an input's one element becomes rank 0 as its max over axis
  // 0 (reshape would need an empty shape, a const MIL has no type for), and
  // an output is reshaped to [1].
  auto featureShape = [](RankedTensorType type) {
    return type.getRank() == 0 ? SmallVector<int64_t>{1} : SmallVector<int64_t>(type.getShape());
  };
  // fp32 inputs, cast to fp16 where the program starts.
  // Features are named after the ONNX tensors they carry (OutlinePartitions
  // names a partition's arguments and results), as MIL identifiers.
  auto nameAttr = [](DictionaryAttr attrs) {
    auto name = attrs ? attrs.getAs<StringAttr>(LatheDialect::NameAttrHelper::getNameStr())
                      : StringAttr();
    return name ? name.getValue() : StringRef();
  };
  std::vector<std::string> inputNames, outputNames;
  for (BlockArgument arg : func.getArguments())
    inputNames.push_back(b.featureName(nameAttr(func.getArgAttrDict(arg.getArgNumber())),
                                       "input_" + std::to_string(arg.getArgNumber())));
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    outputNames.push_back(
        b.featureName(nameAttr(func.getResultAttrDict(i)), "output_" + std::to_string(i)));
  for (BlockArgument arg : func.getArguments()) {
    auto type = cast<RankedTensorType>(arg.getType());
    SmallVector<int64_t> shape = featureShape(type);
    std::string name = inputNames[arg.getArgNumber()];
    MIL::NamedValueType *input = main.add_inputs();
    input->set_name(name);
    *input->mutable_type() = BlockBuilder::tensorType(MIL::FLOAT32, shape);
    Spec::FeatureDescription *feature = model.mutable_description()->add_input();
    feature->set_name(name);
    Spec::ArrayFeatureType *array = feature->mutable_type()->mutable_multiarraytype();
    for (int64_t d : shape)
      array->add_shape(d);
    array->set_datatype(Spec::ArrayFeatureType::FLOAT32);
    std::string x = b.op("cast", {{"x", {name}}, {"dtype", {b.string("fp16", "dtype")}}},
                         MIL::FLOAT16, shape);
    if (type.getRank() == 0)
      x = b.op("reduce_max",
               {{"x", {x}}, {"axes", {b.ints({0}, "axes")}},
                {"keep_dims", {b.bools({false}, "keep_dims", true)}}},
               MIL::FLOAT16, {});
    values.bind(arg, x);
  }
  for (Operation &op : func.getBody().front().without_terminator())
    if (failed(values.emit(&op)))
      return fail("the ane target cannot emit " + op.getName().getStringRef() + " as MIL");
  // fp32 outputs, cast back where it ends.
  auto returnOp = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  for (auto [i, v] : llvm::enumerate(returnOp.getOperands())) {
    auto type = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape = featureShape(type);
    std::string name = outputNames[i];
    std::string y = values[v];
    if (type.getRank() == 0)
      y = b.op("reshape", {{"x", {y}}, {"shape", {b.ints(shape, "shape")}}}, MIL::FLOAT16, shape);
    b.op("cast", {{"x", {y}}, {"dtype", {b.string("fp32", "dtype")}}}, MIL::FLOAT32, shape, name);
    block.add_outputs(name);
    Spec::FeatureDescription *feature = model.mutable_description()->add_output();
    feature->set_name(name);
    Spec::ArrayFeatureType *array = feature->mutable_type()->mutable_multiarraytype();
    for (int64_t d : shape)
      array->add_shape(d);
    array->set_datatype(Spec::ArrayFeatureType::FLOAT32);
  }
  // What Xcode shows of the model: the ONNX model's own description and
  // version where it has them (the importer keeps them on the module), the
  // partition it is.
  Spec::Metadata *metadata = model.mutable_description()->mutable_metadata();
  auto &userDefined = *metadata->mutable_userdefined();
  metadata->set_author("lathe");
  ModuleOp module = func->getParentOfType<ModuleOp>();
  std::optional<StringRef> graph = module ? module.getName() : std::nullopt;
  std::string description = "Partition " + func.getSymName().str() + " of " +
                            (graph ? "ONNX graph '" + graph->str() + "'" : "an ONNX graph") +
                            ", compiled by lathe for the Neural Engine in fp16";
  if (auto doc = module ? module->getAttrOfType<StringAttr>("lathe.doc_string") : StringAttr())
    description += ". " + doc.getValue().str();
  metadata->set_shortdescription(description);
  if (auto version = module ? module->getAttrOfType<IntegerAttr>("lathe.model_version") : IntegerAttr())
    metadata->set_versionstring(std::to_string(version.getInt()));
  if (auto producer = module ? module->getAttrOfType<StringAttr>("lathe.producer") : StringAttr())
    userDefined["com.lathe.onnx_producer"] = producer.getValue().str();
  userDefined["com.lathe.partition"] = func.getSymName().str();
  if (graph)
    userDefined["com.lathe.onnx_graph"] = graph->str();
  // Deterministic: maps in key order, so the same partition gives the same
  // bytes.
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    if (!model.SerializeToCodedStream(&coded))
      return fail("the ML Program does not serialize");
  }
  result.model.assign(bytes.begin(), bytes.end());
  result.weights = weights.bytes();
  return result;
}
