//===- ConformanceRunner.cpp - ONNX backend test data on a lathe target ---===//
//
// For every case of ONNX's backend test data: import and compile the model
// for the target, load the artifact with the runtime, run every
// test_data_set and compare with its expected outputs (rtol 1e-3, atol 1e-5
// for floats; exact for integers and booleans). Each case runs in a forked
// child, so a crash is that case's failure, not the run's.
//
// With --host (another CPU's triple) and --run-with (a command that runs an
// artifact as `lathe run` does, e.g. lathe-run-runtime under qemu-aarch64),
// the artifact and each data set's inputs go to files and that command runs
// them: the cases on the devices' own CPUs.
//
// The cases that pass are compared with the checked-in list: a listed case
// that fails is a regression and fails the run. Prints one line per
// regression or crash, per-suite counts, and "N passed, M failed".
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ModelLoader.h"
#include "compiler/pipeline/Compiler.h"
#include "compiler/tools/TensorFiles.h"

#include "lathe/lathe.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sys/wait.h>
#include <unistd.h>

using namespace lathe;

namespace {

const char *kSuites[] = {"node", "pytorch-converted", "pytorch-operator", "simple"};

std::vector<std::string> listDir(const std::string &dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec))
    names.push_back(llvm::sys::path::filename(it->path()).str());
  std::sort(names.begin(), names.end());
  return names;
}

double toDouble(const char *p, int32_t dtype) {
  switch (dtype) {
  case LATHE_DTYPE_FLOAT32: { float v; std::memcpy(&v, p, 4); return v; }
  case LATHE_DTYPE_FLOAT64: { double v; std::memcpy(&v, p, 8); return v; }
  case LATHE_DTYPE_FLOAT16: {
    uint16_t h; std::memcpy(&h, p, 2);
    int e = (h >> 10) & 31, m = h & 1023; double s = (h >> 15) ? -1 : 1;
    if (e == 31) return m ? NAN : s * INFINITY;
    return e ? s * std::ldexp(1.0 + m / 1024.0, e - 15) : s * std::ldexp(m / 1024.0, -14);
  }
  case LATHE_DTYPE_BFLOAT16: {
    uint16_t h; std::memcpy(&h, p, 2); uint32_t w = (uint32_t)h << 16; float f; std::memcpy(&f, &w, 4); return f;
  }
  default: return 0;
  }
}

/// Float tolerances: fp32 targets within rtol 1e-3, atol 1e-5; the ane,
/// which computes in fp16, within rtol 1e-2, atol 1e-3.
struct Tolerance {
  double rtol, atol;
};
Tolerance toleranceFor(const std::string &target) {
  return target == "ane" ? Tolerance{1e-2, 1e-3} : Tolerance{1e-3, 1e-5};
}

/// "" when `actual` matches `expected`, else what differs.
std::string compare(const char *actual, const HostTensor &expected, const lathe_tensor_info &info,
                    Tolerance tolerance) {
  if (expected.dtype != info.dtype)
    return "dtype " + std::to_string(info.dtype) + " vs expected " + std::to_string(expected.dtype);
  if (std::vector<int64_t>(info.dims, info.dims + info.rank) != expected.dims)
    return "shape differs from the expected output";
  size_t size = lathe_dtype_size(info.dtype), count = expected.bytes.size() / size;
  bool isFloat = info.dtype == LATHE_DTYPE_FLOAT32 || info.dtype == LATHE_DTYPE_FLOAT64 ||
                 info.dtype == LATHE_DTYPE_FLOAT16 || info.dtype == LATHE_DTYPE_BFLOAT16;
  for (size_t i = 0; i < count; ++i) {
    const char *a = actual + i * size, *e = expected.bytes.data() + i * size;
    if (!isFloat) {
      if (std::memcmp(a, e, size) != 0)
        return "element " + std::to_string(i) + " differs";
      continue;
    }
    double x = toDouble(a, info.dtype), y = toDouble(e, info.dtype);
    if (std::isnan(x) || std::isnan(y)) {
      if (std::isnan(x) != std::isnan(y))
        return "element " + std::to_string(i) + ": " + std::to_string(x) + " vs " + std::to_string(y);
      continue;
    }
    if (std::isinf(y) ? x != y : std::fabs(x - y) > tolerance.atol + tolerance.rtol * std::fabs(y))
      return "element " + std::to_string(i) + ": " + std::to_string(x) + " vs expected " +
             std::to_string(y);
  }
  return "";
}

/// Where the cases run: in this process, or compiled for `host` and run by
/// the `runWith` command in a scratch folder.
struct Runner {
  std::string target, host, cpu;
  std::vector<std::string> runWith;
  std::string scratch;
};

/// Runs every test data set of a case compiled for another host with the
/// runner's command; "" when all match.
std::string runElsewhere(const std::string &dir, const Artifact &artifact, const Runner &runner) {
  std::string work = runner.scratch + "/" + std::to_string(getpid());
  llvm::sys::fs::create_directories(work);
  std::string artifactPath = work + "/model.lathe";
  {
    std::vector<char> bytes = serializeArtifact(artifact);
    std::ofstream out(artifactPath, std::ios::binary);
    out.write(bytes.data(), bytes.size());
    if (!out)
      return "cannot write " + artifactPath;
  }
  const ArtifactEntry &entry = artifact.entries.front();
  int sets = 0;
  for (const std::string &set : listDir(dir)) {
    if (set.rfind("test_data_set_", 0) != 0)
      continue;
    ++sets;
    std::string setDir = dir + "/" + set, outDir = work + "/" + set;
    std::vector<std::string> args = runner.runWith;
    args.push_back(artifactPath);
    for (size_t i = 0; i < entry.inputs.size(); ++i) {
      auto t = readTensorFile(setDir + "/input_" + std::to_string(i) + ".pb");
      if (!t)
        return llvm::toString(t.takeError());
      std::string file = work + "/" + set + "_input_" + std::to_string(i) + ".npy";
      if (auto err = writeNpy(file, *t))
        return llvm::toString(std::move(err));
      args.push_back("--input");
      args.push_back(entry.inputs[i].name + "=" + file);
    }
    args.push_back("--output-dir");
    args.push_back(outDir);
    std::vector<llvm::StringRef> argv(args.begin(), args.end());
    std::string errorFile = work + "/stderr.txt", message;
    std::optional<llvm::StringRef> redirects[] = {std::nullopt, std::nullopt,
                                                  llvm::StringRef(errorFile)};
    int code = llvm::sys::ExecuteAndWait(args.front(), argv, std::nullopt, redirects, 0, 0,
                                         &message);
    if (code != 0) {
      std::ifstream in(errorFile);
      std::string line;
      std::getline(in, line);
      return "run: " + (line.empty() ? message : line);
    }
    for (size_t o = 0; o < entry.outputs.size(); ++o) {
      auto expected = readTensorFile(setDir + "/output_" + std::to_string(o) + ".pb");
      auto actual = readTensorFile(outDir + "/output_" + std::to_string(o) + ".npy");
      if (!expected)
        return llvm::toString(expected.takeError());
      if (!actual)
        return llvm::toString(actual.takeError());
      lathe_tensor_info info{};
      info.dtype = actual->dtype;
      info.rank = actual->dims.size();
      std::copy(actual->dims.begin(), actual->dims.end(), info.dims);
      if (actual->bytes.size() != expected->bytes.size())
        return set + " output " + std::to_string(o) + ": size differs from the expected output";
      std::string diff = compare(actual->bytes.data(), *expected, info, toleranceFor(runner.target));
      if (!diff.empty())
        return set + " output " + std::to_string(o) + ": " + diff;
    }
  }
  llvm::sys::fs::remove_directories(work);
  return sets ? "" : "no test data sets";
}

/// Runs one case; "" when it passes, else why not (one line). `whole` says
/// whether every op ran on `target` (nothing fell back to the cpu).
std::string runCase(const std::string &dir, const Runner &runner, bool &whole) {
  const std::string &target = runner.target;
  auto model = loadModel(dir + "/model.onnx");
  if (!model)
    return llvm::toString(model.takeError());
  mlir::DialectRegistry registry;
  registerImporterDialects(registry);
  mlir::MLIRContext context(registry, mlir::MLIRContext::Threading::DISABLED);
  std::string firstError;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &diag) {
    if (diag.getSeverity() == mlir::DiagnosticSeverity::Error && firstError.empty())
      firstError = diag.str();
    return mlir::success();
  });
  CompileOptions options;
  options.target = target;
  options.targetOptions.host = runner.host;
  if (!runner.cpu.empty())
    options.targetOptions.cpu = runner.cpu;
  Artifact artifact;
  CompileStats stats;
  if (failed(compileModel(context, **model, options, artifact, stats)))
    return "compile: " + firstError;
  whole = target == "cpu" || !stats.opsPerTarget.count("cpu");
  if (!runner.runWith.empty())
    return runElsewhere(dir, artifact, runner);
  std::vector<char> bytes = serializeArtifact(artifact);
  lathe_status status;
  lathe_model *m = nullptr;
  if (lathe_model_load_memory(bytes.data(), bytes.size(), lathe_system_allocator(), &m, &status))
    return std::string("load: ") + status.message;
  lathe_session *session = nullptr;
  if (lathe_session_create(m, lathe_system_allocator(), &session, &status))
    return std::string("session: ") + status.message;
  int sets = 0;
  for (const std::string &set : listDir(dir)) {
    if (set.rfind("test_data_set_", 0) != 0)
      continue;
    ++sets;
    std::string setDir = dir + "/" + set;
    std::vector<HostTensor> inputs(lathe_model_input_count(m));
    for (size_t i = 0; i < inputs.size(); ++i) {
      auto t = readTensorFile(setDir + "/input_" + std::to_string(i) + ".pb");
      if (!t)
        return llvm::toString(t.takeError());
      inputs[i] = std::move(*t);
      if (lathe_session_set_input(session, i, inputs[i].bytes.data(), inputs[i].bytes.size(),
                                  inputs[i].dtype, inputs[i].dims.data(), inputs[i].dims.size(),
                                  &status))
        return std::string("input: ") + status.message;
    }
    if (lathe_session_run(session, &status))
      return std::string("run: ") + status.message;
    for (size_t o = 0; o < lathe_model_output_count(m); ++o) {
      auto expected = readTensorFile(setDir + "/output_" + std::to_string(o) + ".pb");
      if (!expected)
        return llvm::toString(expected.takeError());
      const void *data;
      size_t size;
      lathe_tensor_info info;
      lathe_model_output_info(m, o, &info, nullptr);
      lathe_session_output(session, o, &data, &size, &status);
      std::string diff = compare(static_cast<const char *>(data), *expected, info, toleranceFor(target));
      if (!diff.empty())
        return set + " output " + std::to_string(o) + ": " + diff;
    }
  }
  lathe_session_release(session);
  lathe_model_release(m);
  return sets ? "" : "no test data sets";
}

} // namespace

int main(int argc, char **argv) {
  std::string data = "/usr/share/libonnx-testdata/data", expectedPath, filter;
  Runner runner{"cpu", "", "", {}, ""};
  bool update = false, verbose = false;
  int jobs = 2;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--data") data = value();
    else if (a == "--expected") expectedPath = value();
    else if (a == "--target") runner.target = value();
    else if (a == "--host") runner.host = value();
    else if (a == "--cpu") runner.cpu = value();
    else if (a == "--run-with") {
      std::string command = value();
      llvm::SmallVector<llvm::StringRef> words;
      llvm::SplitString(command, words);
      for (llvm::StringRef word : words)
        runner.runWith.push_back(word.str());
      // The command by its path, as the child processes start it.
      if (!runner.runWith.empty()) {
        llvm::ErrorOr<std::string> program = llvm::sys::findProgramByName(runner.runWith.front());
        if (!program) {
          std::cerr << "lathe-conformance: --run-with: no program '" << runner.runWith.front()
                    << "'\n";
          return 2;
        }
        runner.runWith.front() = *program;
      }
    }
    else if (a == "--jobs") jobs = std::max(1, std::atoi(value().c_str()));
    else if (a == "--filter") filter = value();
    else if (a == "--update") update = true;
    else if (a == "--verbose") verbose = true;
    else {
      std::cerr << "usage: lathe-conformance --expected FILE [--target cpu] [--data DIR] "
                   "[--jobs N] [--filter SUBSTRING] [--update] [--verbose] "
                   "[--host TRIPLE [--cpu NAME] --run-with \"CMD ARG...\"]\n";
      return 2;
    }
  }
  const std::string &target = runner.target;
  if (!runner.runWith.empty()) {
    llvm::SmallString<128> scratch;
    if (llvm::sys::fs::createUniqueDirectory("lathe-conformance", scratch)) {
      std::cerr << "lathe-conformance: cannot create a scratch folder\n";
      return 2;
    }
    runner.scratch = scratch.str().str();
  }
  std::vector<std::string> cases;
  for (const char *suite : kSuites)
    for (const std::string &name : listDir(data + "/" + suite))
      if (llvm::sys::fs::exists(data + "/" + suite + "/" + name + "/model.onnx") &&
          (filter.empty() || name.find(filter) != std::string::npos))
        cases.push_back(std::string(suite) + "/" + name);

  std::set<std::string> expected;
  std::string header; // the list's leading comment, kept by --update
  if (!expectedPath.empty()) {
    std::ifstream in(expectedPath);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line[0] != '#')
        expected.insert(line);
      else if (expected.empty() && !line.empty())
        header += line + "\n";
    }
  }

  // Fork a child per case, `jobs` at a time; each reports one line on a pipe.
  std::map<std::string, std::string> results; // case -> "" or failure
  std::set<std::string> wholly; // cases compiled with no op falling back to the cpu
  struct Running { pid_t pid; int fd; std::string name; };
  std::vector<Running> running;
  size_t next = 0;
  auto reap = [&](bool block) {
    for (size_t r = 0; r < running.size();) {
      int status;
      pid_t done = waitpid(running[r].pid, &status, block && r == 0 ? 0 : WNOHANG);
      if (done == 0) { ++r; continue; }
      std::string message;
      char buffer[4096];
      ssize_t n;
      while ((n = read(running[r].fd, buffer, sizeof(buffer))) > 0)
        message.append(buffer, n);
      close(running[r].fd);
      if (!message.empty() && message[0] == 'W')
        wholly.insert(running[r].name);
      if (!message.empty())
        message.erase(0, 1);
      if (WIFSIGNALED(status))
        message = "CRASH: signal " + std::to_string(WTERMSIG(status)) + (WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
      else if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && message.empty()))
        message = "CRASH: exit " + std::to_string(WEXITSTATUS(status));
      else if (WEXITSTATUS(status) == 0)
        message.clear();
      results[running[r].name] = message;
      running.erase(running.begin() + r);
      block = false;
    }
  };
  while (next < cases.size() || !running.empty()) {
    while (running.size() < (size_t)jobs && next < cases.size()) {
      int fds[2];
      if (pipe(fds) != 0) return 2;
      std::string name = cases[next++];
      pid_t pid = fork();
      if (pid == 0) {
        close(fds[0]);
        alarm(300);
        bool whole = false;
        std::string why = runCase(data + "/" + name, runner, whole);
        for (char &c : why) if (c == '\n') c = ' ';
        std::string report = (whole ? "W" : "P") + why;
        if (write(fds[1], report.data(), report.size()) < 0) {}
        _exit(why.empty() ? 0 : 1);
      }
      close(fds[1]);
      running.push_back({pid, fds[0], name});
    }
    reap(true);
  }

  int passed = 0, failed = 0;
  std::map<std::string, std::pair<int, int>> perSuite;
  std::map<std::string, int> whollyPassing;
  std::vector<std::string> newlyPassing;
  for (const auto &[name, why] : results) {
    std::string suite = name.substr(0, name.find('/'));
    bool ok = why.empty();
    perSuite[suite].second++;
    if (ok) perSuite[suite].first++;
    if (ok && wholly.count(name)) whollyPassing[suite]++;
    if (verbose && !ok) std::cout << "fail " << name << ": " << why.substr(0, 300) << "\n";
    if (ok && !expected.count(name)) newlyPassing.push_back(name);
    bool crash = why.rfind("CRASH", 0) == 0;
    if (crash || (!ok && expected.count(name))) {
      std::cout << (crash ? "CRASH " : "REGRESSION ") << name << ": " << why.substr(0, 300) << "\n";
      ++failed;
    } else {
      ++passed;
    }
  }
  for (const auto &[suite, counts] : perSuite)
    std::cout << target << (runner.host.empty() ? "" : " (" + runner.host + ")") << " " << suite << ": " << counts.first << " of " << counts.second << " pass"
              << (target == "cpu" ? "" : " (" + std::to_string(whollyPassing[suite]) + " wholly on " + target + ")")
              << "\n";
  if (!newlyPassing.empty())
    std::cout << newlyPassing.size() << " cases pass that the expected list lacks (--update adds them)\n";
  if (update && !expectedPath.empty()) {
    std::ofstream out(expectedPath);
    if (header.empty())
      header = "# ONNX backend test cases that pass on the " + target + " target.\n"
               "# Written by lathe-conformance --update.\n";
    out << header;
    // Cases outside --filter keep their entries.
    std::set<std::string> passing;
    for (const std::string &name : expected)
      if (!results.count(name)) passing.insert(name);
    for (const auto &[name, why] : results)
      if (why.empty()) passing.insert(name);
    for (const std::string &name : passing) out << name << "\n";
  }
  if (!runner.scratch.empty())
    llvm::sys::fs::remove_directories(runner.scratch);
  std::cout << passed << " passed, " << failed << " failed\n";
  return failed ? 1 : 0;
}
