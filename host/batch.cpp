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

namespace {

// Progress bookkeeping shared by the CPU and GPU paths.
struct Tracker {
  Tracker(const BatchOptions& options, int n) : o(options), total(n) {}
  const BatchOptions& o;
  int total;
  std::mutex mutex;
  int done = 0, failed = 0;
  std::vector<double> best;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  void finished(const BatchItem& item) {
    std::lock_guard<std::mutex> lock(mutex);
    ++done;
    failed += item.status == "failed";
    if (item.status != "failed") best.push_back(item.final_loss);
    if (!o.progress) return;
    std::vector<double> b = best;
    double median = 0;
    if (!b.empty()) {
      std::nth_element(b.begin(), b.begin() + b.size() / 2, b.end());
      median = b[b.size() / 2];
    }
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    o.progress({done, failed, total, median, elapsed, elapsed / done * (total - done), &item});
  }
};

// Marks a sound done before when its preset is there (unless --force).
bool skip_if_done(BatchItem& item, const BatchOptions& o) {
  if (o.force || !already_done(item.preset)) return false;
  const Preset p = load_preset(item.preset);
  item.status = "skipped";
  item.initial_loss = p.initial_loss, item.final_loss = p.final_loss;
  item.iterations = p.iterations;
  return true;
}

// CPU: a pool of workers, one sound (with its restarts) each.
void fit_on_cpu(std::vector<BatchItem>& items, std::vector<FitOutputPaths>& paths,
                const BatchOptions& o, Tracker& tracker) {
  std::atomic<int> next{0};
  const int total = int(items.size());
  auto worker = [&] {
    for (int i; (i = next++) < total;) {
      BatchItem& item = items[i];
      if (o.stop && o.stop->load()) {
        item.status = "interrupted";
        continue;
      }
      if (!skip_if_done(item, o)) {
        try {
          fit_one(item, paths[i], o);
        } catch (const Interrupted&) {
          item.status = "interrupted";
          continue;
        } catch (const std::exception& e) {
          item.status = "failed";
          item.error = e.what();
        }
      }
      tracker.finished(item);
    }
  };
  const int jobs = std::max(1, std::min(o.jobs, std::max(1, total)));
  std::vector<std::thread> threads;
  for (int j = 1; j < jobs; ++j) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
}

// GPU: sounds in groups of gpu_batch, every restart of every sound an instance
// of one CUDA backend, fitted together.
void fit_on_gpu(std::vector<BatchItem>& items, std::vector<FitOutputPaths>& paths,
                const BatchOptions& o, Tracker& tracker) {
  std::vector<int> todo;
  for (int i = 0; i < int(items.size()); ++i)
    if (!skip_if_done(items[i], o)) todo.push_back(i);
    else tracker.finished(items[i]);
  const int K = o.fit.restarts;
  for (size_t g = 0; g < todo.size(); g += size_t(o.gpu_batch)) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<int> group;
    std::vector<Sound> sounds;
    for (size_t j = g; j < std::min(todo.size(), g + size_t(o.gpu_batch)); ++j) {
      BatchItem& item = items[todo[j]];
      try {
        sounds.push_back(load_sound(item.input, o.load));
        group.push_back(todo[j]);
      } catch (const std::exception& e) {
        item.status = "failed", item.error = e.what();
        tracker.finished(item);
      }
    }
    if (group.empty()) continue;
    std::vector<Instance> instances;
    std::vector<float> logits;
    for (const Sound& s : sounds) {
      for (int r = 0; r < K; ++r) instances.push_back({&s.samples, s.sample_rate, o.fit.seed + uint64_t(r)});
      const auto z = starting_logits(s, o.fit);
      logits.insert(logits.end(), z.begin(), z.end());
    }
    FitOptions fo = o.fit;
    fo.progress = nullptr;
    fo.stop = o.stop;
    std::vector<FitResult> results;
    try {
      auto backend = make_backend("cuda", instances, o.fit.loss);
      results = fit_instances(*backend, logits, fo);
    } catch (const Interrupted&) {
      for (int i : group) items[i].status = "interrupted";
      break;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (size_t s = 0; s < group.size(); ++s) {
      BatchItem& item = items[group[s]];
      const int best = best_restart(results, s * K, K);
      FitResult& res = results[s * K + best];
      res.noise_seed = o.fit.seed + uint64_t(best);
      try {
        write_fit_outputs(sounds[s], res, o.fit, paths[group[s]]);
        item.status = "ok";
        item.initial_loss = res.initial_loss, item.final_loss = res.best_loss;
        item.iterations = o.fit.iterations;
        item.seconds = seconds / double(group.size());  // the group's time, shared
      } catch (const std::exception& e) {
        item.status = "failed", item.error = e.what();
      }
      tracker.finished(item);
    }
  }
  for (auto& item : items)
    if (item.status.empty()) item.status = "interrupted";
}

}  // namespace

std::string relative_to_folder(const std::string& file, const std::string& folder) {
  fs::path base = fs::path(folder).lexically_normal();
  if (!base.has_filename()) base = base.parent_path();
  return fs::path(file).lexically_normal().lexically_relative(base).string();
}

FitOutputPaths batch_output_paths(const std::string& file, const std::string& in_dir,
                                  const std::string& out_dir) {
  const fs::path rel_dir = fs::path(relative_to_folder(file, in_dir)).parent_path();
  return fit_output_paths(file, (fs::path(out_dir) / rel_dir).string());
}

BatchSummary fit_folder(const std::string& in_dir, const std::string& out_dir,
                        const BatchOptions& o) {
  BatchSummary summary;
  std::vector<FitOutputPaths> paths;
  for (const auto& f : find_audio_files(in_dir)) {
    BatchItem item;
    item.input = f;
    item.relative = relative_to_folder(f, in_dir);
    paths.push_back(batch_output_paths(f, in_dir, out_dir));
    item.preset = paths.back().preset;
    summary.items.push_back(item);
  }
  Tracker tracker(o, int(summary.items.size()));
  std::string why;
  const bool gpu = o.device != "cpu" && cuda_usable(&why);
  if (o.device == "cuda" && !gpu) throw Error("--device cuda: " + why);
  if (gpu)
    fit_on_gpu(summary.items, paths, o, tracker);
  else
    fit_on_cpu(summary.items, paths, o, tracker);
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
