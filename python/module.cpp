// drumsynth._drumsynth: the C++ library as a Python module (the package
// drumsynth re-exports it). Library errors become Python exceptions:
// InputError (bad audio or arguments) -> ValueError, Interrupted ->
// KeyboardInterrupt, any other drumsynth::Error -> RuntimeError; presets
// raise drumsynth.PresetError and missing files FileNotFoundError where they
// are read (preset_bindings.cpp, audio_bindings.cpp).
#include <errno.h>

#include "bindings.hpp"
#include "drumsynth/optimizer.hpp"

namespace drumsynth::python {

py::object& preset_error_type() {
  static py::object type;
  return type;
}

void raise_file_not_found(const std::string& path) {
  PyErr_SetObject(PyExc_FileNotFoundError, py::make_tuple(ENOENT, "no such file", path).ptr());
  throw py::error_already_set();
}

}  // namespace drumsynth::python

PYBIND11_MODULE(_drumsynth, m) {
  using namespace drumsynth::python;
  m.doc() = "drumsynth: fit a parametric drum synth to recorded drum hits, render its presets.";
  preset_error_type() = py::exception<drumsynth::Error>(m, "PresetError", PyExc_ValueError);
  preset_error_type().attr("__doc__") =
      "A preset that cannot be read: malformed JSON, an unknown format "
      "version, a missing parameter or one out of range.";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const drumsynth::InputError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const drumsynth::Interrupted& e) {
      PyErr_SetString(PyExc_KeyboardInterrupt, e.what());
    } catch (const drumsynth::Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
  register_audio(m);
  register_preset(m);
  register_fit(m);
}
