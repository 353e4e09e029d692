//===- HtmlReport.cpp - the compile report as one HTML file ---------------===//
#include "compiler/report/HtmlReport.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

namespace lathe {

/// report.html, embedded at build time (ReportTemplate.cpp).
extern const char *const kReportTemplate;

std::string renderHtmlReport(const CompileReport &report, llvm::StringRef statsJson) {
  std::string data;
  llvm::raw_string_ostream os(data);
  llvm::json::OStream json(os);
  json.object([&] {
    json.attributeBegin("report");
    report.write(json);
    json.attributeEnd();
    json.attributeBegin("stats");
    json.rawValue(statsJson);
    json.attributeEnd();
  });
  // Inside a <script> element nothing may read as a tag: '<' occurs in
  // JSON only within strings, where \u003c means the same.
  std::string escaped;
  escaped.reserve(data.size());
  for (char c : data) {
    if (c == '<')
      escaped += "\\u003c";
    else
      escaped += c;
  }
  std::string page = kReportTemplate;
  llvm::StringRef placeholder = "/*LATHE_REPORT_DATA*/";
  size_t at = page.find(placeholder.str());
  if (at != std::string::npos)
    page.replace(at, placeholder.size(), escaped);
  return page;
}

} // namespace lathe
