// The listening report's page (report_page.hpp): report_page.html, which
// the build embeds as kReportPage, with the summary and the rows filled in.
#include "report/report_page.hpp"

namespace drumsynth {

// report_page.html, embedded by the build (CMakeLists.txt, report_page_html.cpp.in).
extern const char kReportPage[];

namespace {

// JSON inside <script>: "</" would end the element, so it is written "<\/".
std::string script_safe(const std::string& json_text) {
  std::string s;
  for (size_t i = 0; i < json_text.size(); ++i) {
    s += json_text[i];
    if (json_text[i] == '<' && i + 1 < json_text.size() && json_text[i + 1] == '/') s += '\\';
  }
  return s;
}

void replace(std::string& s, const std::string& key, const std::string& value) {
  s.replace(s.find(key), key.size(), value);
}

}  // namespace

std::string report_page(const nlohmann::json& summary, const nlohmann::json& rows) {
  std::string page = kReportPage;
  replace(page, "@SUMMARY@", script_safe(summary.dump()));
  replace(page, "@ROWS@", script_safe(rows.dump()));
  return page;
}

}  // namespace drumsynth
