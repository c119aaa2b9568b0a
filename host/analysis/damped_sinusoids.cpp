#include "analysis/damped_sinusoids.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <complex>

namespace drumsynth {

std::vector<DampedSinusoid> matrix_pencil(const std::vector<double>& x, double sample_rate,
                                          int order, double min_hz, double max_hz,
                                          int max_samples) {
  const int n = std::min(int(x.size()), max_samples);
  const int pencil = n / 3;  // L: N/3 to N/2 is where the estimates' variance is lowest
  if (n < 8 || order < 2 || pencil <= order) return {};
  // Hankel matrix Y (n - L rows, L + 1 columns): column j is x shifted by j.
  // Its M dominant right singular vectors span the signal's poles; dropping
  // the last or the first row gives V1, V2 with V2 = V1 Z (shift invariance),
  // so the poles are the eigenvalues of pinv(V1) V2.
  Eigen::MatrixXd y(n - pencil, pencil + 1);
  for (int i = 0; i < n - pencil; ++i)
    for (int j = 0; j <= pencil; ++j) y(i, j) = x[size_t(i + j)];
  const Eigen::BDCSVD<Eigen::MatrixXd> svd(y, Eigen::ComputeThinV);
  const int m = std::min(order, int(svd.singularValues().size()));
  const Eigen::MatrixXd v = svd.matrixV().leftCols(m);
  const Eigen::MatrixXd v1 = v.topRows(pencil), v2 = v.bottomRows(pencil);
  const Eigen::MatrixXd shift = v1.completeOrthogonalDecomposition().solve(v2);
  const Eigen::VectorXcd poles = Eigen::EigenSolver<Eigen::MatrixXd>(shift, false).eigenvalues();
  // Amplitudes: least squares of x against the poles' powers (Vandermonde).
  Eigen::MatrixXcd vander(n, m);
  for (int k = 0; k < m; ++k) {
    std::complex<double> p = 1.0;
    for (int t = 0; t < n; ++t) vander(t, k) = p, p *= poles(k);
  }
  Eigen::VectorXcd target(n);
  for (int t = 0; t < n; ++t) target(t) = x[size_t(t)];
  const Eigen::VectorXcd c = vander.colPivHouseholderQr().solve(target);
  std::vector<DampedSinusoid> modes;
  for (int k = 0; k < m; ++k) {
    const double hz = std::arg(poles(k)) * sample_rate / (2 * M_PI), radius = std::abs(poles(k));
    if (hz <= min_hz || hz >= max_hz || !(radius > 0)) continue;  // one of each conjugate pair
    const double decay_s = radius < 1 ? -1.0 / (sample_rate * std::log(radius)) : 1e3;
    modes.push_back({hz, decay_s, 2.0 * std::abs(c(k))});
  }
  std::sort(modes.begin(), modes.end(),
            [](const auto& a, const auto& b) { return a.amplitude > b.amplitude; });
  return modes;
}

}  // namespace drumsynth
