// CMA-ES (host/fit/cma_es.hpp): it must learn a rotated, ill-conditioned valley
// (what the covariance is for), rank non-finite losses last, and be a
// function of its seed.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "fit/cma_es.hpp"

namespace drumsynth {
namespace {

// f(x) = sum_i 1000^(i/(n-1)) (R (x - 1))_i^2, R a fixed rotation: condition
// number 1e6, minimum 0 at x = 1, its axes not the coordinates'.
double rotated_ellipsoid(const Eigen::VectorXd& x) {
  const int n = int(x.size());
  Eigen::MatrixXd r(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) r(i, j) = std::sin(1.3 * i + 0.7 * j + 0.1 * i * j);
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(r);
  const Eigen::MatrixXd q = qr.householderQ();
  const Eigen::VectorXd y = q * (x - Eigen::VectorXd::Ones(n));
  double f = 0;
  for (int i = 0; i < n; ++i) f += std::pow(1e6, double(i) / (n - 1)) * y[i] * y[i];
  return f;
}

// Generations until f < tol (or `cap`), and the final mean.
template <typename F>
int generations_to(CmaEs& cma, F f, double tol, int cap) {
  for (int g = 0; g < cap; ++g) {
    std::vector<double> losses;
    double best = HUGE_VAL;
    for (const auto& x : cma.ask()) losses.push_back(f(x)), best = std::min(best, losses.back());
    cma.tell(losses);
    if (best < tol) return g + 1;
  }
  return cap;
}

TEST(CmaEs, LearnsARotatedIllConditionedValley) {
  CmaEs cma(Eigen::VectorXd::Constant(6, -2.0), 1.0, 0, 7);
  EXPECT_EQ(cma.population(), 4 + int(std::floor(3 * std::log(6.0))));
  const int g = generations_to(cma, rotated_ellipsoid, 1e-10, 2000);
  // A step-size-only strategy needs ~1e6 / (n lambda) times more generations
  // on this valley; CMA-ES's published figure for n = 6 is a few hundred.
  EXPECT_LT(g, 800) << "mean " << cma.mean().transpose();
  EXPECT_LT((cma.mean() - Eigen::VectorXd::Ones(6)).norm(), 1e-3);
}

TEST(CmaEs, NonFiniteLossesRankLast) {
  // A sphere around 2, undefined (NaN) wherever x_0 < 1.5: the search starts
  // in the defined part and must not drift into the NaNs.
  const auto f = [](const Eigen::VectorXd& x) {
    return x[0] < 1.5 ? NAN : (x - Eigen::VectorXd::Constant(x.size(), 2.0)).squaredNorm();
  };
  CmaEs cma(Eigen::VectorXd::Constant(4, 3.0), 0.5, 0, 3);
  EXPECT_LT(generations_to(cma, f, 1e-12, 1000), 1000);
  EXPECT_NEAR(cma.mean()[0], 2.0, 1e-4);
}

TEST(CmaEs, IsAFunctionOfItsSeed) {
  CmaEs a(Eigen::VectorXd::Zero(3), 1.0, 8, 11), b(Eigen::VectorXd::Zero(3), 1.0, 8, 11),
      c(Eigen::VectorXd::Zero(3), 1.0, 8, 12);
  for (int g = 0; g < 3; ++g) {
    const auto xa = a.ask(), xb = b.ask(), xc = c.ask();
    std::vector<double> la, lc;
    for (size_t k = 0; k < xa.size(); ++k) {
      EXPECT_EQ(xa[k], xb[k]);
      la.push_back(xa[k].squaredNorm()), lc.push_back(xc[k].squaredNorm());
    }
    EXPECT_NE(xa[0], xc[0]);
    a.tell(la), b.tell(la), c.tell(lc);
  }
  EXPECT_EQ(a.mean(), b.mean());
  EXPECT_EQ(a.sigma(), b.sigma());
}

}  // namespace
}  // namespace drumsynth
