//===- CompileReport.h - what one compile did, for a person to read -*- C++ -*-===//
//
// The facts of a compile the HTML report shows (lathe compile --report):
// per entry, each op with its ONNX node, target and partition and the
// tensors between ops (those crossing partitions marked); per partition, its
// kernels with the ONNX nodes fused into each and its arena plan (each
// buffer's offset, bytes and the span of kernels it lives through); the
// code each target links. The compile's numbers (CompileStats) go beside it.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_COMPILER_REPORT_COMPILEREPORT_H
#define LATHE_COMPILER_REPORT_COMPILEREPORT_H

#include <cstdint>
#include <string>
#include <vector>

namespace llvm::json {
class OStream;
}

namespace lathe {

struct CompileReport {
  struct Op {
    std::string node, op, target;
    uint32_t partition = 0;
  };
  struct Edge {
    uint32_t from, to;
    uint64_t bytes = 0;
    /// Between partitions, through a slot of the session's memory.
    bool crosses = false;
  };
  struct Kernel {
    std::string op;
    std::vector<std::string> nodes;
  };
  struct Buffer {
    int64_t offset, bytes, first, last;
  };
  struct Partition {
    /// The step's index in the plan, its target and entry symbol.
    uint32_t step = 0;
    std::string target, symbol;
    std::vector<Kernel> kernels;
    std::vector<Buffer> buffers;
    int64_t arenaBytes = 0;
  };
  struct Entry {
    std::string name;
    std::vector<Op> ops;
    std::vector<Edge> edges;
    std::vector<Partition> partitions;
  };
  struct Code {
    std::string target;
    uint64_t bytes = 0;
  };
  std::string model, target;
  std::vector<Entry> entries;
  std::vector<Code> code;
  uint64_t constantBytes = 0;

  void write(llvm::json::OStream &json) const;
};

} // namespace lathe

#endif // LATHE_COMPILER_REPORT_COMPILEREPORT_H
