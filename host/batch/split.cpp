// Fitting a recording hit by hit (split.hpp).
#include "drumsynth/split.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "drumsynth/audio_io.hpp"
#include "drumsynth/batch.hpp"
#include "drumsynth/fit_outputs.hpp"
#include "drumsynth/kit_render.hpp"

namespace drumsynth {

namespace fs = std::filesystem;

SplitPaths split_paths(const std::string& input, const std::string& out_dir) {
  const fs::path dir(out_dir.empty() ? "." : out_dir);
  const std::string name = fs::path(input).stem().string();
  return {(dir / name).string(), (dir / (name + ".kit.json")).string(),
          (dir / (name + ".mid")).string(), (dir / (name + ".replay.wav")).string()};
}

std::vector<Sound> hit_sounds(const Sound& recording, const std::vector<Hit>& hits) {
  std::vector<Sound> sounds;
  const double rate = recording.sample_rate;
  for (size_t h = 0; h < hits.size(); ++h) {
    const size_t first =
        std::min(recording.samples.size(), size_t(std::lround(hits[h].onset_s * rate)));
    const size_t end =
        h + 1 < hits.size()
            ? std::min(recording.samples.size(), size_t(std::lround(hits[h + 1].onset_s * rate)))
            : recording.samples.size();
    Sound s;
    s.path = (fs::path(recording.path).parent_path() /
              (fs::path(recording.path).stem().string() + "-hit" + std::to_string(h + 1) + ".wav"))
                 .string();
    s.sample_rate = rate, s.n_channels = 1;
    s.samples.assign(recording.samples.begin() + long(first),
                     recording.samples.begin() + long(std::max(first, end)));
    sounds.push_back(std::move(s));
  }
  return sounds;
}

SplitFit fit_split(const Sound& recording, const std::vector<Hit>& hits, const FitOptions& options,
                   const SplitPaths& paths) {
  SplitFit out;
  out.hits = hits;
  const std::vector<Sound> sounds = hit_sounds(recording, hits);
  std::vector<const Sound*> refs;
  for (const Sound& s : sounds) refs.push_back(&s);
  out.fits = fit_sounds(refs, options);
  fs::create_directories(paths.folder);
  out.kit.name = fs::path(recording.path).stem().string();
  std::set<int> taken;
  for (size_t h = 0; h < sounds.size(); ++h) {
    if (out.fits[h].error) continue;
    const std::string name = "hit" + std::to_string(h + 1);
    const FitOutputPaths fp = fit_output_paths(name + ".wav", paths.folder);
    write_fit_outputs(sounds[h], out.fits[h].result, options, fp);
    // Its General MIDI note, or where that is another hit's, the next free one from 60 up.
    int note = general_midi_note("", make_preset(sounds[h], out.fits[h].result, options));
    for (int n = 60; taken.count(note) && n < 128; ++n) note = n;
    taken.insert(note);
    Pad pad;
    pad.name = name + " (" + general_midi_name(note) + ")";
    pad.note = note;
    pad.layers.push_back(
        {fs::absolute(fp.preset).string(), hits[h].velocity});  // written relative to the kit
    out.kit.pads.push_back(pad);
    out.notes.push_back(
        {midi_tick_time(hits[h].onset_s), note, hits[h].velocity});  // as the MIDI file has it
  }
  if (out.kit.pads.empty()) std::rethrow_exception(out.fits.front().error);
  out.kit.path = paths.kit;
  const LoadedKit loaded = load_kit_presets(out.kit);
  out.replay = render_kit(loaded, out.notes, recording.sample_rate, recording.seconds());
  save_wav(paths.replay, std::vector<float>(out.replay.begin(), out.replay.end()),
           recording.sample_rate);
  save_midi(paths.midi, out.notes);
  save_kit(paths.kit, out.kit);
  return out;
}

std::vector<RecordingSplit> split_batch_recordings(const std::string& in_dir,
                                                   const std::string& out_dir,
                                                   const FitOptions& options,
                                                   const LoadOptions& load, bool force,
                                                   const std::atomic<bool>* stop) {
  std::vector<RecordingSplit> out;
  FitOptions quiet = options;
  quiet.progress = nullptr;  // several sounds at once
  for (const std::string& file : find_audio_files(in_dir, out_dir)) {
    if (stop && stop->load()) break;
    RecordingSplit r;
    const fs::path relative = fs::relative(file, in_dir);
    r.relative = relative.generic_string();
    const SplitPaths paths =
        split_paths(file, (fs::path(out_dir) / relative.parent_path()).string());
    r.kit = paths.kit;
    try {
      const Sound sound = load_sound(file, load);
      const std::vector<Hit> hits = find_hits(sound);
      r.hits = int(hits.size());
      if (hits.size() < 2) continue;
      if (force || !fs::exists(paths.kit)) fit_split(sound, hits, quiet, paths), r.done = true;
    } catch (const std::exception& e) {
      if (r.hits < 2) continue;  // unreadable: the batch itself reports it
      r.error = e.what();
    }
    out.push_back(r);
  }
  return out;
}

}  // namespace drumsynth
