//===- HtmlReport.h - the compile report as one HTML file -------*- C++ -*-===//
//
// lathe compile --report FILE.html: one self-contained page (no network, no
// files beside it) that draws a CompileReport and the compile's numbers:
// the graph coloured by target and partition with the tensors that cross,
// each partition's kernels and the ONNX nodes fused into them, its arena as
// a timeline of buffers, constants and code sizes, warnings and per-layer
// SQNR of a quantized compile. The page's template is report.html, built in.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_COMPILER_REPORT_HTMLREPORT_H
#define LATHE_COMPILER_REPORT_HTMLREPORT_H

#include "compiler/report/CompileReport.h"

#include "llvm/ADT/StringRef.h"

#include <string>

namespace lathe {

/// The page for `report`, with `statsJson` (CompileStats::json()).
std::string renderHtmlReport(const CompileReport &report, llvm::StringRef statsJson);

} // namespace lathe

#endif // LATHE_COMPILER_REPORT_HTMLREPORT_H
