// The q-quantile of some values by the nearest rank (index q (n - 1), rounded
// half up): an observed value, no interpolation. NaN for no values. Used by the
// report's summary and the benchmarks' tables.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace drumsynth {

inline double quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const double rank = std::floor(std::clamp(q, 0.0, 1.0) * double(v.size() - 1) + 0.5);
  return v[static_cast<size_t>(rank)];
}

}  // namespace drumsynth
