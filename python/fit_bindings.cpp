// drumsynth.fit and drumsynth.fit_many: the library's fitting engine
// (fit_sounds) from NumPy arrays. The fit runs on a worker thread with the
// GIL released; the calling thread wakes every 100 ms to hand the latest
// progress to the Python callback (so callbacks run on the caller's thread,
// at most every 100 ms) and to run Python's signal handlers, so Ctrl-C ends
// the fit early with each sound's best so far (FitOptions::finish).
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "bindings.hpp"
#include "drumsynth/fit.hpp"
#include "drumsynth/fit_outputs.hpp"
#include "drumsynth/playback.hpp"
#include "drumsynth/render.hpp"

namespace drumsynth::python {

namespace {

struct PyFitProgress {
  int sounds_done = 0, sounds = 0;    // sounds finished, of
  int iteration = 0, iterations = 0;  // of the batch in flight (0 when not reported)
  double loss = 0, best_loss = 0, elapsed_s = 0, remaining_s = 0;
};

struct PyFitResult {
  Preset preset;
  std::vector<double> loss_history;
  std::vector<float> render;
  double best_loss = 0, initial_loss = 0, seconds = 0;
  int best_iteration = 0, skipped_steps = 0;
  bool interrupted = false;  // ended early by Ctrl-C: the best so far
};

// The fit's keyword arguments as FitOptions; ValueError for a bad one.
FitOptions fit_options(int iterations, const std::string& loss_preset_name,
                       const std::map<std::string, double>& loss_settings, const std::string& init,
                       int restarts, uint64_t seed, const std::string& device, int threads,
                       int stop_window) {
  if (iterations < 1) throw py::value_error("iterations must be at least 1");
  if (stop_window < 0) throw py::value_error("stop_window must be 0 (never stop early) or more");
  if (restarts < 1) throw py::value_error("restarts must be at least 1");
  if (init != "analysis" && init != "random")
    throw py::value_error("init must be 'analysis' or 'random'");
  FitOptions o;
  o.device = parse_choice<DeviceChoice>(device);
  o.loss = loss_with(loss_preset_name, loss_settings);
  o.iterations = iterations, o.restarts = restarts, o.seed = seed;
  o.stop_window = stop_window;
  o.init = init == "random" ? FitInit::random : FitInit::analysis;
  o.n_threads = threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
  return o;
}

// What the worker thread shares with the calling thread.
struct FitChannel {
  std::mutex mutex;
  std::condition_variable wake;
  bool done = false, fresh = false;
  PyFitProgress latest;
  std::vector<SoundFit> fits;
  std::exception_ptr error;
};

// Runs fit_sounds on a worker thread; see the file comment. Sets *interrupted
// when Ctrl-C ended it.
std::vector<SoundFit> run_fits(const std::vector<const Sound*>& sounds, FitOptions o,
                               const py::object& progress, bool* interrupted) {
  FitChannel ch;
  ch.latest.sounds = int(sounds.size());
  std::atomic<bool> finish{false};
  o.finish = &finish;
  o.progress_every = 1;
  o.progress = [&](const FitProgress& p) {
    std::lock_guard<std::mutex> lock(ch.mutex);
    ch.latest.iteration = p.iteration, ch.latest.iterations = p.iterations, ch.latest.loss = p.loss;
    ch.latest.best_loss = p.best_loss, ch.latest.elapsed_s = p.elapsed_s,
    ch.latest.remaining_s = p.remaining_s;
    ch.fresh = true;
  };
  std::thread worker([&] {
    std::vector<SoundFit> fits;
    std::exception_ptr error;
    try {
      fits = fit_sounds(sounds, o, [&](int, const SoundFit&) {
        std::lock_guard<std::mutex> lock(ch.mutex);
        ++ch.latest.sounds_done;
        ch.fresh = true;
      });
    } catch (...) {
      error = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(ch.mutex);
    ch.fits = std::move(fits), ch.error = error, ch.done = true;
    ch.wake.notify_all();
  });
  // Whatever happens on this side (a callback raising), the worker is told to
  // finish and joined before the channel goes away.
  struct Joiner {
    std::thread& t;
    std::atomic<bool>& finish;
    ~Joiner() {
      finish = true;
      py::gil_scoped_release nogil;
      t.join();
    }
  } joiner{worker, finish};
  for (bool done = false; !done;) {
    std::optional<PyFitProgress> report;
    {
      py::gil_scoped_release nogil;
      std::unique_lock<std::mutex> lock(ch.mutex);
      ch.wake.wait_for(lock, std::chrono::milliseconds(100), [&] { return ch.done; });
      done = ch.done;
      if (ch.fresh) report = ch.latest, ch.fresh = false;
    }
    if (PyErr_CheckSignals() != 0) {
      if (!PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) throw py::error_already_set();
      PyErr_Clear();
      finish = true, *interrupted = true;
    }
    if (report && !progress.is_none()) progress(*report);
  }
  if (ch.error) std::rethrow_exception(ch.error);
  return std::move(ch.fits);
}

PyFitResult result_of(const Sound& target, const FitResult& r, const FitOptions& o,
                      bool interrupted) {
  PyFitResult p;
  p.preset = make_preset(target, r, o);
  const std::vector<double> audio =
      play_preset(p.preset, 0, target.seconds());  // as the CLI's render of a fit
  p.render.assign(audio.begin(), audio.end());
  p.loss_history = r.loss_history;
  p.best_loss = r.best_loss, p.initial_loss = r.initial_loss, p.seconds = r.seconds;
  p.best_iteration = r.best_iteration, p.skipped_steps = r.skipped_steps;
  p.interrupted = interrupted;
  return p;
}

std::vector<std::optional<PyFitResult>> fit_many(
    const py::sequence& audios, const py::object& sample_rates, int iterations,
    const std::string& loss, const std::map<std::string, double>& loss_settings,
    const std::string& init, int restarts, uint64_t seed, const std::string& device,
    const py::object& progress, int threads, double max_seconds,
    const std::optional<std::vector<std::string>>& names, int stop_window) {
  const size_t n = py::len(audios);
  std::vector<double> rates;
  if (py::isinstance<py::sequence>(sample_rates)) {
    rates = sample_rates.cast<std::vector<double>>();
    if (rates.size() != n)
      throw py::value_error("sample_rates has " + std::to_string(rates.size()) + " rates for " +
                            std::to_string(n) + " sounds");
  } else {
    rates.assign(n, sample_rates.cast<double>());
  }
  if (names && names->size() != n) throw py::value_error("names must name every sound");
  const FitOptions o = fit_options(iterations, loss, loss_settings, init, restarts, seed, device,
                                   threads, stop_window);
  LoadOptions lo;
  lo.max_seconds = max_seconds;
  std::vector<Sound> sounds;
  for (size_t i = 0; i < n; ++i)
    sounds.push_back(sound_from_array(
        audios[i], rates[i], names ? (*names)[i] : "sounds[" + std::to_string(i) + "]", lo));
  std::vector<const Sound*> ptrs;
  for (const Sound& s : sounds) ptrs.push_back(&s);
  bool interrupted = false;
  const std::vector<SoundFit> fits = run_fits(ptrs, o, progress, &interrupted);
  std::vector<std::optional<PyFitResult>> results;
  py::gil_scoped_release nogil;  // the renders
  for (size_t i = 0; i < n; ++i) {
    if (fits[i].error) {
      if (interrupted) {  // not started before Ctrl-C
        results.emplace_back();
        continue;
      }
      std::rethrow_exception(fits[i].error);
    }
    results.push_back(result_of(sounds[i], fits[i].result, o, interrupted));
  }
  return results;
}

constexpr const char* kFitDoc =
    "Fits the synth to one drum hit (a 1-D array, or 2-D with channels mixed) and returns a "
    "FitResult: the "
    "best preset, the loss history and the render. The same engine and defaults as `drumsynth fit` "
    "(on the "
    "CPU the same file and seed give the same preset, bit for bit). progress(FitProgress) is "
    "called at most "
    "every 100 ms on the calling thread; Ctrl-C ends the fit early and returns the best so far "
    "(FitResult.interrupted). A fit stops once converged (as `drumsynth fit --stop-window`; "
    "stop_window=0 runs every iteration). loss_settings overrides the loss preset's numbers by "
    "name, as the command line's loss options (e.g. {'w_env_log': 0.3}; "
    "drumsynth.loss_settings() lists them). The GIL is released while it runs. Raises "
    "ValueError for "
    "NaN/Inf, "
    "empty or "
    "silent audio, a rate outside 8-192 kHz, a sound longer than max_seconds or a bad argument.";

constexpr const char* kFitManyDoc =
    "Fits many sounds with the batch engine (GPU batches when a GPU is usable, CPU threads "
    "otherwise); "
    "sample_rates is one rate or one per sound. Returns a FitResult per sound, in order; after "
    "Ctrl-C, "
    "sounds not started yet are None. Raises ValueError naming the sound (names[i], or "
    "'sounds[i]') for "
    "bad audio, before any fitting.";

}  // namespace

void register_fit(py::module_& m) {
  py::class_<PyFitProgress>(m, "FitProgress",
                            "Progress of a fit, as the progress callback receives it.")
      .def_readonly("sounds_done", &PyFitProgress::sounds_done)
      .def_readonly("sounds", &PyFitProgress::sounds)
      .def_readonly("iteration", &PyFitProgress::iteration,
                    "Iterations done by the batch in flight")
      .def_readonly("iterations", &PyFitProgress::iterations)
      .def_readonly("loss", &PyFitProgress::loss, "This iteration's loss (median over the batch)")
      .def_readonly("best_loss", &PyFitProgress::best_loss, "Median of the best losses so far")
      .def_readonly("elapsed_s", &PyFitProgress::elapsed_s)
      .def_readonly("remaining_s", &PyFitProgress::remaining_s)
      .def("__repr__", [](const PyFitProgress& p) {
        return "<FitProgress " + std::to_string(p.sounds_done) + "/" + std::to_string(p.sounds) +
               " sounds, iteration " + std::to_string(p.iteration) + "/" +
               std::to_string(p.iterations) + ", loss " + std::to_string(p.loss) + ">";
      });
  py::class_<PyFitResult>(m, "FitResult", "One sound's fit.")
      .def_readonly("preset", &PyFitResult::preset, "The best parameters, as a Preset")
      .def_property_readonly(
          "loss_history", [](const PyFitResult& r) { return to_numpy(r.loss_history); },
          "Loss at each iteration (float64)")
      .def_property_readonly(
          "render", [](const PyFitResult& r) { return to_numpy(r.render); },
          "The preset rendered at the target's rate and length (float32)")
      .def_readonly("best_loss", &PyFitResult::best_loss)
      .def_readonly("initial_loss", &PyFitResult::initial_loss)
      .def_readonly("best_iteration", &PyFitResult::best_iteration)
      .def_readonly("skipped_steps", &PyFitResult::skipped_steps,
                    "Iterations not taken because the loss or gradient was not finite")
      .def_readonly("seconds", &PyFitResult::seconds, "Wall time of the fit")
      .def_readonly("interrupted", &PyFitResult::interrupted,
                    "Ended early by Ctrl-C: the best so far")
      .def("__repr__", [](const PyFitResult& r) {
        return "<drumsynth.FitResult loss " + std::to_string(r.initial_loss) + " -> " +
               std::to_string(r.best_loss) + " in " + std::to_string(r.loss_history.size()) +
               " iterations>";
      });
  m.def(
      "fit",
      [](const py::handle& audio, double sample_rate, int iterations, const std::string& loss,
         const std::map<std::string, double>& loss_settings, const std::string& init, int restarts,
         uint64_t seed, const std::string& device, const py::object& progress, int threads,
         double max_seconds, const std::string& name, int stop_window) {
        auto results = fit_many(py::make_tuple(audio), py::float_(sample_rate), iterations, loss,
                                loss_settings, init, restarts, seed, device, progress, threads,
                                max_seconds, std::vector<std::string>{name}, stop_window);
        if (!results[0]) {  // Ctrl-C before it started
          PyErr_SetNone(PyExc_KeyboardInterrupt);
          throw py::error_already_set();
        }
        return std::move(*results[0]);
      },
      py::arg("audio"), py::arg("sample_rate"), py::kw_only(), py::arg("iterations") = 1000,
      py::arg("loss_preset") = name_of(kDefaultFitLoss),
      py::arg("loss_settings") = std::map<std::string, double>{}, py::arg("init") = "analysis",
      py::arg("restarts") = 1, py::arg("seed") = 0, py::arg("device") = "auto",
      py::arg("progress") = py::none(), py::arg("threads") = 0, py::arg("max_seconds") = 10.0,
      py::arg("name") = "<array>", py::arg("stop_window") = FitOptions{}.stop_window, kFitDoc);
  m.def("fit_many", &fit_many, py::arg("audios"), py::arg("sample_rates"), py::kw_only(),
        py::arg("iterations") = 1000, py::arg("loss_preset") = name_of(kDefaultFitLoss),
        py::arg("loss_settings") = std::map<std::string, double>{}, py::arg("init") = "analysis",
        py::arg("restarts") = 1, py::arg("seed") = 0, py::arg("device") = "auto",
        py::arg("progress") = py::none(), py::arg("threads") = 0, py::arg("max_seconds") = 10.0,
        py::arg("names") = py::none(), py::arg("stop_window") = FitOptions{}.stop_window,
        kFitManyDoc);
}

}  // namespace drumsynth::python
