//===- ImportOptionsFlags.cpp - the import options of several commands ----===//
#include "compiler/tools/lathe/ImportOptionsFlags.h"

namespace cl = llvm::cl;

namespace lathe::driver {

ImportOptionsFlags::ImportOptionsFlags(cl::SubCommand &command, bool withKvCache)
    : inputShapes("input-shape",
                  cl::desc("The shape of a graph input whose dims the model leaves symbolic "
                           "(repeat per input)"),
                  cl::value_desc("NAME=D0,D1,..."), cl::sub(command)) {
  if (withKvCache)
    kvCache.emplace("kv-cache",
                    cl::desc("Keeps a decoder's key/value cache of N positions in the session:\n"
                             "each past input concatenated in front of new keys or values into "
                             "a present output\nbecomes a cache every entry writes in place "
                             "(lathe generate drives it)"),
                    cl::value_desc("N"), cl::sub(command));
}

std::optional<std::string> ImportOptionsFlags::apply(ImportOptions &options) const {
  for (const std::string &shape : inputShapes)
    if (auto err = parseInputShape(shape, options))
      return llvm::toString(std::move(err));
  if (kvCache && kvCache->getNumOccurrences()) {
    unsigned capacity = 0;
    if (llvm::StringRef(*kvCache).getAsInteger(10, capacity) || capacity < 1 ||
        capacity > (1u << 20))
      return "--kv-cache '" + kvCache->getValue() +
             "': expected the cache's capacity in positions (1 to 1048576)";
    options.kvCacheCapacity = capacity;
  }
  return std::nullopt;
}

} // namespace lathe::driver
