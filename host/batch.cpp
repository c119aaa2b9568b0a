// The batch driver: a pool of CPU workers over the sounds of a folder.
#include "batch.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "fit_outputs.hpp"

namespace drumsynth {

namespace fs = std::filesystem;

int BatchSummary::count(const std::string& status) const {
  return int(std::count_if(items.begin(), items.end(),
                           [&](const BatchItem& i) { return i.status == status; }));
}

std::vector<std::string> find_audio_files(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw InputError(dir, "no such folder");
  if (!fs::is_directory(dir, ec)) throw InputError(dir, "is not a folder");
  static const char* kExtensions[] = {".wav", ".wave", ".flac", ".aif", ".aiff", ".aifc", ".ogg",
                                      ".oga",  ".opus", ".w64",  ".caf", ".au",   ".snd"};
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file(ec)) continue;
    std::string ext = it->path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (std::find(std::begin(kExtensions), std::end(kExtensions), ext) != std::end(kExtensions))
      files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

namespace {

// A sound is done when its preset exists and reads back (the preset is
// written last, atomically, so a half-finished sound has none).
bool already_done(const std::string& preset_path) {
  std::error_code ec;
  if (!fs::exists(preset_path, ec)) return false;
  try {
    load_preset(preset_path);
    return true;
  } catch (const Error&) {
    return false;
  }
}

// Fits one sound (with its restarts) and writes its outputs.
void fit_one(BatchItem& item, const FitOutputPaths& paths, const BatchOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  const Sound target = load_sound(item.input, o.load);
  FitOptions fo = o.fit;
  fo.progress = nullptr;
  fo.stop = o.stop;
  fo.n_threads = 1;  // the workers are the parallelism
  const FitResult r = fit(target, fo);
  write_fit_outputs(target, r, o.fit, paths);
  item.status = "ok";
  item.initial_loss = r.initial_loss;
  item.final_loss = r.best_loss;
  item.iterations = o.fit.iterations;
  item.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

BatchSummary fit_folder(const std::string& in_dir, const std::string& out_dir,
                        const BatchOptions& o) {
  BatchSummary summary;
  for (const auto& f : find_audio_files(in_dir)) {
    BatchItem item;
    item.input = f;
    item.relative = fs::relative(f, in_dir).string();
    summary.items.push_back(item);
  }
  const int total = int(summary.items.size());
  std::atomic<int> next{0};
  std::mutex mutex;
  int done = 0, failed = 0;
  std::vector<double> best_losses;
  const auto start = std::chrono::steady_clock::now();
  auto worker = [&] {
    for (;;) {
      const int i = next++;
      if (i >= total) return;
      BatchItem& item = summary.items[i];
      if (o.stop && o.stop->load()) {
        item.status = "interrupted";
        continue;
      }
      const fs::path rel_dir = fs::path(item.relative).parent_path();
      const FitOutputPaths paths = fit_output_paths(item.input, (fs::path(out_dir) / rel_dir).string());
      item.preset = paths.preset;
      if (!o.force && already_done(paths.preset)) {
        const Preset p = load_preset(paths.preset);
        item.status = "skipped";
        item.initial_loss = p.initial_loss, item.final_loss = p.final_loss;
        item.iterations = p.iterations;
      } else {
        try {
          fit_one(item, paths, o);
        } catch (const Interrupted&) {
          item.status = "interrupted";
          continue;
        } catch (const std::exception& e) {
          item.status = "failed";
          item.error = e.what();
        }
      }
      std::lock_guard<std::mutex> lock(mutex);
      ++done;
      failed += item.status == "failed";
      if (item.status != "failed") best_losses.push_back(item.final_loss);
      if (o.progress) {
        std::vector<double> b = best_losses;
        double median = 0;
        if (!b.empty()) {
          std::nth_element(b.begin(), b.begin() + b.size() / 2, b.end());
          median = b[b.size() / 2];
        }
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        o.progress({done, failed, total, median, elapsed, elapsed / done * (total - done), &item});
      }
    }
  };
  const int jobs = std::max(1, std::min(o.jobs, std::max(1, total)));
  std::vector<std::thread> threads;
  for (int j = 1; j < jobs; ++j) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  summary.interrupted = summary.count("interrupted") > 0;
  return summary;
}

void write_batch_summary(const std::string& out_dir, const BatchSummary& s) {
  auto csv_field = [](const std::string& v) {
    std::string q = "\"";
    for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  std::ostringstream csv;
  csv << "file,status,initial_loss,final_loss,iterations,seconds,error\n";
  nlohmann::json items = nlohmann::json::array();
  for (const auto& i : s.items) {
    csv << csv_field(i.relative) << "," << i.status << "," << i.initial_loss << "," << i.final_loss
        << "," << i.iterations << "," << i.seconds << "," << csv_field(i.error) << "\n";
    items.push_back({{"file", i.relative}, {"status", i.status}, {"initial_loss", i.initial_loss},
                     {"final_loss", i.final_loss}, {"iterations", i.iterations},
                     {"seconds", i.seconds}, {"error", i.error}, {"preset", i.preset}});
  }
  const nlohmann::json j = {{"total", s.items.size()},        {"ok", s.count("ok")},
                            {"skipped", s.count("skipped")},  {"failed", s.count("failed")},
                            {"interrupted", s.count("interrupted")}, {"items", items}};
  write_text_atomic((fs::path(out_dir) / "summary.csv").string(), csv.str());
  write_text_atomic((fs::path(out_dir) / "summary.json").string(), j.dump(2) + "\n");
}

}  // namespace drumsynth
