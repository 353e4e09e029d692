//===- StaticQuantization.cpp - calibrated int8 post-training quantization ===//
#include "compiler/quantization/StaticQuantization.h"

#include "compiler/importer/ModelLoader.h"
#include "compiler/importer/TensorConversion.h"
#include "compiler/pipeline/Compiler.h"
#include "compiler/tools/TensorFiles.h"
#include "lathe/lathe.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "onnx/onnx_pb.h"
#include "onnx/version_converter/convert.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <thread>

using namespace lathe;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string shapeText(llvm::ArrayRef<int64_t> dims) {
  std::string text;
  for (int64_t d : dims)
    text += (text.empty() ? "" : "x") + std::to_string(d);
  return text.empty() ? "a scalar" : text;
}

bool isTensorFile(llvm::StringRef path) {
  return path.ends_with(".npy") || path.ends_with(".pb");
}

/// The files of `dir` (or of its subfolders, `folders`), sorted by name.
llvm::Expected<std::vector<std::string>> sortedEntries(const std::string &dir, bool folders) {
  std::vector<std::string> entries;
  std::error_code error;
  for (llvm::sys::fs::directory_iterator it(dir, error), end; it != end && !error;
       it.increment(error)) {
    bool isDir = llvm::sys::fs::is_directory(it->path());
    if (folders ? isDir : (!isDir && isTensorFile(it->path())))
      entries.push_back(it->path());
  }
  if (error)
    return fail("calibration folder '" + dir + "': " + error.message());
  std::sort(entries.begin(), entries.end());
  return entries;
}

/// One tensor per model input for each sample, checked against the
/// signature the calibration artifact was compiled for.
llvm::Expected<std::vector<std::vector<HostTensor>>>
readSamples(const std::string &dir, const std::vector<TensorSignature> &inputs) {
  if (!llvm::sys::fs::is_directory(dir))
    return fail("calibration folder '" + dir + "' does not exist or is not a folder");
  auto files = sortedEntries(dir, /*folders=*/false);
  auto folders = sortedEntries(dir, /*folders=*/true);
  if (!files)
    return files.takeError();
  if (!folders)
    return folders.takeError();
  std::vector<std::vector<std::string>> samplePaths;
  if (inputs.size() == 1 && !files->empty()) {
    for (const std::string &file : *files)
      samplePaths.push_back({file});
  } else {
    for (const std::string &folder : *folders) {
      std::vector<std::string> paths;
      for (const TensorSignature &input : inputs) {
        std::string path;
        for (const char *ext : {".npy", ".pb"}) {
          llvm::SmallString<256> candidate(folder);
          llvm::sys::path::append(candidate, input.name + ext);
          if (llvm::sys::fs::exists(candidate))
            path = candidate.str().str();
        }
        if (path.empty())
          return fail("calibration sample '" + folder + "' has no file for input '" + input.name +
                      "' (" + input.name + ".npy or " + input.name + ".pb)");
        paths.push_back(path);
      }
      samplePaths.push_back(paths);
    }
  }
  if (samplePaths.empty())
    return fail("calibration folder '" + dir + "' holds no samples (" +
                (inputs.size() == 1 ? "a .npy or .pb file per sample, or " : "") +
                "a folder per sample with a file per input)");
  std::vector<std::vector<HostTensor>> samples;
  for (const auto &paths : samplePaths) {
    std::vector<HostTensor> sample;
    for (auto [path, input] : llvm::zip(paths, inputs)) {
      auto tensor = readTensorFile(path);
      if (!tensor)
        return fail("calibration sample '" + path + "': " + llvm::toString(tensor.takeError()));
      auto typeName = [](int32_t dtype) {
        return onnx::TensorProto::DataType_IsValid(dtype)
                   ? onnx::TensorProto::DataType_Name((onnx::TensorProto::DataType)dtype)
                   : std::to_string(dtype);
      };
      if (tensor->dtype != input.dtype)
        return fail("calibration sample '" + path + "': input '" + input.name +
                    "' is of element type " + typeName(tensor->dtype) + ", the model takes " +
                    typeName(input.dtype));
      if (tensor->dims != input.dims)
        return fail("calibration sample '" + path + "': input '" + input.name + "' is of shape " +
                    shapeText(tensor->dims) + ", the model takes " + shapeText(input.dims));
      sample.push_back(std::move(*tensor));
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

/// A convolution, matmul or gemm with constant float weights that runs in
/// integers.
struct Layer {
  int node;
  /// The weight's output-channel axis.
  int64_t weightAxis;
  /// The tensor read (input 0) and the one quantized after it: its output,
  /// or the output of the ReLU that alone reads it.
  std::string input, output;
};

/// The constant tensor `name`: an initializer, or a Constant node's value
/// (Paddle2ONNX writes PP-OCR's weights so).
const onnx::TensorProto *initializer(const onnx::GraphProto &graph, const std::string &name) {
  for (const onnx::TensorProto &t : graph.initializer())
    if (t.name() == name)
      return &t;
  for (const onnx::NodeProto &n : graph.node())
    if (n.op_type() == "Constant" && n.output_size() == 1 && n.output(0) == name)
      for (const onnx::AttributeProto &a : n.attribute())
        if (a.name() == "value" && a.has_t())
          return &a.t();
  return nullptr;
}

int64_t intAttr(const onnx::NodeProto &node, llvm::StringRef name, int64_t value) {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == name)
      return a.i();
  return value;
}

float floatAttr(const onnx::NodeProto &node, llvm::StringRef name, float value) {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == name)
      return a.f();
  return value;
}

/// The float values of an initializer stored in the model itself.
std::optional<std::vector<float>> floats(const onnx::TensorProto &t) {
  if (t.data_type() != onnx::TensorProto::FLOAT || t.data_location() == onnx::TensorProto::EXTERNAL)
    return std::nullopt;
  int64_t count = 1;
  for (int64_t d : t.dims())
    count *= d;
  std::vector<float> values(count);
  if (t.has_raw_data()) {
    if (t.raw_data().size() != (size_t)count * 4)
      return std::nullopt;
    std::memcpy(values.data(), t.raw_data().data(), count * 4);
  } else if (t.float_data_size() == count) {
    std::copy(t.float_data().begin(), t.float_data().end(), values.begin());
  } else {
    return std::nullopt;
  }
  return values;
}

onnx::TensorProto floatTensor(const std::string &name, llvm::ArrayRef<int64_t> dims,
                              llvm::ArrayRef<float> values) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims)
    t.add_dims(d);
  t.set_raw_data(std::string(reinterpret_cast<const char *>(values.data()), values.size() * 4));
  return t;
}

/// Folds each batch normalization that alone reads a convolution's output
/// into the convolution's weights and bias. Quantized unfolded, the
/// convolution's output would be rounded on one scale for all channels and
/// then multiplied by each channel's own gain, up to tens on some: those
/// channels' rounding error would grow by as much. Folded, the gain is in
/// the weights, which are scaled per channel.
void foldBatchNorms(onnx::GraphProto &graph) {
  std::map<std::string, int> readers, producer;
  for (int i = 0; i < graph.node_size(); ++i) {
    for (const std::string &in : graph.node(i).input())
      ++readers[in];
    for (const std::string &out : graph.node(i).output())
      producer[out] = i;
  }
  for (const onnx::ValueInfoProto &out : graph.output())
    ++readers[out.name()];
  std::vector<int> folded;
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &norm = graph.node(i);
    if (norm.op_type() != "BatchNormalization" || norm.input_size() != 5 ||
        (norm.output_size() > 1 && !norm.output(1).empty()))
      continue;
    auto it = producer.find(norm.input(0));
    if (it == producer.end() || readers[norm.input(0)] != 1)
      continue;
    onnx::NodeProto &conv = *graph.mutable_node(it->second);
    if (conv.op_type() != "Conv" || conv.input_size() < 2)
      continue;
    const onnx::TensorProto *w = initializer(graph, conv.input(1));
    if (!w || w->dims_size() < 3)
      continue;
    auto weights = floats(*w);
    int64_t channels = w->dims(0);
    std::optional<std::vector<float>> params[4];
    bool constant = weights.has_value();
    for (int k = 0; k < 4 && constant; ++k) {
      const onnx::TensorProto *t = initializer(graph, norm.input(k + 1));
      if (t)
        params[k] = floats(*t);
      constant = params[k] && (int64_t)params[k]->size() == channels;
    }
    std::vector<float> bias(channels, 0.0f);
    if (constant && conv.input_size() > 2 && !conv.input(2).empty()) {
      const onnx::TensorProto *b = initializer(graph, conv.input(2));
      auto values = b ? floats(*b) : std::nullopt;
      constant = values && (int64_t)values->size() == channels;
      if (constant)
        bias = *values;
    }
    if (!constant)
      continue;
    double epsilon = 1e-5;
    for (const onnx::AttributeProto &a : norm.attribute())
      if (a.name() == "epsilon")
        epsilon = a.f();
    const std::vector<float> &gamma = *params[0], &beta = *params[1], &mean = *params[2],
                             &variance = *params[3];
    int64_t inner = weights->size() / channels;
    std::vector<float> foldedWeights(weights->size()), foldedBias(channels);
    for (int64_t c = 0; c < channels; ++c) {
      double gain = gamma[c] / std::sqrt((double)variance[c] + epsilon);
      for (int64_t j = 0; j < inner; ++j)
        foldedWeights[c * inner + j] = (float)((*weights)[c * inner + j] * gain);
      foldedBias[c] = (float)((bias[c] - mean[c]) * gain + beta[c]);
    }
    std::vector<int64_t> dims(w->dims().begin(), w->dims().end());
    std::string base = norm.output(0);
    *graph.add_initializer() = floatTensor(base + "_folded_weight", dims, foldedWeights);
    *graph.add_initializer() = floatTensor(base + "_folded_bias", {channels}, foldedBias);
    conv.set_input(1, base + "_folded_weight");
    if (conv.input_size() > 2)
      conv.set_input(2, base + "_folded_bias");
    else
      conv.add_input(base + "_folded_bias");
    conv.set_output(0, norm.output(0));
    folded.push_back(i);
  }
  auto *nodes = graph.mutable_node();
  for (auto it = folded.rbegin(); it != folded.rend(); ++it)
    nodes->erase(nodes->begin() + *it);
}

std::vector<Layer> chooseLayers(const onnx::GraphProto &graph,
                                const std::vector<std::string> &keepFloat) {
  std::map<std::string, std::vector<int>> readers;
  for (int i = 0; i < graph.node_size(); ++i)
    for (const std::string &in : graph.node(i).input())
      readers[in].push_back(i);
  std::vector<Layer> layers;
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &node = graph.node(i);
    if (llvm::is_contained(keepFloat, node.name()) || node.input_size() < 2 ||
        node.output_size() < 1)
      continue;
    const onnx::TensorProto *weight = initializer(graph, node.input(1));
    if (!weight || !floats(*weight))
      continue;
    int64_t axis;
    if (node.op_type() == "Conv" && weight->dims_size() >= 3)
      axis = 0;
    else if (node.op_type() == "MatMul" && weight->dims_size() == 2)
      axis = 1;
    else if (node.op_type() == "Gemm" && weight->dims_size() == 2 && !intAttr(node, "transA", 0))
      axis = intAttr(node, "transB", 0) ? 0 : 1;
    else
      continue;
    Layer layer{i, axis, node.input(0), node.output(0)};
    const auto &users = readers[node.output(0)];
    if (users.size() == 1 && graph.node(users[0]).op_type() == "Relu")
      layer.output = graph.node(users[0]).output(0);
    layers.push_back(layer);
  }
  return layers;
}

struct Range {
  float lo = 0, hi = 0;
};

/// uint8 scale and zero point covering `range` and 0.
std::pair<float, int64_t> uint8Params(Range range) {
  float lo = std::min(range.lo, 0.0f), hi = std::max(range.hi, 0.0f);
  float scale = (hi - lo) / 255.0f;
  if (!(scale > 0))
    return {1.0f, 0};
  int64_t zero = (int64_t)std::nearbyint(-lo / scale);
  return {scale, std::clamp<int64_t>(zero, 0, 255)};
}

/// A compiled model in the runtime, run one sample at a time on every
/// core (outputs do not depend on the thread count).
class Runner {
public:
  static llvm::Expected<std::unique_ptr<Runner>> create(std::vector<char> artifact,
                                                        const std::string &what) {
    auto runner = std::unique_ptr<Runner>(new Runner(std::move(artifact), what));
    lathe_status status;
    lathe_model *model = nullptr;
    if (lathe_model_load_memory(runner->bytes.data(), runner->bytes.size(),
                                lathe_system_allocator(), &model, &status) != LATHE_OK)
      return fail(what + ": " + status.message);
    runner->model.reset(model);
    lathe_session_options options = {std::max(1u, std::thread::hardware_concurrency())};
    lathe_session *session = nullptr;
    if (lathe_session_create_with_options(model, lathe_system_allocator(), &options, &session,
                                          &status) != LATHE_OK)
      return fail(what + ": " + status.message);
    runner->session.reset(session);
    return std::move(runner);
  }
  llvm::Error run(const std::vector<HostTensor> &sample) {
    lathe_status status;
    for (auto [i, t] : llvm::enumerate(sample))
      if (lathe_session_set_input(session.get(), i, t.bytes.data(), t.bytes.size(), t.dtype,
                                  t.dims.data(), t.dims.size(), &status) != LATHE_OK)
        return fail(what + ": " + status.message);
    if (lathe_session_run(session.get(), &status) != LATHE_OK)
      return fail(what + ": " + status.message);
    return llvm::Error::success();
  }
  size_t outputCount() const { return lathe_model_output_count(model.get()); }
  lathe_tensor_info outputInfo(size_t index) const {
    lathe_tensor_info info{};
    lathe_status status;
    if (lathe_model_output_info(model.get(), index, &info, &status) != LATHE_OK)
      info.dtype = 0;
    return info;
  }
  /// Output `index` of the last run, a float tensor.
  llvm::Expected<llvm::ArrayRef<float>> output(size_t index) {
    lathe_status status;
    const void *data;
    size_t bytes;
    if (lathe_session_output(session.get(), index, &data, &bytes, &status) != LATHE_OK)
      return fail(what + ": " + status.message);
    return llvm::ArrayRef<float>(static_cast<const float *>(data), bytes / sizeof(float));
  }

private:
  Runner(std::vector<char> bytes, std::string what) : bytes(std::move(bytes)), what(std::move(what)) {}
  std::vector<char> bytes;
  std::string what;
  std::unique_ptr<lathe_model, void (*)(lathe_model *)> model{nullptr, lathe_model_release};
  std::unique_ptr<lathe_session, void (*)(lathe_session *)> session{nullptr,
                                                                     lathe_session_release};
};

/// The threshold on |x| that keeps the most information when the values
/// are quantized to `levels` steps: TensorRT's entropy calibration, the
/// clipped histogram P (outliers in its last bin) against Q, P merged into
/// `levels` bins and spread back over the bins that held values, by
/// KL(P || Q).
///
/// The first bin counts as the second: the exact zeros a ReLU writes say
/// nothing about where to clip, and their spike would weigh on every
/// merge of it into a coarser bin.
double entropyThreshold(std::vector<uint64_t> histogram, double binWidth, size_t levels) {
  size_t bins = histogram.size();
  if (bins > 1)
    histogram[0] = histogram[1];
  if (bins <= levels)
    return bins * binWidth;
  std::vector<double> p(bins), q(bins);
  double bestDivergence = INFINITY;
  size_t best = bins;
  uint64_t outliers = 0;
  for (size_t b = levels; b < bins; ++b)
    outliers += histogram[b];
  for (size_t clip = levels; clip <= bins; ++clip) {
    if (clip > levels)
      outliers -= histogram[clip - 1];
    for (size_t b = 0; b < clip; ++b)
      p[b] = (double)histogram[b];
    p[clip - 1] += (double)outliers;
    // Q: each of the `levels` merged bins spread evenly over its bins that
    // held values (the clipped histogram, outliers not merged in).
    for (size_t level = 0; level < levels; ++level) {
      size_t begin = level * clip / levels, end = (level + 1) * clip / levels;
      double total = 0;
      size_t filled = 0;
      for (size_t b = begin; b < end; ++b) {
        total += (double)histogram[b];
        filled += histogram[b] != 0;
      }
      for (size_t b = begin; b < end; ++b)
        q[b] = histogram[b] != 0 ? total / filled : 0.0;
    }
    double pSum = 0, qSum = 0;
    for (size_t b = 0; b < clip; ++b) {
      pSum += p[b];
      qSum += q[b];
    }
    if (!(pSum > 0) || !(qSum > 0))
      continue;
    double divergence = 0;
    for (size_t b = 0; b < clip; ++b) {
      if (p[b] == 0)
        continue;
      // The outlier bin may have no clipped values: Q gets a small share
      // there instead of an infinite divergence.
      double pb = p[b] / pSum, qb = q[b] > 0 ? q[b] / qSum : 1e-4 / clip;
      divergence += pb * std::log(pb / qb);
    }
    if (divergence < bestDivergence) {
      bestDivergence = divergence;
      best = clip;
    }
  }
  return best * binWidth;
}

/// Runs over the samples: minmax once; percentile and entropy again, for
/// their histograms over the range the first run saw.
int calibrationPasses(CalibrationMethod method) {
  return method == CalibrationMethod::MinMax ? 1 : 2;
}

/// Runs the calibration model over the samples and returns the range of
/// each of its outputs from index `first` on.
llvm::Expected<std::vector<Range>> observe(Runner &runner,
                                           const std::vector<std::vector<HostTensor>> &samples,
                                           size_t first, const StaticQuantizationOptions &options,
                                           size_t runsTotal) {
  size_t outputs = runner.outputCount() - first;
  std::vector<Range> ranges(outputs);
  // Percentile and entropy: a histogram per tensor, of x over the min/max
  // range or of |x| up to the largest, from a second pass.
  bool absolute = options.method == CalibrationMethod::Entropy;
  size_t bins = absolute ? 2048 : 4096;
  std::vector<std::vector<uint64_t>> histograms;
  std::vector<double> histogramStart(outputs), binWidth(outputs);
  int passes = calibrationPasses(options.method);
  size_t done = 0;
  for (int pass = 0; pass < passes; ++pass) {
    if (pass == 1) {
      histograms.assign(outputs, std::vector<uint64_t>(bins, 0));
      for (size_t k = 0; k < outputs; ++k) {
        const Range &r = ranges[k];
        histogramStart[k] = absolute ? 0.0 : r.lo;
        double end = absolute ? std::max(-r.lo, r.hi) : r.hi;
        binWidth[k] = (end - histogramStart[k]) / bins;
      }
    }
    for (const std::vector<HostTensor> &sample : samples) {
      if (auto error = runner.run(sample))
        return std::move(error);
      for (size_t k = 0; k < outputs; ++k) {
        auto values = runner.output(first + k);
        if (!values)
          return values.takeError();
        Range &r = ranges[k];
        if (pass == 0) {
          for (float v : *values) {
            r.lo = std::min(r.lo, v);
            r.hi = std::max(r.hi, v);
          }
        } else if (binWidth[k] > 0) {
          double start = histogramStart[k], width = binWidth[k];
          for (float v : *values) {
            double x = absolute ? std::fabs(v) : v;
            ++histograms[k][std::min<size_t>(bins - 1, (size_t)((x - start) / width))];
          }
        }
      }
      if (options.progress)
        options.progress(++done, runsTotal);
    }
  }
  for (size_t k = 0; passes == 2 && k < outputs; ++k) {
    Range &r = ranges[k];
    if (!(binWidth[k] > 0))
      continue;
    const std::vector<uint64_t> &histogram = histograms[k];
    if (absolute) {
      // A tensor of one sign spends all 255 steps on its side of zero.
      size_t levels = r.lo >= 0 || r.hi <= 0 ? 255 : 128;
      float t = (float)entropyThreshold(histogram, binWidth[k], levels);
      r = Range{std::max(r.lo, -t), std::min(r.hi, t)};
      continue;
    }
    uint64_t total = 0;
    for (uint64_t c : histogram)
      total += c;
    double tail = total * (100.0 - options.percentile) / 200.0, width = binWidth[k];
    uint64_t below = 0;
    size_t lo = 0, hi = bins - 1;
    while (lo < bins && below + histogram[lo] <= tail)
      below += histogram[lo++];
    uint64_t above = 0;
    while (hi > lo && above + histogram[hi] <= tail)
      above += histogram[hi--];
    Range clipped{float(r.lo + lo * width), float(r.lo + (hi + 1) * width)};
    r = Range{std::max(r.lo, clipped.lo), std::min(r.hi, clipped.hi)};
  }
  return ranges;
}

/// Sums for the SQNR of a quantized tensor against its fp32 value and the
/// agreement of their argmax over the last axis.
struct Agreement {
  double signal = 0, noise = 0;
  size_t positions = 0, agreeing = 0;
  void add(llvm::ArrayRef<float> reference, llvm::ArrayRef<float> quantized, int64_t classes) {
    size_t n = std::min(reference.size(), quantized.size());
    for (size_t i = 0; i < n; ++i) {
      double x = reference[i], e = x - quantized[i];
      signal += x * x;
      noise += e * e;
    }
    if (classes <= 1)
      return;
    for (size_t row = 0; row + classes <= n; row += classes) {
      auto top = [&](llvm::ArrayRef<float> v) {
        return std::max_element(v.begin() + row, v.begin() + row + classes) - v.begin();
      };
      ++positions;
      agreeing += top(reference) == top(quantized);
    }
  }
  double sqnrDb() const {
    if (noise == 0)
      return INFINITY;
    return 10 * std::log10(signal / noise);
  }
};

onnx::TensorProto scalarTensor(const std::string &name, int32_t dtype, double value) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(dtype);
  if (dtype == onnx::TensorProto::FLOAT)
    t.add_float_data((float)value);
  else
    t.add_int32_data((int32_t)value);
  return t;
}

onnx::NodeProto node(const std::string &op, const std::string &name,
                     std::vector<std::string> inputs, const std::string &output,
                     std::optional<int64_t> axis = std::nullopt) {
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_name(name);
  for (const std::string &in : inputs)
    n.add_input(in);
  n.add_output(output);
  if (axis) {
    onnx::AttributeProto *a = n.add_attribute();
    a->set_name("axis");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(*axis);
  }
  return n;
}

/// Moves the fewest of a kernel's rounded taps (`steps`, of `values` in
/// units of `scale`) by one step, those nearest halfway, until their sum
/// is the rounded sum of the values. Edge-detecting depthwise kernels
/// (PP-OCR rec's first: taps of +-6 that sum to 0.003) otherwise answer an
/// even input with several steps of error that the float kernel does not
/// have, on inputs whose channels reach tens.
void roundKeepingSum(llvm::ArrayRef<float> values, float scale, llvm::MutableArrayRef<int8_t> steps) {
  double exact = 0;
  int64_t rounded = 0;
  for (auto [v, q] : llvm::zip(values, steps)) {
    exact += v / scale;
    rounded += q;
  }
  int64_t missing = (int64_t)std::nearbyint(exact) - rounded;
  while (missing != 0) {
    int direction = missing > 0 ? 1 : -1;
    // The tap whose value lies furthest beyond its step in `direction`.
    size_t best = values.size();
    double furthest = -1;
    for (size_t j = 0; j < values.size(); ++j) {
      double beyond = direction * (values[j] / scale - steps[j]);
      if (steps[j] + direction >= -127 && steps[j] + direction <= 127 && beyond > furthest) {
        furthest = beyond;
        best = j;
      }
    }
    if (best == values.size())
      return;
    steps[best] += direction;
    missing -= direction;
  }
}

/// A layer's weights in int8, symmetric: one scale per index of the
/// output-channel axis (or one in all), |w| / 127 at most.
struct QuantizedWeight {
  std::vector<int64_t> dims;
  std::vector<float> scales;
  std::vector<int8_t> steps;
};

QuantizedWeight quantizeWeight(const onnx::NodeProto &n, const onnx::TensorProto &w, int64_t axis,
                               bool perChannel) {
  std::vector<float> values = *floats(w);
  QuantizedWeight result;
  result.dims.assign(w.dims().begin(), w.dims().end());
  const std::vector<int64_t> &dims = result.dims;
  int64_t channels = dims[axis], inner = 1;
  for (size_t d = axis + 1; d < dims.size(); ++d)
    inner *= dims[d];
  std::vector<float> &scales = result.scales;
  scales.assign(perChannel ? channels : 1, 0.0f);
  for (size_t j = 0; j < values.size(); ++j) {
    float &s = scales[perChannel ? (j / inner) % channels : 0];
    s = std::max(s, std::fabs(values[j]) / 127.0f);
  }
  for (float &s : scales)
    if (!(s > 0))
      s = 1.0f;
  std::vector<int8_t> &steps = result.steps;
  steps.resize(values.size());
  for (size_t j = 0; j < values.size(); ++j) {
    float s = scales[perChannel ? (j / inner) % channels : 0];
    steps[j] = (int8_t)std::clamp<double>(std::nearbyint(values[j] / s), -127, 127);
  }
  // A convolution's kernel (the taps of one output and input channel)
  // keeps its sum: its response to an even input.
  if (n.op_type() == "Conv" && axis == 0 && dims.size() > 2) {
    int64_t taps = 1;
    for (size_t d = 2; d < dims.size(); ++d)
      taps *= dims[d];
    for (size_t start = 0; start < values.size(); start += taps) {
      float s = scales[perChannel ? (start / inner) % channels : 0];
      roundKeepingSum(llvm::ArrayRef<float>(values).slice(start, taps), s,
                      llvm::MutableArrayRef<int8_t>(steps).slice(start, taps));
    }
  }
  return result;
}

/// Drops the float weights and biases nothing reads any more, initializers
/// or Constant nodes.
void dropUnread(onnx::GraphProto &graph) {
  llvm::StringSet<> graphOutputs;
  for (const onnx::ValueInfoProto &out : graph.output())
    graphOutputs.insert(out.name());
  llvm::StringSet<> read;
  for (const onnx::NodeProto &n : graph.node())
    for (const std::string &in : n.input())
      read.insert(in);
  auto *allNodes = graph.mutable_node();
  allNodes->erase(std::remove_if(allNodes->begin(), allNodes->end(),
                                 [&](const onnx::NodeProto &n) {
                                   return n.op_type() == "Constant" && n.output_size() == 1 &&
                                          !read.contains(n.output(0)) &&
                                          !graphOutputs.contains(n.output(0));
                                 }),
                  allNodes->end());
  auto *initializers = graph.mutable_initializer();
  initializers->erase(std::remove_if(initializers->begin(), initializers->end(),
                                     [&](const onnx::TensorProto &t) {
                                       return !read.contains(t.name()) &&
                                              !graphOutputs.contains(t.name());
                                     }),
                      initializers->end());
}

/// Writes the QDQ model: a QuantizeLinear/DequantizeLinear pair after each
/// calibrated tensor, int8 weights and int32 biases behind DequantizeLinear.
std::string writeQdq(const onnx::ModelProto &original, const std::vector<Layer> &layers,
                     const std::map<std::string, Range> &ranges, int64_t opset) {
  onnx::ModelProto model = original;
  onnx::GraphProto &graph = *model.mutable_graph();
  bool perChannel = opset >= 13;
  std::map<std::string, std::string> renamed; // activation -> its dequantized copy
  std::vector<onnx::NodeProto> pairsAfter;    // per activation, in the order made
  std::map<std::string, std::vector<onnx::NodeProto>> after;
  std::vector<onnx::NodeProto> atStart;
  std::map<std::string, int> producer;
  for (int i = 0; i < graph.node_size(); ++i)
    for (const std::string &out : graph.node(i).output())
      producer[out] = i;
  llvm::StringSet<> graphOutputs;
  for (const onnx::ValueInfoProto &out : graph.output())
    graphOutputs.insert(out.name());
  // A graph output keeps its name on the dequantized value; its producer
  // writes the float one under another.
  std::map<std::string, std::string> producedAs;
  for (const auto &[tensor, range] : ranges)
    if (graphOutputs.contains(tensor) && producer.count(tensor))
      producedAs[tensor] = tensor + "_float";
  for (const auto &[tensor, range] : ranges) {
    auto [scale, zero] = uint8Params(range);
    std::string s = tensor + "_scale", z = tensor + "_zero_point";
    *graph.add_initializer() = scalarTensor(s, onnx::TensorProto::FLOAT, scale);
    onnx::TensorProto zp;
    zp.set_name(z);
    zp.set_data_type(onnx::TensorProto::UINT8);
    zp.add_int32_data((int32_t)zero);
    *graph.add_initializer() = zp;
    std::string q = tensor + "_quantized", dq = tensor + "_dequantized";
    auto output = producedAs.find(tensor);
    std::string source = output == producedAs.end() ? tensor : output->second;
    if (output != producedAs.end())
      dq = tensor;
    std::vector<onnx::NodeProto> pair{node("QuantizeLinear", q, {source, s, z}, q),
                                      node("DequantizeLinear", q + "_dequantize", {q, s, z}, dq)};
    auto it = producer.find(tensor);
    auto &list = it == producer.end() ? atStart : after[tensor];
    list.insert(list.end(), pair.begin(), pair.end());
    if (dq != tensor)
      renamed[tensor] = dq;
  }
  // Weights and biases.
  std::vector<onnx::NodeProto> weightNodes;
  std::map<int, std::pair<std::string, std::string>> layerInputs; // node -> (weight, bias)
  for (const Layer &layer : layers) {
    const onnx::NodeProto &n = graph.node(layer.node);
    QuantizedWeight weight = quantizeWeight(n, *initializer(graph, n.input(1)), layer.weightAxis,
                                            perChannel);
    const std::vector<int64_t> &dims = weight.dims;
    const std::vector<float> &scales = weight.scales;
    const std::vector<int8_t> &steps = weight.steps;
    int64_t channels = dims[layer.weightAxis];
    std::string base = n.input(1);
    onnx::TensorProto q;
    q.set_name(base + "_quantized");
    q.set_data_type(onnx::TensorProto::INT8);
    for (int64_t d : dims)
      q.add_dims(d);
    std::string raw(steps.begin(), steps.end());
    q.set_raw_data(raw);
    onnx::TensorProto scale, zero;
    scale.set_name(base + "_scale");
    scale.set_data_type(onnx::TensorProto::FLOAT);
    zero.set_name(base + "_zero_point");
    zero.set_data_type(onnx::TensorProto::INT8);
    if (perChannel) {
      scale.add_dims(channels);
      zero.add_dims(channels);
    }
    for (float s : scales) {
      scale.add_float_data(s);
      zero.add_int32_data(0);
    }
    *graph.add_initializer() = q;
    *graph.add_initializer() = scale;
    *graph.add_initializer() = zero;
    std::optional<int64_t> axis;
    if (perChannel)
      axis = layer.weightAxis;
    std::string dqWeight = base + "_dequantized_" + std::to_string(layer.node);
    weightNodes.push_back(node("DequantizeLinear", dqWeight,
                               {q.name(), scale.name(), zero.name()}, dqWeight, axis));
    std::string dqBias;
    // The bias in the accumulator's scale: input scale x weight scale.
    const onnx::TensorProto *b = n.input_size() > 2 ? initializer(graph, n.input(2)) : nullptr;
    auto inputRange = ranges.find(layer.input);
    if (b && floats(*b) && inputRange != ranges.end() && b->dims_size() == 1 &&
        b->dims(0) == channels) {
      float inputScale = uint8Params(inputRange->second).first;
      std::vector<float> bias = *floats(*b);
      onnx::TensorProto qb, bs, bz;
      qb.set_name(n.input(2) + "_quantized_" + std::to_string(layer.node));
      qb.set_data_type(onnx::TensorProto::INT32);
      qb.add_dims(channels);
      bs.set_name(qb.name() + "_scale");
      bs.set_data_type(onnx::TensorProto::FLOAT);
      bz.set_name(qb.name() + "_zero_point");
      bz.set_data_type(onnx::TensorProto::INT32);
      if (perChannel) {
        bs.add_dims(channels);
        bz.add_dims(channels);
      }
      for (int64_t c = 0; c < channels; ++c) {
        float s = inputScale * scales[perChannel ? c : 0];
        qb.add_int32_data((int32_t)std::clamp<double>(std::nearbyint(bias[c] / s), INT32_MIN, INT32_MAX));
        if (perChannel || c == 0) {
          bs.add_float_data(s);
          bz.add_int32_data(0);
        }
      }
      *graph.add_initializer() = qb;
      *graph.add_initializer() = bs;
      *graph.add_initializer() = bz;
      dqBias = qb.name() + "_dequantized";
      weightNodes.push_back(node("DequantizeLinear", dqBias, {qb.name(), bs.name(), bz.name()},
                                 dqBias, perChannel ? std::optional<int64_t>(0) : std::nullopt));
    }
    layerInputs[layer.node] = {dqWeight, dqBias};
  }
  // The graph in its order, each calibrated tensor followed by its pair
  // and read through it.
  std::vector<onnx::NodeProto> nodes(weightNodes);
  nodes.insert(nodes.end(), atStart.begin(), atStart.end());
  for (int i = 0; i < graph.node_size(); ++i) {
    onnx::NodeProto n = graph.node(i);
    for (int k = 0; k < n.input_size(); ++k) {
      auto it = renamed.find(n.input(k));
      if (it != renamed.end())
        n.set_input(k, it->second);
    }
    auto layer = layerInputs.find(i);
    if (layer != layerInputs.end()) {
      n.set_input(1, layer->second.first);
      if (!layer->second.second.empty())
        n.set_input(2, layer->second.second);
    }
    for (int k = 0; k < n.output_size(); ++k) {
      auto it = producedAs.find(n.output(k));
      if (it != producedAs.end())
        n.set_output(k, it->second);
    }
    nodes.push_back(n);
    for (const std::string &out : graph.node(i).output()) {
      auto it = after.find(out);
      if (it != after.end())
        nodes.insert(nodes.end(), it->second.begin(), it->second.end());
    }
  }
  graph.clear_node();
  for (onnx::NodeProto &n : nodes)
    *graph.add_node() = std::move(n);
  dropUnread(graph);
  return model.SerializeAsString();
}

} // namespace

namespace {

/// Writes the model quantized dynamically, as ONNX Runtime's
/// quantize_dynamic writes it: each MatMul's and Gemm's input quantized to
/// uint8 at run time by DynamicQuantizeLinear (the range of that run, once
/// per tensor however many layers read it), the weights int8 per column,
/// the product in int32 by MatMulInteger, and brought back to float by the
/// input's scale times each column's (Gemm's alpha among them; its bias
/// added after). Returns the model and counts the layers in `count`.
std::string writeDynamic(const onnx::ModelProto &original, const std::vector<Layer> &layers,
                         size_t &count) {
  onnx::ModelProto model = original;
  onnx::GraphProto &graph = *model.mutable_graph();
  std::map<int, std::vector<onnx::NodeProto>> replacement;
  llvm::StringSet<> quantizedInputs;
  count = 0;
  for (const Layer &layer : layers) {
    const onnx::NodeProto &n = graph.node(layer.node);
    bool gemm = n.op_type() == "Gemm";
    if (n.op_type() != "MatMul" && !gemm)
      continue;
    std::string bias;
    if (gemm && n.input_size() > 2 && !n.input(2).empty() && floatAttr(n, "beta", 1.0f) != 0) {
      float beta = floatAttr(n, "beta", 1.0f);
      bias = n.input(2);
      if (beta != 1) {
        const onnx::TensorProto *c = initializer(graph, bias);
        std::optional<std::vector<float>> values = c ? floats(*c) : std::nullopt;
        if (!values)
          continue; // a run-time bias scaled by beta: the layer stays float
        onnx::TensorProto scaled;
        scaled.set_name(bias + "_beta_" + std::to_string(layer.node));
        scaled.set_data_type(onnx::TensorProto::FLOAT);
        scaled.mutable_dims()->CopyFrom(c->dims());
        for (float v : *values)
          scaled.add_float_data(beta * v);
        bias = scaled.name();
        *graph.add_initializer() = scaled;
      }
    }
    QuantizedWeight weight = quantizeWeight(n, *initializer(graph, n.input(1)), layer.weightAxis,
                                            /*perChannel=*/true);
    // MatMulInteger reads (K, N): Gemm's transB weights are transposed.
    bool transposed = layer.weightAxis == 0;
    int64_t k = weight.dims[transposed ? 1 : 0], columns = weight.dims[transposed ? 0 : 1];
    std::string steps(k * columns, 0);
    for (int64_t row = 0; row < k; ++row)
      for (int64_t col = 0; col < columns; ++col)
        steps[row * columns + col] =
            (char)weight.steps[transposed ? col * k + row : row * columns + col];
    std::string base = n.input(1) + "_dynamic_" + std::to_string(layer.node);
    onnx::TensorProto q, zero, scale;
    q.set_name(base + "_quantized");
    q.set_data_type(onnx::TensorProto::INT8);
    q.add_dims(k);
    q.add_dims(columns);
    q.set_raw_data(steps);
    zero = scalarTensor(base + "_zero_point", onnx::TensorProto::INT8, 0);
    scale.set_name(base + "_scale");
    scale.set_data_type(onnx::TensorProto::FLOAT);
    scale.add_dims(columns);
    float alpha = gemm ? floatAttr(n, "alpha", 1.0f) : 1.0f;
    for (float v : weight.scales)
      scale.add_float_data(alpha * v);
    *graph.add_initializer() = q;
    *graph.add_initializer() = zero;
    *graph.add_initializer() = scale;

    std::vector<onnx::NodeProto> &nodes = replacement[layer.node];
    const std::string &x = n.input(0), &out = n.output(0);
    std::string xq = x + "_dynamic_quantized", xs = x + "_dynamic_scale",
                xz = x + "_dynamic_zero_point";
    if (quantizedInputs.insert(x).second) {
      onnx::NodeProto quantize = node("DynamicQuantizeLinear", xq, {x}, xq);
      quantize.add_output(xs);
      quantize.add_output(xz);
      nodes.push_back(quantize);
    }
    std::string product = out + "_integer_product", real = out + "_product",
                productScale = out + "_product_scale", scaled = bias.empty() ? out : out + "_unbiased";
    nodes.push_back(node("MatMulInteger", product, {xq, q.name(), xz, zero.name()}, product));
    onnx::NodeProto cast = node("Cast", real, {product}, real);
    onnx::AttributeProto *to = cast.add_attribute();
    to->set_name("to");
    to->set_type(onnx::AttributeProto::INT);
    to->set_i(onnx::TensorProto::FLOAT);
    nodes.push_back(cast);
    nodes.push_back(node("Mul", productScale, {xs, scale.name()}, productScale));
    nodes.push_back(node("Mul", scaled, {real, productScale}, scaled));
    if (!bias.empty())
      nodes.push_back(node("Add", out, {scaled, bias}, out));
    ++count;
  }
  std::vector<onnx::NodeProto> nodes;
  for (int i = 0; i < graph.node_size(); ++i) {
    auto it = replacement.find(i);
    if (it == replacement.end())
      nodes.push_back(graph.node(i));
    else
      nodes.insert(nodes.end(), it->second.begin(), it->second.end());
  }
  graph.clear_node();
  for (onnx::NodeProto &n : nodes)
    *graph.add_node() = std::move(n);
  dropUnread(graph);
  return model.SerializeAsString();
}

} // namespace

llvm::Expected<CalibrationMethod> lathe::parseCalibrationMethod(llvm::StringRef name) {
  if (name == "minmax")
    return CalibrationMethod::MinMax;
  if (name == "percentile")
    return CalibrationMethod::Percentile;
  if (name == "entropy")
    return CalibrationMethod::Entropy;
  return fail("--calibration-method " + name +
              ": lathe calibrates with minmax, percentile or entropy");
}

namespace {

/// `model` as quantization rewrites it: brought to opset 13 where it is
/// older, batch norms folded into their convolutions; and the layers
/// quantized.
struct QuantizableModel {
  onnx::ModelProto proto;
  int64_t opset;
  std::vector<Layer> layers;
};

llvm::Expected<QuantizableModel> quantizableModel(mlir::MLIRContext &context, LoadedModel &model,
                 const StaticQuantizationOptions &options) {
  // QuantizeLinear exists from opset 10, per channel from 13: an older
  // model is converted by ONNX's version converter to the newest of those
  // it converts to (13 where it can, for int8 weights per channel).
  onnx::ModelProto converted;
  int64_t opset = model.opset();
  if (opset < 13) {
    // The converter's Softmax step to 13 needs its input's shape: every
    // tensor is declared with the type lathe imports it with.
    llvm::StringMap<mlir::RankedTensorType> types;
    ImportOptions typing = options.import;
    typing.tensorTypes = &types;
    if (!importModel(context, model, typing))
      return fail(model.path() + ": the fp32 model does not import");
    onnx::ModelProto typed = model.proto();
    llvm::StringSet<> declared;
    for (const onnx::ValueInfoProto &info : typed.graph().input())
      declared.insert(info.name());
    for (const onnx::ValueInfoProto &info : typed.graph().output())
      declared.insert(info.name());
    typed.mutable_graph()->clear_value_info();
    for (const auto &entry : types) {
      int32_t dtype = onnxTypeFor(entry.getValue().getElementType());
      if (declared.contains(entry.getKey()) || !dtype)
        continue;
      onnx::ValueInfoProto *info = typed.mutable_graph()->add_value_info();
      info->set_name(entry.getKey().str());
      auto *tensorType = info->mutable_type()->mutable_tensor_type();
      tensorType->set_elem_type(dtype);
      for (int64_t d : entry.getValue().getShape())
        tensorType->mutable_shape()->add_dim()->set_dim_value(d);
    }
    std::string why;
    for (int64_t target : {13, 12, 11, 10}) {
      if (target < model.opset())
        break;
      if (target == model.opset()) {
        opset = target;
        break;
      }
      try {
        converted = onnx::version_conversion::ConvertVersion(typed, (int)target);
        opset = target;
        break;
      } catch (const std::exception &e) {
        why = e.what();
      }
    }
    if (opset < 10 && model.opset() < 10)
      return fail(model.path() + ": quantization writes QuantizeLinear (opset 10 and newer), and "
                  "ONNX's version converter cannot bring this opset-" +
                  std::to_string(model.opset()) + " model there: " +
                  llvm::StringRef(why).split('\n').first);
  }
  QuantizableModel result{opset == model.opset() ? model.proto() : converted, opset, {}};
  foldBatchNorms(*result.proto.mutable_graph());
  result.layers = chooseLayers(result.proto.graph(), options.keepFloat);
  if (result.layers.empty())
    return fail(model.path() + ": no convolution, matmul or gemm with constant float weights "
                "to quantize");
  return result;
}

} // namespace

llvm::Expected<QuantizedModel> lathe::quantizeWeights(mlir::MLIRContext &context,
                                                      LoadedModel &model,
                                                      const StaticQuantizationOptions &options) {
  auto prepared = quantizableModel(context, model, options);
  if (!prepared)
    return prepared.takeError();
  QuantizedModel result;
  result.qdq = writeQdq(prepared->proto, prepared->layers, {}, prepared->opset);
  return result;
}

llvm::Expected<QuantizedModel> lathe::quantizeDynamic(mlir::MLIRContext &context,
                                                      LoadedModel &model,
                                                      const StaticQuantizationOptions &options) {
  auto prepared = quantizableModel(context, model, options);
  if (!prepared)
    return prepared.takeError();
  if (prepared->opset < 11)
    return fail(model.path() + ": dynamic quantization writes DynamicQuantizeLinear (opset 11 "
                "and newer), and this model is opset " + std::to_string(prepared->opset));
  QuantizedModel result;
  size_t count = 0;
  result.qdq = writeDynamic(prepared->proto, prepared->layers, count);
  if (count == 0)
    return fail(model.path() + ": no matmul or gemm with constant float weights to quantize "
                "dynamically (its convolutions want --quantize static)");
  return result;
}

llvm::Expected<QuantizedModel> lathe::quantizeStatic(mlir::MLIRContext &context, LoadedModel &model,
                                                  const StaticQuantizationOptions &options) {
  auto prepared = quantizableModel(context, model, options);
  if (!prepared)
    return prepared.takeError();
  const onnx::ModelProto &proto = prepared->proto;
  int64_t opset = prepared->opset;
  const std::vector<Layer> &layers = prepared->layers;
  // The tensors to calibrate, in a fixed order.
  std::vector<std::string> observed;
  llvm::StringSet<> seen;
  for (const Layer &layer : layers)
    for (const std::string &t : {layer.input, layer.output})
      if (seen.insert(t).second)
        observed.push_back(t);

  // The fp32 model with them as extra outputs, compiled for this machine.
  // Outputs are declared with their types as lathe imports them (ONNX's
  // checker wants shapes, and ONNX's own inference stops at reshapes to
  // computed shapes).
  auto original = loadModelFromBytes(proto.SerializeAsString(), model.path());
  if (!original)
    return original.takeError();
  llvm::StringMap<mlir::RankedTensorType> types;
  ImportOptions typing = options.import;
  typing.tensorTypes = &types;
  if (!importModel(context, **original, typing))
    return fail(model.path() + ": the fp32 model for calibration does not import");
  onnx::ModelProto calibration = proto;
  size_t first = calibration.graph().output_size();
  for (const std::string &t : observed) {
    mlir::RankedTensorType type = types.lookup(t);
    if (!type || !type.getElementType().isF32())
      return fail(model.path() + ": tensor '" + t + "' before or after a quantized layer is not float");
    onnx::ValueInfoProto *out = calibration.mutable_graph()->add_output();
    out->set_name(t);
    auto *tensorType = out->mutable_type()->mutable_tensor_type();
    tensorType->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : type.getShape())
      tensorType->mutable_shape()->add_dim()->set_dim_value(d);
  }
  auto loaded = loadModelFromBytes(calibration.SerializeAsString(), model.path());
  if (!loaded)
    return loaded.takeError();
  CompileOptions compile;
  compile.import = options.import;
  Artifact artifact;
  CompileStats stats;
  if (failed(compileModel(context, **loaded, compile, artifact, stats)))
    return fail(model.path() + ": the fp32 model for calibration does not compile");
  auto samples = readSamples(options.calibrationDir, artifact.entries.front().inputs);
  if (!samples)
    return samples.takeError();
  auto fp32 = Runner::create(serializeArtifact(artifact), "calibration");
  if (!fp32)
    return fp32.takeError();
  int passes = calibrationPasses(options.method);
  // The accuracy runs come after the calibration passes.
  size_t runsTotal = samples->size() * (passes + 1);
  auto ranges = observe(**fp32, *samples, first, options, runsTotal);
  if (!ranges)
    return ranges.takeError();
  std::map<std::string, Range> byName;
  for (auto [t, r] : llvm::zip(observed, *ranges))
    byName[t] = r;
  QuantizedModel result;
  result.qdq = writeQdq(proto, layers, byName, opset);

  // Accuracy: the QDQ model compiled to integers with each layer's
  // dequantized output as an extra output, against the fp32 model's.
  onnx::ModelProto evaluation;
  if (!evaluation.ParseFromString(result.qdq))
    return fail(model.path() + ": the QDQ model written does not parse");
  llvm::StringSet<> graphOutputs;
  for (const onnx::ValueInfoProto &out : proto.graph().output())
    graphOutputs.insert(out.name());
  std::vector<std::pair<size_t, size_t>> layerOutputs; // (fp32 index, quantized index)
  for (const Layer &layer : layers) {
    size_t fp32Index = first + (llvm::find(observed, layer.output) - observed.begin());
    if (graphOutputs.contains(layer.output)) {
      for (int k = 0; k < proto.graph().output_size(); ++k)
        if (proto.graph().output(k).name() == layer.output)
          layerOutputs.push_back({fp32Index, k});
      continue;
    }
    layerOutputs.push_back({fp32Index, evaluation.graph().output_size()});
    onnx::ValueInfoProto *out = evaluation.mutable_graph()->add_output();
    out->set_name(layer.output + "_dequantized");
    auto *tensorType = out->mutable_type()->mutable_tensor_type();
    tensorType->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : types.lookup(layer.output).getShape())
      tensorType->mutable_shape()->add_dim()->set_dim_value(d);
  }
  auto evaluationModel = loadModelFromBytes(evaluation.SerializeAsString(), model.path());
  if (!evaluationModel)
    return evaluationModel.takeError();
  Artifact quantizedArtifact;
  CompileStats quantizedStats;
  if (failed(compileModel(context, **evaluationModel, compile, quantizedArtifact, quantizedStats)))
    return fail(model.path() + ": the quantized model does not compile for the accuracy runs");
  auto quantized = Runner::create(serializeArtifact(quantizedArtifact), "quantized model");
  if (!quantized)
    return quantized.takeError();
  std::vector<Agreement> layerSums(layers.size()), outputSums(first);
  std::vector<int64_t> classes(first, 0);
  for (size_t k = 0; k < first; ++k) {
    lathe_tensor_info info = (*fp32)->outputInfo(k);
    classes[k] = info.dtype != onnx::TensorProto::FLOAT ? -1 : info.rank ? info.dims[info.rank - 1] : 1;
  }
  size_t done = samples->size() * passes;
  for (const std::vector<HostTensor> &sample : *samples) {
    if (auto error = (*fp32)->run(sample))
      return std::move(error);
    if (auto error = (*quantized)->run(sample))
      return std::move(error);
    auto compare = [&](Agreement &sums, size_t fp32Index, size_t quantizedIndex,
                       int64_t last) -> llvm::Error {
      auto reference = (*fp32)->output(fp32Index);
      if (!reference)
        return reference.takeError();
      auto value = (*quantized)->output(quantizedIndex);
      if (!value)
        return value.takeError();
      sums.add(*reference, *value, last);
      return llvm::Error::success();
    };
    for (auto [sums, indices] : llvm::zip(layerSums, layerOutputs))
      if (auto error = compare(sums, indices.first, indices.second, 0))
        return std::move(error);
    for (size_t k = 0; k < first; ++k)
      if (classes[k] >= 0)
        if (auto error = compare(outputSums[k], k, k, classes[k]))
          return std::move(error);
    if (options.progress)
      options.progress(++done, runsTotal);
  }
  QuantizationAccuracy &accuracy = result.accuracy;
  accuracy.samples = samples->size();
  accuracy.warnBelowDb = options.warnBelowSqnrDb;
  for (auto [layer, sums] : llvm::zip(layers, layerSums)) {
    const onnx::NodeProto &n = proto.graph().node(layer.node);
    accuracy.layers.push_back({n.name().empty() ? n.output(0) : n.name(), n.op_type(),
                               layer.output, sums.sqnrDb()});
  }
  for (size_t k = 0; k < first; ++k) {
    if (classes[k] < 0)
      continue;
    const Agreement &sums = outputSums[k];
    const std::string &name = proto.graph().output(k).name();
    accuracy.outputs.push_back({name, "", name, sums.sqnrDb(),
                                sums.positions ? double(sums.agreeing) / sums.positions : -1});
  }
  return result;
}
