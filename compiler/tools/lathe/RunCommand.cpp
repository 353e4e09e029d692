//===- RunCommand.cpp - lathe run -----------------------------------------===//
#include "compiler/tools/lathe/Driver.h"

#include "compiler/tools/TensorFiles.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/ToolOutputFile.h"

namespace cl = llvm::cl;

namespace lathe::driver {

cl::SubCommand &runCommand() {
  static cl::SubCommand command("run", "Runs an artifact on .npy/.pb inputs and writes .npy outputs");
  return command;
}

namespace {

cl::list<std::string> artifacts(cl::Positional, cl::desc("ARTIFACT"), cl::sub(runCommand()));
cl::list<std::string> inputFiles("input", cl::desc("A graph input's tensor (repeat per input)"),
                                 cl::value_desc("NAME=FILE"), cl::sub(runCommand()));
cl::opt<std::string> outputDir("output-dir", cl::desc("Where the outputs go"),
                               cl::value_desc("DIR"), cl::sub(runCommand()));
cl::opt<std::string> entryName("entry", cl::desc("The entry to run (default: the first)"),
                               cl::value_desc("NAME"), cl::sub(runCommand()));

} // namespace

int runRun() {
  lathe_session_options sessionOptions = {0};
  if (auto error = threadsFromFlag(sessionOptions.threads))
    return fail("run: " + *error);
  if (artifacts.size() != 1)
    return fail("run: expected one artifact (lathe run OUT.lathe --input NAME=FILE ...)");
  if (outputDir.empty())
    return fail("run: --output-dir DIR is required");
  const std::string &path = artifacts[0];

  LoadedSession loaded;
  if (auto error = loaded.open(path, sessionOptions))
    return fail(*error);
  lathe_model *model = loaded.model.get();
  lathe_session *session = loaded.session.get();
  lathe_status status;
  size_t entry = 0;
  if (!entryName.empty() &&
      (lathe_model_find_entry(model, entryName.c_str(), &entry, &status) != LATHE_OK ||
       lathe_session_select_entry(session, entry, &status) != LATHE_OK))
    return fail(path + ": " + status.message);

  std::vector<HostTensor> tensors(lathe_model_entry_input_count(model, entry));
  std::vector<bool> given(tensors.size(), false);
  for (llvm::StringRef spec : inputFiles) {
    auto [name, file] = spec.rsplit('=');
    size_t index = tensors.size();
    for (size_t i = 0; i < tensors.size(); ++i) {
      lathe_tensor_info info;
      lathe_model_entry_input_info(model, entry, i, &info, nullptr);
      if (name == info.name)
        index = i;
    }
    if (index == tensors.size())
      return fail(path + ": --input names '" + name + "', which is not an input of the model");
    auto tensor = readTensorFile(file.str());
    if (!tensor)
      return fail(llvm::toString(tensor.takeError()));
    tensors[index] = std::move(*tensor);
    given[index] = true;
    const HostTensor &t = tensors[index];
    if (lathe_session_set_input(session, index, t.bytes.data(), t.bytes.size(), t.dtype,
                                t.dims.data(), t.dims.size(), &status) != LATHE_OK)
      return fail(file + ": " + status.message);
  }
  for (size_t i = 0; i < tensors.size(); ++i)
    if (!given[i]) {
      lathe_tensor_info info;
      lathe_model_entry_input_info(model, entry, i, &info, nullptr);
      return fail(path + ": input '" + info.name + "' is not given (--input " + info.name +
                  "=FILE)");
    }
  if (lathe_session_run(session, &status) != LATHE_OK)
    return fail(path + ": " + status.message);

  if (auto ec = llvm::sys::fs::create_directories(outputDir))
    return fail("cannot create '" + outputDir + "': " + ec.message());
  std::string openError;
  std::string indexPath = outputDir + "/outputs.json";
  auto index = mlir::openOutputFile(indexPath, &openError);
  if (!index)
    return fail("cannot write '" + indexPath + "': " + openError);
  // Output names are the model's: any bytes, escaped by the JSON writer.
  std::vector<std::string> names;
  size_t outputCount = lathe_model_entry_output_count(model, entry);
  for (size_t i = 0; i < outputCount; ++i) {
    lathe_tensor_info info;
    const void *data;
    size_t bytes;
    lathe_model_entry_output_info(model, entry, i, &info, nullptr);
    if (lathe_session_output(session, i, &data, &bytes, &status) != LATHE_OK)
      return fail(path + ": " + status.message);
    HostTensor t;
    t.dtype = info.dtype;
    t.dims.assign(info.dims, info.dims + info.rank);
    t.bytes.assign((const char *)data, (const char *)data + bytes);
    std::string file = outputDir + "/output_" + std::to_string(i) + ".npy";
    if (auto err = writeNpy(file, t))
      return fail(llvm::toString(std::move(err)));
    names.push_back(llvm::json::fixUTF8(info.name));
  }
  llvm::json::OStream json(index->os(), /*IndentSize=*/2);
  json.object([&] {
    for (auto [i, name] : llvm::enumerate(names))
      json.attribute(std::to_string(i), name);
  });
  index->os() << "\n";
  index->keep();
  return 0;
}

} // namespace lathe::driver
