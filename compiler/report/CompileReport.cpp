//===- CompileReport.cpp - what one compile did, for a person to read -----===//
#include "compiler/report/CompileReport.h"

#include "llvm/Support/JSON.h"

namespace lathe {

void CompileReport::write(llvm::json::OStream &json) const {
  json.object([&] {
    json.attribute("model", model);
    json.attribute("target", target);
    json.attribute("constant_bytes", (int64_t)constantBytes);
    json.attributeArray("code", [&] {
      for (const Code &c : code)
        json.object([&] {
          json.attribute("target", c.target);
          json.attribute("bytes", (int64_t)c.bytes);
        });
    });
    json.attributeArray("entries", [&] {
      for (const Entry &entry : entries)
        json.object([&] {
          json.attribute("name", entry.name);
          // Arrays rather than objects per op and edge: rec has hundreds.
          json.attributeArray("ops", [&] {
            for (const Op &op : entry.ops)
              json.array([&] {
                json.value(op.node);
                json.value(op.op);
                json.value(op.target);
                json.value((int64_t)op.partition);
              });
          });
          json.attributeArray("edges", [&] {
            for (const Edge &e : entry.edges)
              json.array([&] {
                json.value((int64_t)e.from);
                json.value((int64_t)e.to);
                json.value((int64_t)e.bytes);
                json.value(e.crosses);
              });
          });
          json.attributeArray("partitions", [&] {
            for (const Partition &p : entry.partitions)
              json.object([&] {
                json.attribute("step", (int64_t)p.step);
                json.attribute("target", p.target);
                json.attribute("symbol", p.symbol);
                json.attribute("arena_bytes", p.arenaBytes);
                json.attributeArray("kernels", [&] {
                  for (const Kernel &k : p.kernels)
                    json.object([&] {
                      json.attribute("op", k.op);
                      json.attributeArray("nodes", [&] {
                        for (const std::string &n : k.nodes)
                          json.value(n);
                      });
                    });
                });
                json.attributeArray("buffers", [&] {
                  for (const Buffer &b : p.buffers)
                    json.array([&] {
                      json.value(b.offset);
                      json.value(b.bytes);
                      json.value(b.first);
                      json.value(b.last);
                    });
                });
              });
          });
        });
    });
  });
}

} // namespace lathe
