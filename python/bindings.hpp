// Shared by the Python module's parts (module.cpp registers them): NumPy
// arrays to and from the library's sample vectors, and the exceptions the
// module raises. Python sees the library's messages unchanged: a ValueError
// for bad audio reads as the command line's one-line error.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <map>
#include <string>
#include <vector>

#include "drumsynth/audio_io.hpp"
#include "drumsynth/loss_settings.hpp"
#include "drumsynth/names.hpp"

namespace drumsynth::python {

namespace py = pybind11;

// Audio from NumPy, checked and mixed to mono as the command line does
// (sound_from_samples): 1-D is mono; 2-D holds channels on its shorter axis
// ((frames, channels) as soundfile reads, or (channels, frames) as librosa
// does). Any real dtype; float values are taken as they are (full scale 1.0).
// Throws ValueError (through InputError) naming `name` for bad audio.
Sound sound_from_array(const py::handle& audio, double sample_rate, const std::string& name,
                       const LoadOptions& options);

template <typename T>
py::array_t<T> to_numpy(const std::vector<T>& v) {
  py::array_t<T> a(py::ssize_t(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

// One of an enum's names (names.hpp) as its value: the Python API takes the
// command line's strings; an unknown one is a ValueError naming the known ones.
template <typename E>
E parse_choice(const std::string& name) {
  try {
    return parse_name<E>(name);
  } catch (const Error& e) {
    throw py::value_error(e.what());
  }
}

// The settings of a named loss preset; ValueError for another name.
LossSettings named_loss(const std::string& preset);
// The same with some of its numbers overridden by name (the loss table,
// kLossNumbers); ValueError for a bad one.
LossSettings loss_with(const std::string& preset, const std::map<std::string, double>& overrides);

// drumsynth.PresetError (a ValueError), created by module.cpp.
py::object& preset_error_type();

// FileNotFoundError(ENOENT, "no such file", path): str() reads "[Errno 2] no such file: '<path>'".
[[noreturn]] void raise_file_not_found(const std::string& path);

void register_audio(py::module_& m);
void register_preset(py::module_& m);
void register_fit(py::module_& m);

}  // namespace drumsynth::python
