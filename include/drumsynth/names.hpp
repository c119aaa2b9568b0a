// The names of the public API's choices as the command line, Python and the
// preset files spell them. Each enum has one table (a Names specialisation,
// beside the enum); name_of and parse_name read it, so a new value is one
// row and every place that shows or reads names follows.
#pragma once

#include <array>
#include <string>
#include <utility>

#include "drumsynth/error.hpp"

namespace drumsynth {

// Specialised per enum E: `static constexpr const char* what` (the choice,
// for messages) and `static constexpr std::array<std::pair<const char*, E>, N> table`.
template <typename E>
struct Names;

template <typename E>
std::string name_of(E value) {
  for (const auto& [name, v] : Names<E>::table)
    if (v == value) return name;
  return "?";
}

// The value a name spells; throws drumsynth::Error naming the known ones.
template <typename E>
E parse_name(const std::string& name) {
  std::string known;
  for (const auto& [n, v] : Names<E>::table) {
    if (name == n) return v;
    known += (known.empty() ? "" : ", ") + std::string(n);
  }
  throw Error("unknown " + std::string(Names<E>::what) + " '" + name + "' (known: " + known + ")");
}

}  // namespace drumsynth
