// drumsynth.Preset: the files the command line writes, read, edited, saved
// and rendered from Python. Reading errors raise drumsynth.PresetError with
// the library's message ("<path>: <problem>").
#include <pybind11/stl.h>

#include <cmath>
#include <filesystem>
#include <optional>

#include "bindings.hpp"
#include "drumsynth/param_table.hpp"
#include "drumsynth/playback.hpp"
#include "drumsynth/preset.hpp"
#include "drumsynth/render.hpp"

namespace drumsynth::python {

namespace {

template <typename F>
Preset read_preset(F&& read) {
  try {
    return read();
  } catch (const InputError& e) {
    PyErr_SetString(preset_error_type().ptr(), e.what());
    throw py::error_already_set();
  }
}

py::dict parameters_of(const Preset& p) {
  py::dict d;
  for (size_t i = 0; i < param_table().size(); ++i) d[py::str(param_table()[i].name)] = p.params[i];
  return d;
}

// Sets the named parameters, each checked against its range.
void set_parameters(Preset& p, const py::dict& changes) {
  std::vector<double> params = p.params;
  for (const auto& [key, value] : changes) {
    const std::string name = py::str(key);
    const int i = param_index(name);
    if (i < 0) throw py::key_error("unknown parameter '" + name + "'");
    const double v = value.cast<double>();
    const ParamSpec& spec = param_table()[size_t(i)];
    if (!(v >= spec.min && v <= spec.max))
      throw py::value_error(name + " = " + std::to_string(v) + " is outside its range " +
                            std::to_string(spec.min) + "-" + std::to_string(spec.max) + " " +
                            spec.unit);
    params[size_t(i)] = v;
  }
  p.params = params;
}

py::array_t<float> render_preset(const Preset& p, std::optional<double> sample_rate,
                                 std::optional<double> seconds) {
  try {
    preset_voice_spec(p, sample_rate.value_or(0.0));  // a bad rate: ValueError, before the GIL goes
  } catch (const Error& e) {
    throw py::value_error(e.what());
  }
  std::vector<float> audio;
  {
    py::gil_scoped_release nogil;
    const std::vector<double> played =
        play_preset(p, sample_rate.value_or(0.0), seconds.value_or(0.0));
    audio.assign(played.begin(), played.end());  // in double, as `drumsynth render`
  }
  return to_numpy(audio);
}

}  // namespace

void register_preset(py::module_& m) {
  py::class_<Preset>(
      m, "Preset",
      "A fitted sound's synth parameters (physical units) and what it was fitted to; the "
      "same JSON files `drumsynth fit` writes and `drumsynth render` plays.")
      .def_static(
          "from_json",
          [](const std::string& text) {
            return read_preset([&] { return preset_from_json(text, "<json>"); });
          },
          py::arg("text"), "A preset from its JSON text. Raises PresetError.")
      .def_static(
          "load",
          [](const std::string& path) {
            std::error_code ec;
            if (!std::filesystem::exists(path, ec)) raise_file_not_found(path);
            return read_preset([&] { return load_preset(path); });
          },
          py::arg("path"), "Reads a .preset.json file. Raises FileNotFoundError or PresetError.")
      .def(
          "save",
          [](const Preset& p, const std::string& path) {
            try {
              save_preset(path, p);  // atomically: a temporary file, then rename
            } catch (const Error& e) {
              PyErr_SetString(PyExc_OSError, e.what());
              throw py::error_already_set();
            }
          },
          py::arg("path"), "Writes the preset (atomically) as `drumsynth fit` does.")
      .def("to_json", &preset_to_json, "The preset's JSON text, as saved.")
      .def("render", &render_preset, py::arg("sample_rate") = py::none(),
           py::arg("seconds") = py::none(),
           "Renders the preset as float32 mono, as `drumsynth render`: at the fitted target's rate "
           "or "
           "sample_rate; to its natural length (until it has died away, 90 dB under its peak) or "
           "seconds, a shorter length ending with a 10 ms release fade.")
      .def_property(
          "parameters", &parameters_of, &set_parameters,
          "The synth parameters by name, in physical units (s, Hz, ratio, gain). Assigning a "
          "dict sets the parameters it names, each checked against its range.")
      .def_readonly("sample_rate", &Preset::sample_rate, "Rate of the fitted target (Hz)")
      .def_readonly("n_samples", &Preset::n_samples, "Length of the fitted target (samples)")
      .def_readonly("noise_seed", &Preset::noise_seed, "Seed of the synth's noise")
      .def_readonly("final_loss", &Preset::final_loss)
      .def_readonly("initial_loss", &Preset::initial_loss)
      .def_readonly("iterations", &Preset::iterations)
      .def_readonly("source", &Preset::source, "The fitted file (or the name given to fit)")
      .def_property_readonly("loss_preset", [](const Preset& p) { return name_of(p.loss.preset); })
      .def("__repr__", [](const Preset& p) {
        return "<drumsynth.Preset of '" + p.source + "': " + std::to_string(p.n_samples) +
               " samples at " + std::to_string(int(p.sample_rate)) + " Hz, loss " +
               std::to_string(p.final_loss) + ">";
      });
}

}  // namespace drumsynth::python
