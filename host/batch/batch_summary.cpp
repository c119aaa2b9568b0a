// A batch's summary: OUT/summary.csv and OUT/summary.json written as the
// batch ends (and after each chunk), and read back as the report's entries
// (drumsynth report OUT), the summary's layout in one place.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "drumsynth/batch.hpp"
#include "io/write_atomic.hpp"

namespace drumsynth {

namespace fs = std::filesystem;
using json = nlohmann::json;

void write_batch_summary(const std::string& out_dir, const BatchSummary& s) {
  auto csv_field = [](const std::string& v) {
    std::string q = "\"";
    for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  std::ostringstream csv;
  csv << "file,status,initial_loss,final_loss,iterations,hits,seconds,error\n";
  nlohmann::json items = nlohmann::json::array();
  for (const auto& i : s.items) {
    csv << csv_field(i.relative) << "," << i.status << "," << i.initial_loss << "," << i.final_loss
        << "," << i.iterations << "," << (i.hits ? std::to_string(i.hits) : "") << "," << i.seconds
        << "," << csv_field(i.error) << "\n";
    items.push_back({{"file", i.relative},
                     {"status", i.status},
                     {"initial_loss", i.initial_loss},
                     {"final_loss", i.final_loss},
                     {"iterations", i.iterations},
                     {"hits", i.hits},
                     {"seconds", i.seconds},
                     {"error", i.error},
                     {"preset", i.preset},
                     {"input", i.input}});
  }
  const nlohmann::json j = {{"input_folder", s.input_folder},
                            {"total", s.items.size()},
                            {"ok", s.count("ok")},
                            {"skipped", s.count("skipped")},
                            {"failed", s.count("failed")},
                            {"interrupted", s.count("interrupted")},
                            {"items", items}};
  write_text_atomic((fs::path(out_dir) / "summary.csv").string(), csv.str());
  write_text_atomic((fs::path(out_dir) / "summary.json").string(), j.dump(2) + "\n");
}

std::vector<ReportEntry> report_entries_from_summary(const std::string& out_dir) {
  const fs::path path = fs::path(out_dir) / "summary.json";
  std::ifstream in(path);
  if (!in) throw InputError(path.string(), "no batch summary here (run drumsynth batch first)");
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {
    throw InputError(path.string(), std::string("not a batch summary: ") + e.what());
  }
  if (!j.contains("input_folder") || !j.contains("items"))
    throw InputError(path.string(),
                     "not a batch summary of this version (no input_folder); run the batch again");
  const std::string in_dir = j["input_folder"];
  std::vector<ReportEntry> entries;
  for (const auto& it : j["items"]) {
    const std::string input =
        it.value("input", (fs::path(in_dir) / it["file"].get<std::string>()).string());
    entries.push_back({input, it["file"], it["status"], it.value("error", ""),
                       batch_output_paths(input, in_dir, out_dir)});
  }
  return entries;
}

}  // namespace drumsynth
