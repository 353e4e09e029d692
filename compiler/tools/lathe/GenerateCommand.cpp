//===- GenerateCommand.cpp - lathe generate -------------------------------===//
#include "compiler/tools/lathe/Driver.h"

#include "runtime/tools/generate.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;

namespace lathe::driver {

cl::SubCommand &generateCommand() {
  static cl::SubCommand command("generate", "Greedy decoding with a decoder compiled with --kv-cache");
  return command;
}

namespace {

cl::list<std::string> artifacts(cl::Positional, cl::desc("ARTIFACT"), cl::sub(generateCommand()));
cl::opt<std::string> promptIds("prompt-ids", cl::desc("The prompt's token ids"),
                            cl::value_desc("ID,..."),
                            cl::sub(generateCommand()));
cl::opt<std::string> maxNewTokens("max-new-tokens", cl::desc("How many ids to generate"),
                               cl::value_desc("N"), cl::sub(generateCommand()));
cl::opt<bool> json("json", cl::desc("Prints the ids and the timings as one JSON object"),
                   cl::sub(generateCommand()));

} // namespace

int runGenerate() {
  lathe_session_options sessionOptions = {0};
  if (auto error = threadsFromFlag(sessionOptions.threads))
    return fail("generate: " + *error);
  unsigned maxNew = 0;
  if (maxNewTokens.getNumOccurrences())
    if (auto error = parsePositive("max-new-tokens", maxNewTokens, maxNew))
      return fail("generate: " + *error);
  std::vector<int64_t> prompt;
  if (!promptIds.empty()) {
    llvm::SmallVector<llvm::StringRef> parts;
    llvm::StringRef(promptIds).split(parts, ',');
    for (llvm::StringRef part : parts) {
      int64_t id;
      if (part.trim().getAsInteger(10, id))
        return fail("generate: --prompt-ids '" + promptIds + "': '" + part + "' is not a token id");
      prompt.push_back(id);
    }
  }
  if (artifacts.size() != 1 || prompt.empty() || !maxNew)
    return fail("generate: expected lathe generate MODEL.lathe --prompt-ids ID,... "
                "--max-new-tokens N");
  const std::string &path = artifacts[0];
  LoadedSession loaded;
  if (auto error = loaded.open(path, sessionOptions))
    return fail(*error);
  lathe_model *model = loaded.model.get();
  lathe_session *session = loaded.session.get();
  lathe_status status;
  std::vector<int64_t> ids(maxNew);
  lathe_generate_options options = {prompt.data(), prompt.size(), maxNew};
  lathe_generate_result result;
  result.ids = ids.data();
  if (lathe_generate(model, session, &options, &result, &status) != LATHE_OK)
    return fail(path + ": " + status.message);
  ids.resize(result.count);
  if (json) {
    llvm::json::OStream out(llvm::outs(), 2);
    out.object([&] {
      out.attributeArray("prompt_ids", [&] {
        for (int64_t id : prompt)
          out.value(id);
      });
      out.attributeArray("ids", [&] {
        for (int64_t id : ids)
          out.value(id);
      });
      out.attribute("time_to_first_token_ms", result.first_token_ms);
      out.attribute("decode_tokens_per_second", result.decode_tokens_per_second);
      out.attribute("prompt_runs", (int64_t)result.prompt_runs);
      out.attribute("threads", (int64_t)lathe_session_threads(session));
      out.attribute("cache_positions", (int64_t)lathe_session_cache_position(session));
      out.attribute("cache_bytes", (int64_t)lathe_model_cache_bytes(model));
    });
    llvm::outs() << "\n";
    return 0;
  }
  llvm::outs() << llvm::join(llvm::map_range(ids, [](int64_t id) { return std::to_string(id); }),
                             " ")
               << "\n"
               << llvm::formatv("time to first token {0:F2} ms ({1} prompt runs), {2:F1} tokens/s "
                                "after it, {3} threads\n",
                                result.first_token_ms, result.prompt_runs,
                                result.decode_tokens_per_second, lathe_session_threads(session));
  return 0;
}


} // namespace lathe::driver
