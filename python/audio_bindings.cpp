// Audio in and out of NumPy, load_audio, and the loss (with its gradient with
// respect to the estimate) as the command line's `loss` computes it.
#include <pybind11/stl.h>

#include <filesystem>
#include <map>

#include "bindings.hpp"
#include "drumsynth/loss_settings.hpp"
#include "loss/mrstft_loss.hpp"

namespace drumsynth::python {

Sound sound_from_array(const py::handle& audio, double sample_rate, const std::string& name,
                       const LoadOptions& options) {
  using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;
  if (!py::isinstance<py::array>(audio) && !py::isinstance<py::sequence>(audio))
    throw py::type_error(name + ": audio must be a NumPy array");
  FloatArray a;
  try {
    a = FloatArray::ensure(audio);
  } catch (const py::error_already_set&) {
  }
  if (!a) throw py::type_error(name + ": audio must be an array of real numbers");
  if (a.ndim() != 1 && a.ndim() != 2)
    throw py::value_error(name + ": audio must be 1-D (mono) or 2-D (frames and channels), not " +
                          std::to_string(a.ndim()) + "-D");
  if (a.ndim() == 1 ||
      a.shape(0) >= a.shape(1))  // mono, or (frames, channels): interleaved already
    return sound_from_samples(name, a.data(), size_t(a.shape(0)),
                              a.ndim() == 1 ? 1 : int(a.shape(1)), sample_rate, options);
  const size_t channels = size_t(a.shape(0)), frames = size_t(a.shape(1));
  std::vector<float> interleaved(channels * frames);
  for (size_t c = 0; c < channels; ++c)
    for (size_t i = 0; i < frames; ++i) interleaved[i * channels + c] = a.data()[c * frames + i];
  return sound_from_samples(name, interleaved.data(), frames, int(channels), sample_rate, options);
}

LossSettings named_loss(const std::string& preset) {
  const LossPreset p = parse_choice<LossPreset>(preset);
  if (p == LossPreset::custom) throw py::value_error("the custom loss preset names no settings");
  return loss_preset(p);
}

LossSettings loss_with(const std::string& preset, const std::map<std::string, double>& overrides) {
  LossSettings s = named_loss(preset);
  try {
    for (const auto& [name, value] : overrides) set_loss_number(s, name, value);
  } catch (const Error& e) {
    throw py::value_error(e.what());
  }
  return s;
}

namespace {

// The estimate (may be silent) and the target (may not), at one rate; the
// estimate cut or zero-padded to the target's length, as `drumsynth loss` does.
struct LossInputs {
  std::vector<double> x, y;
  size_t estimate_len;
};

LossInputs loss_inputs(const py::handle& estimate, const py::handle& target, double sample_rate) {
  LoadOptions o;
  o.max_seconds = 1e9;
  const Sound y = sound_from_array(target, sample_rate, "target", o);
  o.refuse_silence = false;
  const Sound x = sound_from_array(estimate, sample_rate, "estimate", o);
  LossInputs in{std::vector<double>(x.samples.begin(), x.samples.end()),
                std::vector<double>(y.samples.begin(), y.samples.end()), x.samples.size()};
  in.x.resize(in.y.size(), 0.0);
  return in;
}

}  // namespace

void register_audio(py::module_& m) {
  m.def(
      "load_audio",
      [](const std::string& path, double max_seconds) {
        std::error_code ec;
        if (!std::filesystem::exists(path, ec)) raise_file_not_found(path);
        LoadOptions o;
        o.max_seconds = max_seconds;
        Sound s;
        {
          py::gil_scoped_release nogil;
          s = load_sound(path, o);
        }
        return py::make_tuple(to_numpy(s.samples), int(s.sample_rate));
      },
      py::arg("path"), py::arg("max_seconds") = 10.0,
      "Reads an audio file (any format libsndfile reads) as the command line does: float32 mono "
      "(channels mixed) and its sample rate. Raises FileNotFoundError, or ValueError for a file "
      "that "
      "is unreadable, empty, silent, longer than max_seconds, holds NaN/Inf or has a rate outside "
      "8-192 kHz.");
  m.def(
      "loss",
      [](const py::handle& estimate, const py::handle& target, double sample_rate,
         const std::string& preset, const std::map<std::string, double>& overrides) {
        const LossSettings settings = loss_with(preset, overrides);
        const LossInputs in = loss_inputs(estimate, target, sample_rate);
        py::gil_scoped_release nogil;
        return mrstft_loss(in.x, in.y, sample_rate, settings);
      },
      py::arg("estimate"), py::arg("target"), py::arg("sample_rate"), py::arg("preset") = "seed",
      py::arg("settings") = std::map<std::string, double>{},
      "The multi-resolution STFT loss of estimate against target (in double), as `drumsynth loss` "
      "computes it: the estimate is cut or zero-padded to the target's length. settings "
      "overrides the preset's numbers by name (loss_settings() lists them).");
  m.def(
      "loss_and_grad",
      [](const py::handle& estimate, const py::handle& target, double sample_rate,
         const std::string& preset, const std::map<std::string, double>& overrides) {
        const LossSettings settings = loss_with(preset, overrides);
        const LossInputs in = loss_inputs(estimate, target, sample_rate);
        std::vector<double> grad;
        double loss = 0;
        {
          py::gil_scoped_release nogil;
          MrstftLoss<double> l(settings, sample_rate, in.y);
          loss = l.loss_and_gradient(in.x, grad);
          grad.resize(in.estimate_len, 0.0);  // samples past the target's end do not count
        }
        return py::make_tuple(loss, to_numpy(grad));
      },
      py::arg("estimate"), py::arg("target"), py::arg("sample_rate"), py::arg("preset") = "seed",
      py::arg("settings") = std::map<std::string, double>{},
      "The loss and its gradient with respect to the estimate (float64, the estimate's length).");
  m.def(
      "loss_settings",
      [](const std::string& preset) {
        const LossSettings s = named_loss(preset);
        py::dict d;
        for (const LossNumber& n : kLossNumbers) d[n.name] = s.*n.value;
        return d;
      },
      py::arg("preset") = name_of(kDefaultFitLoss),
      "A loss preset's numbers by name (the loss terms' weights and settings): what fit's "
      "loss_settings and loss's settings override, as the command line's loss options do.");
}

}  // namespace drumsynth::python
