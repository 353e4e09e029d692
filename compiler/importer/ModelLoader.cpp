//===- ModelLoader.cpp - reading ONNX models from disk --------------------===//
#include "compiler/importer/ModelLoader.h"

#include "onnx/checker.h"
#include "onnx/defs/parser.h"
#include "onnx/onnx_pb.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>

using namespace lathe;
using llvm::Expected;

namespace {

llvm::Error fail(llvm::StringRef path, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), path + ": " + message);
}

/// The first line of a multi-line message from ONNX's checker or parser.
std::string firstLine(const std::string &text) {
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r'))
    line.pop_back();
  return line;
}

} // namespace

LoadedModel::~LoadedModel() = default;

Expected<std::unique_ptr<LoadedModel>> LoadedModel::finish(std::unique_ptr<onnx::ModelProto> model,
                                                           llvm::StringRef path) {
  if (!model->has_graph())
    return fail(path, "the model has no graph");
  int64_t opset = -1;
  for (const auto &import : model->opset_import())
    if (import.domain().empty() || import.domain() == "ai.onnx")
      opset = import.version();
  // A model without an ai.onnx opset has only other domains' ops: the
  // importer's op scan reports them.
  if (opset >= 0 && (opset > kMaxOnnxOpset || opset < kMinOnnxOpset))
    return fail(path, "opset " + llvm::Twine(opset) + " is outside the range lathe imports (" +
                          llvm::Twine(kMinOnnxOpset) + " to " + llvm::Twine(kMaxOnnxOpset) + ")");
  auto loaded = std::unique_ptr<LoadedModel>(new LoadedModel());
  loaded->model = std::move(model);
  loaded->modelPath = path.str();
  loaded->defaultOpset = opset;
  return loaded;
}

Expected<std::unique_ptr<LoadedModel>> lathe::loadModel(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/true);
  if (!buffer)
    return fail(path, "cannot read the file: " + buffer.getError().message());
  llvm::StringRef bytes = (*buffer)->getBuffer();
  if (path.ends_with(".onnxtext"))
    return loadModelFromText(bytes, path);
  return loadModelFromBytes(bytes, path);
}

Expected<std::unique_ptr<LoadedModel>> lathe::loadModelFromBytes(llvm::StringRef bytes,
                                                                 llvm::StringRef path) {
  if (bytes.size() > (size_t)INT32_MAX)
    return fail(path, "the model file is over 2 GiB; keep the weights in external data files");
  auto model = std::make_unique<onnx::ModelProto>();
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>(bytes.data()), (int)bytes.size());
  stream.SetTotalBytesLimit(INT32_MAX);
  if (bytes.empty() || !model->ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage())
    return fail(path, "not a valid ONNX model (the protobuf does not parse; is the file "
                      "truncated or not an .onnx file?)");
  return LoadedModel::finish(std::move(model), path);
}

Expected<std::unique_ptr<LoadedModel>> lathe::loadModelFromText(llvm::StringRef text,
                                                                llvm::StringRef name) {
  auto model = std::make_unique<onnx::ModelProto>();
  std::string copy = text.str();
  onnx::Status status = onnx::OnnxParser::Parse(*model, copy.c_str());
  if (!status.IsOK()) {
    // The parser's message spans lines: "[ParseError at position ...]",
    // "Error context: ...", then the cause.
    std::string message = status.ErrorMessage();
    std::string cause = message.substr(message.rfind('\n') + 1);
    return fail(name, "ONNX text does not parse: " + firstLine(message) + " " + cause);
  }
  return LoadedModel::finish(std::move(model), name);
}

llvm::Error LoadedModel::check() const {
  try {
    onnx::checker::CheckerContext context;
    context.set_ir_version(model->ir_version());
    std::unordered_map<std::string, int> opsets;
    for (const auto &import : model->opset_import())
      opsets[import.domain()] = import.version();
    context.set_opset_imports(opsets);
    context.set_model_dir(llvm::sys::path::parent_path(modelPath).str());
    onnx::checker::LexicalScopeContext scope;
    onnx::checker::check_graph(model->graph(), context, scope);
  } catch (const std::exception &e) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "malformed model: " + firstLine(e.what()));
  }
  return llvm::Error::success();
}

Expected<llvm::ArrayRef<char>> LoadedModel::externalData(const onnx::TensorProto &tensor) {
  auto fail = [&](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "external data of tensor '" + tensor.name() + "': " + message);
  };
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto &entry : tensor.external_data()) {
    try {
      if (entry.key() == "location")
        location = entry.value();
      else if (entry.key() == "offset")
        offset = std::stoll(entry.value());
      else if (entry.key() == "length")
        length = std::stoll(entry.value());
    } catch (const std::exception &) {
      return fail(entry.key() + " '" + entry.value() + "' is not a number");
    }
  }
  if (location.empty())
    return fail("no location is given");
  if (llvm::sys::path::is_absolute(location) || llvm::StringRef(location).contains(".."))
    return fail("location '" + location + "' must be a relative path inside the model's folder");
  llvm::SmallString<256> file(llvm::sys::path::parent_path(modelPath));
  llvm::sys::path::append(file, location);
  auto &mapped = externalFiles[file];
  if (!mapped) {
    auto buffer = llvm::MemoryBuffer::getFile(file, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (!buffer)
      return fail("cannot read '" + file + "': " + buffer.getError().message());
    mapped = std::move(*buffer);
  }
  size_t size = mapped->getBufferSize();
  if (length < 0)
    length = (int64_t)size - offset;
  if (offset < 0 || length < 0 || (size_t)offset > size || (size_t)length > size - offset)
    return fail("range [" + llvm::Twine(offset) + ", +" + llvm::Twine(length) +
                ") lies outside '" + location + "' (" + llvm::Twine(size) + " bytes)");
  return llvm::ArrayRef<char>(mapped->getBufferStart() + offset, length);
}
