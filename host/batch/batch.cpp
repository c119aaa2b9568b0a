// The batch driver: discovery, resume, chunks of sounds handed to the
// fitting engine, each sound's outputs, the summary.
#include "drumsynth/batch.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "drumsynth/fit.hpp"
#include "drumsynth/fit_outputs.hpp"
#include "drumsynth/hits.hpp"
#include "drumsynth/preset.hpp"
#include "io/write_atomic.hpp"

namespace drumsynth {

namespace fs = std::filesystem;

BatchCounts::BatchCounts(int total) : total_(total), start_(std::chrono::steady_clock::now()) {}

void BatchCounts::add(const BatchItem& item) {
  ++done_;
  if (item.status == "failed")
    ++failed_;
  else
    best_.push_back(item.final_loss);
}

BatchProgress BatchCounts::progress(const BatchItem* last) const {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double left = done_ > 0 ? elapsed / done_ * std::max(0, total_ - done_) : 0.0;
  return {done_, failed_, total_, best_.empty() ? 0.0 : detail::median(best_), elapsed, left, last};
}

int BatchSummary::count(const std::string& status) const {
  return int(std::count_if(items.begin(), items.end(),
                           [&](const BatchItem& i) { return i.status == status; }));
}

namespace {

// What a batch wrote, under the folder being searched (find_audio_files).
bool batch_output_folder(const fs::path& folder, const std::string& output) {
  std::error_code ec;
  if (!output.empty() && fs::equivalent(folder, output, ec)) return true;
  return fs::exists(folder / kBatchLogName, ec);
}
constexpr const char* kAudioExtensions[] = {".wav",  ".wave", ".flac", ".aif",  ".aiff",
                                            ".aifc", ".ogg",  ".oga",  ".opus", ".w64",
                                            ".caf",  ".au",   ".snd"};

// A batch's render beside its preset (fit_output_paths, an output folder that
// is the input's): NAME.fit.wav, the render of NAME.wav; or NAME.wav beside
// another NAME.<audio> (a FLAC's or an AIFF's render).
bool batch_render(const fs::path& file) {
  if (file.extension() != ".wav") return false;
  std::error_code ec;
  const fs::path dir = file.parent_path();
  const std::string stem = file.stem().string();
  if (fs::path(stem).extension() == ".fit")
    return fs::exists(dir / (fs::path(stem).stem().string() + ".preset.json"), ec);
  if (!fs::exists(dir / (stem + ".preset.json"), ec)) return false;
  for (const char* ext : kAudioExtensions)
    if (std::string(ext) != ".wav" && fs::exists(dir / (stem + ext), ec)) return true;
  return false;
}

}  // namespace

std::vector<std::string> find_audio_files(const std::string& dir, const std::string& output) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw InputError(dir, "no such folder");
  if (!fs::is_directory(dir, ec)) throw InputError(dir, "is not a folder");
  std::vector<std::string> files;
  for (auto it =
           fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_directory(ec) && batch_output_folder(it->path(), output)) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec) || batch_render(it->path())) continue;
    std::string ext = it->path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (std::find(std::begin(kAudioExtensions), std::end(kAudioExtensions), ext) !=
        std::end(kAudioExtensions))
      files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

namespace {

// A sound is done when its preset exists, reads back (the preset is written
// last, atomically, so a half-finished sound has none) and was fitted with
// this run's loss preset: a folder fitted before the default loss changed, or
// with another --loss-preset, is fitted again rather than kept as it was.
// Returns that preset, or nothing.
std::optional<Preset> done_preset(const std::string& preset_path, const LossSettings& loss) {
  std::error_code ec;
  if (!fs::exists(preset_path, ec)) return std::nullopt;
  try {
    Preset p = load_preset(preset_path);
    if (p.loss.preset == loss.preset) return p;
  } catch (const Error&) {  // unreadable: fitted again, over it
  }
  return std::nullopt;
}

// Marks a sound done before when its preset is there (unless --force).
bool skip_if_done(BatchItem& item, const BatchOptions& o) {
  if (o.force) return false;
  const std::optional<Preset> done = done_preset(item.preset, o.fit.loss);
  if (!done) return false;
  const Preset& p = *done;
  item.status = "skipped";
  item.initial_loss = p.initial_loss, item.final_loss = p.final_loss;
  item.iterations = p.iterations;
  return true;
}

// Progress: sounds done, the median best loss, the time left. Called from
// one thread at a time (fit_sounds serialises its on_done).
// The library's progress callback, from the counts of this process's sounds.
struct Tracker {
  Tracker(const BatchOptions& options, int n) : o(options), counts(n) {}
  const BatchOptions& o;
  BatchCounts counts;
  void finished(const BatchItem& item) {
    counts.add(item);
    if (o.progress) o.progress(counts.progress(&item));
  }
};

// Writes a finished sound's outputs and records it.
void record_fit(BatchItem& item, const Sound& sound, const SoundFit& fit,
                const FitOutputPaths& paths, const FitOptions& options) {
  try {
    if (fit.error) std::rethrow_exception(fit.error);
    write_fit_outputs(sound, fit.result, options, paths);
    item.status = "ok";
    item.initial_loss = fit.result.initial_loss, item.final_loss = fit.result.best_loss;
    item.iterations = int(fit.result.loss_history.size());  // fewer than options' when it converged
    item.skipped_steps = fit.result.skipped_steps;
    item.seconds = fit.result.seconds;
  } catch (const std::exception& e) {
    item.status = "failed", item.error = e.what();
  }
}

// Sounds loaded at once: four GPU batches (so each batch's analysis can run
// while the one before it fits: fit_sounds' AnalysisAhead), or on the CPU
// enough for every worker to take several (workers idle only at a chunk's end).
size_t chunk_size(const FitOptions& fit) {
  return fit.plan->batches() ? size_t(4 * std::max(1, fit.gpu_batch))
                             : size_t(8 * std::max(1, fit.n_threads));
}

// Writes finished sounds' outputs on a pool of threads while the fits go on.
// In backend batches (the GPU) a batch's sounds finish together, and their
// outputs (a render and four files each: ~12 ms for a 1 s sound, 2 minutes
// for 10,000 one at a time) would otherwise hold up the next batch. Each sound
// is recorded (`recorded`: the tracker) after its files, one at a time.
class OutputWriters {
 public:
  using Write = std::function<void(int sound, const SoundFit& fit)>;
  OutputWriters(int threads, Write write, std::function<void(int sound)> recorded)
      : write_(std::move(write)), recorded_(std::move(recorded)) {
    for (int t = 0; t < std::max(1, threads); ++t) pool_.emplace_back([this] { run(); });
  }
  ~OutputWriters() { finish(); }
  void add(int sound, const SoundFit& fit) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.emplace_back(sound, fit);
    }
    ready_.notify_one();
  }
  // Returns once every sound added is written and recorded.
  void finish() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closing_ = true;
    }
    ready_.notify_all();
    for (auto& t : pool_)
      if (t.joinable()) t.join();
  }

 private:
  void run() {
    for (;;) {
      std::pair<int, SoundFit> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return closing_ || !queue_.empty(); });
        if (queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      write_(job.first, job.second);
      std::lock_guard<std::mutex> lock(record_mutex_);
      recorded_(job.first);
    }
  }
  Write write_;
  std::function<void(int)> recorded_;
  std::mutex mutex_, record_mutex_;
  std::condition_variable ready_;
  std::deque<std::pair<int, SoundFit>> queue_;
  bool closing_ = false;
  std::vector<std::thread> pool_;
};

// Loads, fits and records the sounds todo[first, last).
void fit_chunk(std::vector<BatchItem>& items, const std::vector<FitOutputPaths>& paths,
               const std::vector<int>& todo, size_t first, size_t last, const FitOptions& fo,
               Tracker& tracker) {
  std::vector<int> loaded;
  std::vector<Sound> sounds;
  for (size_t j = first; j < last; ++j) {
    BatchItem& item = items[todo[j]];
    try {
      sounds.push_back(load_sound(item.input, tracker.o.load));
      item.hits = int(find_hits(sounds.back()).size());
      loaded.push_back(todo[j]);
    } catch (const std::exception& e) {
      item.status = "failed", item.error = e.what();
      tracker.finished(item);
    }
  }
  std::vector<const Sound*> refs;
  for (const Sound& s : sounds) refs.push_back(&s);
  const auto write = [&](int s, const SoundFit& fit) {
    record_fit(items[loaded[s]], sounds[s], fit, paths[loaded[s]], fo);
  };
  const auto recorded = [&](int s) { tracker.finished(items[loaded[s]]); };
  if (!fo.plan->batches()) {  // on the CPU each sound is written by the worker that fitted it
    fit_sounds(refs, fo, [&](int s, const SoundFit& fit) {
      write(s, fit);
      recorded(s);
    });
    return;
  }
  // Declared after `sounds`, so destroyed before it: the destructor writes
  // every sound added, those finished before an interruption included.
  OutputWriters writers(fo.n_threads, write, recorded);
  fit_sounds(refs, fo, [&](int s, const SoundFit& fit) { writers.add(s, fit); });
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
  summary.input_folder = in_dir;
  // A run killed mid-write (SIGKILL) left temporary files; the sounds they
  // belonged to have no preset, so they are fitted again below.
  summary.stale_temporaries_removed = remove_stale_temporaries(out_dir);
  std::vector<FitOutputPaths> paths;
  std::vector<std::string> files = find_audio_files(in_dir, out_dir);
  if (o.shard_count > 1) {
    const std::vector<int> shard = shard_by_samples(files, o.shard_count);
    std::vector<std::string> mine;
    for (size_t i = 0; i < files.size(); ++i)
      if (shard[i] == o.shard_index) mine.push_back(files[i]);
    files = std::move(mine);
  }
  for (const auto& f : files) {
    BatchItem item;
    item.input = f;
    item.relative = relative_to_folder(f, in_dir);
    paths.push_back(batch_output_paths(f, in_dir, out_dir));
    item.preset = paths.back().preset;
    summary.items.push_back(item);
  }
  Tracker tracker(o, int(summary.items.size()));
  std::vector<int> todo;
  for (int i = 0; i < int(summary.items.size()); ++i)
    if (skip_if_done(summary.items[i], o))
      tracker.finished(summary.items[i]);
    else
      todo.push_back(i);
  FitOptions fo = o.fit;
  fo.plan = plan_of(o.fit);  // once for the whole folder (the command line's, when it made one)
  fo.progress = nullptr;
  fo.stop = o.stop;
  const size_t chunk = chunk_size(fo);
  try {
    for (size_t first = 0; first < todo.size(); first += chunk)
      fit_chunk(summary.items, paths, todo, first, std::min(todo.size(), first + chunk), fo,
                tracker);
  } catch (const Interrupted&) {
  }
  for (auto& item : summary.items)
    if (item.status.empty()) item.status = "interrupted";
  summary.interrupted = summary.count("interrupted") > 0;
  return summary;
}

std::vector<int> shard_by_samples(const std::vector<std::string>& files, int count) {
  std::vector<std::pair<long long, size_t>>
      by_length;  // (-samples, index): longest first, then file order
  for (size_t i = 0; i < files.size(); ++i)
    by_length.push_back({-std::max(0LL, audio_frames(files[i])), i});
  std::sort(by_length.begin(), by_length.end());
  std::vector<long long> load(size_t(std::max(1, count)), 0);
  std::vector<int> shard(files.size(), 0);
  for (const auto& [neg_samples, i] : by_length) {
    const size_t least = size_t(std::min_element(load.begin(), load.end()) - load.begin());
    shard[i] = int(least);
    load[least] += -neg_samples;
  }
  return shard;
}

}  // namespace drumsynth
