//===- LatheModule.cpp - the _lathe extension of the Python package -------===//
//
// The compiler (CompileJob, as `lathe compile` runs it) and the runtime's C
// API, for lathe/__init__.py to wrap. A session binds numpy arrays as its
// inputs and has outputs written straight into fresh arrays where the
// runtime allows (lathe_session_set_output), so neither is copied.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ModelLoader.h"
#include "compiler/importer/OnnxImporter.h"
#include "compiler/pipeline/CompileJob.h"

#include "lathe/artifact_format.h"
#include "lathe/lathe.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <cstdlib>
#include <map>
#include <mutex>
#include <stdexcept>

namespace py = pybind11;

namespace lathe::python {
namespace {

/// Raised in Python as lathe.Error, with the driver's one-line texts.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void raise(llvm::Error error) { throw Error(llvm::toString(std::move(error))); }
[[noreturn]] void raise(const lathe_status &status) { throw Error(status.message); }

/// numpy's name of an ONNX element type, for the dtypes lathe's signatures use.
const char *numpyName(int32_t dtype) {
  switch (dtype) {
  case LATHE_DTYPE_FLOAT32: return "float32";
  case 2: return "uint8";
  case 3: return "int8";
  case 4: return "uint16";
  case 5: return "int16";
  case 6: return "int32";
  case 7: return "int64";
  case 9: return "bool";
  case 10: return "float16";
  case 11: return "float64";
  case 12: return "uint32";
  case 13: return "uint64";
  default: return nullptr;
  }
}

int32_t onnxType(const py::dtype &dtype) {
  for (int32_t code : {1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13})
    if (dtype.equal(py::dtype(numpyName(code))))
      return code;
  return 0;
}

py::dict describe(const lathe_tensor_info &info) {
  py::dict d;
  d["name"] = info.name;
  d["shape"] = py::tuple(py::cast(std::vector<int64_t>(info.dims, info.dims + info.rank)));
  const char *name = numpyName(info.dtype);
  d["dtype"] = name ? py::object(py::dtype(name)) : py::object(py::int_(info.dtype));
  return d;
}

/// compile(model, label, is_path, target, input_shapes, options) ->
/// (artifact bytes, stats JSON, warnings, notes).
py::tuple compile(const py::bytes &model, const std::string &label, bool isPath,
                  const std::string &target, const std::vector<std::string> &inputShapes,
                  const py::dict &options) {
  CompileJob job;
  CompileOptions &compile = job.options;
  compile.target = target;
  for (const std::string &shape : inputShapes)
    if (auto err = parseInputShape(shape, compile.import))
      raise(std::move(err));
  TargetOptions &targetOptions = compile.targetOptions;
  QuantizationRequest &quantization = job.quantization;
  for (auto [key, value] : options) {
    std::string name = py::str(key);
    if (value.is_none())
      continue;
    if (name == "host")
      targetOptions.host = value.cast<std::string>();
    else if (name == "cpu")
      targetOptions.cpu = value.cast<std::string>();
    else if (name == "hexagon_arch")
      targetOptions.hexagonArch = value.cast<std::string>();
    else if (name == "disable_passes")
      targetOptions.disabledPasses = value.cast<std::vector<std::string>>();
    else if (name == "no_fusion")
      targetOptions.noFusion = value.cast<bool>();
    else if (name == "no_layout")
      targetOptions.noLayout = value.cast<bool>();
    else if (name == "kv_cache")
      compile.import.kvCacheCapacity = value.cast<int64_t>();
    else if (name == "quantize")
      quantization.mode = value.cast<std::string>();
    else if (name == "calibration")
      quantization.options.calibrationDir = value.cast<std::string>();
    else if (name == "calibration_method") {
      auto method = parseCalibrationMethod(value.cast<std::string>());
      if (!method)
        raise(method.takeError());
      quantization.options.method = *method;
    } else if (name == "keep_float")
      quantization.options.keepFloat = value.cast<std::vector<std::string>>();
    else if (name == "warn_below_sqnr")
      quantization.options.warnBelowSqnrDb = value.cast<double>();
    else if (name == "entries") {
      // [(name, [shape spec, ...]), ...], the first the default.
      for (auto entry : value.cast<std::vector<std::pair<std::string, std::vector<std::string>>>>()) {
        CompileOptions::Entry e{entry.first, compile.import};
        for (const std::string &shape : entry.second)
          if (auto err = parseInputShape(shape, e.import))
            raise(std::move(err));
        compile.entries.push_back(std::move(e));
      }
    } else
      throw py::type_error("compile() got an unexpected option '" + name + "'");
  }
  for (CompileOptions::Entry &entry : compile.entries)
    entry.import.kvCacheCapacity = compile.import.kvCacheCapacity;
  if (auto err = quantization.check())
    raise(std::move(err));

  std::string bytes = model;
  CompiledArtifact compiled;
  {
    py::gil_scoped_release unlocked;
    auto loaded = isPath ? loadModel(label) : loadModelFromBytes(bytes, label);
    if (!loaded)
      raise(loaded.takeError());
    auto result = compileJob(**loaded, job);
    if (!result)
      raise(result.takeError());
    compiled = std::move(*result);
  }
  std::vector<char> artifact = serializeArtifact(compiled.artifact);
  return py::make_tuple(py::bytes(artifact.data(), artifact.size()), compiled.stats.json(),
                        compiled.warnings, compiled.notes);
}

/// A loaded artifact, over its own 64-byte aligned copy of the bytes (the
/// runtime uses the constants in place, as from a mapped file).
class Model {
public:
  explicit Model(const py::bytes &artifact) {
    char *data;
    py::ssize_t size;
    PyBytes_AsStringAndSize(artifact.ptr(), &data, &size);
    size_t rounded = ((size_t)size + 63) / 64 * 64;
    bytes.reset(static_cast<char *>(std::aligned_alloc(64, rounded ? rounded : 64)));
    if (!bytes)
      throw std::bad_alloc();
    std::memcpy(bytes.get(), data, size);
    lathe_status status;
    if (lathe_model_load_memory(bytes.get(), size, lathe_system_allocator(), &model, &status) !=
        LATHE_OK)
      raise(status);
  }
  ~Model() { lathe_model_release(model); }
  Model(const Model &) = delete;
  Model &operator=(const Model &) = delete;

  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (size_t e = 0; e < lathe_model_entry_count(model); ++e)
      names.push_back(lathe_model_entry_name(model, e));
    return names;
  }
  size_t entryIndex(const std::optional<std::string> &name) const {
    if (!name)
      return 0;
    size_t entry;
    lathe_status status;
    if (lathe_model_find_entry(model, name->c_str(), &entry, &status) != LATHE_OK)
      raise(status);
    return entry;
  }
  /// An entry's inputs (or outputs) as [{"name", "shape", "dtype"}, ...].
  py::list signature(const std::optional<std::string> &entryName, bool outputs) const {
    size_t entry = entryIndex(entryName);
    size_t count = outputs ? lathe_model_entry_output_count(model, entry)
                           : lathe_model_entry_input_count(model, entry);
    py::list list;
    for (size_t i = 0; i < count; ++i) {
      lathe_tensor_info info;
      (outputs ? lathe_model_entry_output_info : lathe_model_entry_input_info)(model, entry, i,
                                                                               &info, nullptr);
      list.append(describe(info));
    }
    return list;
  }
  size_t arenaBytes() const { return lathe_model_arena_bytes(model); }

  std::unique_ptr<char, decltype(&std::free)> bytes{nullptr, &std::free};
  lathe_model *model = nullptr;
};

class Session {
public:
  Session(std::shared_ptr<Model> owner, size_t threads) : owner(std::move(owner)) {
    lathe_session_options options = {threads};
    lathe_status status;
    if (lathe_session_create_with_options(this->owner->model, lathe_system_allocator(), &options,
                                          &session, &status) != LATHE_OK)
      raise(status);
  }
  ~Session() { lathe_session_release(session); }
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  size_t threads() const { return lathe_session_threads(session); }
  uint64_t cachePosition() const { return lathe_session_cache_position(session); }
  void reset() {
    Lock lock(*this);
    lathe_status status;
    if (lathe_session_reset(session, &status) != LATHE_OK)
      raise(status);
  }

  /// Binds `feeds` (name -> array), runs, and returns name -> array.
  py::dict run(const py::dict &feeds, const std::optional<std::string> &entryName) {
    Lock lock(*this);
    lathe_model *model = owner->model;
    lathe_status status;
    size_t entry = owner->entryIndex(entryName);
    if (lathe_session_select_entry(session, entry, &status) != LATHE_OK)
      raise(status);
    size_t inputCount = lathe_model_entry_input_count(model, entry);
    std::vector<py::array> inputs(inputCount);
    std::vector<bool> given(inputCount, false);
    for (auto [key, value] : feeds) {
      std::string name = py::str(key);
      size_t index = inputCount;
      for (size_t i = 0; i < inputCount; ++i) {
        lathe_tensor_info info;
        lathe_model_entry_input_info(model, entry, i, &info, nullptr);
        if (name == info.name)
          index = i;
      }
      if (index == inputCount)
        throw Error("'" + name + "' is not an input of the model");
      // Bound where it lies; copied only when it is not C-contiguous.
      py::array array = py::array::ensure(value, py::array::c_style);
      if (!array)
        throw Error("input '" + name + "': not an array");
      int32_t dtype = onnxType(array.dtype());
      std::vector<int64_t> dims(array.shape(), array.shape() + array.ndim());
      if (lathe_session_set_input(session, index, array.data(), array.nbytes(), dtype,
                                  dims.data(), dims.size(), &status) != LATHE_OK)
        raise(status);
      inputs[index] = std::move(array);
      given[index] = true;
    }
    for (size_t i = 0; i < inputCount; ++i)
      if (!given[i]) {
        lathe_tensor_info info;
        lathe_model_entry_input_info(model, entry, i, &info, nullptr);
        throw Error(std::string("input '") + info.name + "' is not given");
      }

    // Fresh arrays each run, so that earlier results stay as they were;
    // whatever happens, the session forgets them when the run is over.
    size_t outputCount = lathe_model_entry_output_count(model, entry);
    std::vector<py::array> outputs;
    std::vector<bool> bound(outputCount, false);
    struct Unbind {
      lathe_session *session;
      std::vector<bool> &bound;
      ~Unbind() {
        lathe_status ignored;
        for (size_t i = 0; i < bound.size(); ++i)
          if (bound[i])
            lathe_session_set_output(session, i, nullptr, 0, &ignored);
      }
    } unbind{session, bound};
    for (size_t i = 0; i < outputCount; ++i) {
      lathe_tensor_info info;
      lathe_model_entry_output_info(model, entry, i, &info, nullptr);
      const char *name = numpyName(info.dtype);
      if (!name)
        throw Error(std::string("output '") + info.name + "': dtype " +
                    std::to_string(info.dtype) + " has no numpy type");
      outputs.emplace_back(py::dtype(name), std::vector<py::ssize_t>(info.dims, info.dims + info.rank));
      lathe_status ignored;
      bound[i] = lathe_session_set_output(session, i, outputs.back().mutable_data(),
                                          outputs.back().nbytes(), &ignored) == LATHE_OK;
    }
    lathe_status_code code;
    {
      py::gil_scoped_release unlocked;
      code = lathe_session_run(session, &status);
    }
    py::dict results;
    for (size_t i = 0; i < outputCount; ++i) {
      lathe_tensor_info info;
      lathe_model_entry_output_info(model, entry, i, &info, nullptr);
      if (!bound[i] && code == LATHE_OK) {
        // Written into the memory the session shares with a device.
        const void *data;
        size_t bytes;
        if (lathe_session_output(session, i, &data, &bytes, &status) != LATHE_OK)
          raise(status);
        std::memcpy(outputs[i].mutable_data(), data, bytes);
      }
      results[py::str(info.name)] = outputs[i];
    }
    if (code != LATHE_OK)
      raise(status);
    return results;
  }

private:
  /// One run (or reset) of a session at a time: a run rebinds the
  /// session's inputs and outputs. Taken without the GIL, which a run
  /// releases while it computes.
  struct Lock {
    explicit Lock(Session &s) : lock(s.mutex, std::defer_lock) {
      py::gil_scoped_release unlocked;
      lock.lock();
    }
    std::unique_lock<std::mutex> lock;
  };

  std::shared_ptr<Model> owner;
  lathe_session *session = nullptr;
  std::mutex mutex;
};

} // namespace
} // namespace lathe::python

PYBIND11_MODULE(_lathe, m) {
  using namespace lathe::python;
  m.doc() = "lathe's compiler and runtime (wrapped by the lathe package)";
  py::register_exception<Error>(m, "Error", PyExc_RuntimeError);
  m.def("compile", &compile);
  m.def("supported_onnx_ops", &lathe::supportedOnnxOps);
  m.attr("ARTIFACT_FORMAT") = LATHE_ARTIFACT_VERSION;
  py::class_<Model, std::shared_ptr<Model>>(m, "Model")
      .def(py::init<const py::bytes &>())
      .def_property_readonly("entries", &Model::entries)
      .def(
          "inputs",
          [](const Model &m, std::optional<std::string> entry) { return m.signature(entry, false); },
          py::arg("entry") = py::none())
      .def(
          "outputs",
          [](const Model &m, std::optional<std::string> entry) { return m.signature(entry, true); },
          py::arg("entry") = py::none())
      .def_property_readonly("arena_bytes", &Model::arenaBytes);
  py::class_<Session>(m, "Session")
      .def(py::init<std::shared_ptr<Model>, size_t>())
      .def_property_readonly("threads", &Session::threads)
      .def_property_readonly("cache_position", &Session::cachePosition)
      .def("reset", &Session::reset)
      .def("run", &Session::run, py::arg("feeds"), py::arg("entry") = py::none());
}
