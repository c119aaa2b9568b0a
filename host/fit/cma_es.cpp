// CMA-ES (cma_es.hpp). Notation and constants as in Hansen's tutorial (2016),
// Table 1; n the dimension.
#include "fit/cma_es.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "drumsynth/error.hpp"
#include "drumsynth/synth/noise_rng.hpp"

namespace drumsynth {

CmaEs::CmaEs(Eigen::VectorXd mean, double sigma, int lambda, uint64_t seed)
    : mean_(std::move(mean)), sigma_(sigma), seed_(seed) {
  const int n = int(mean_.size());
  DS_CHECK(n > 0 && sigma > 0);
  lambda_ = lambda > 0 ? lambda : 4 + int(std::floor(3.0 * std::log(double(n))));
  DS_CHECK(lambda_ >= 2);
  mu_ = lambda_ / 2;
  // w_i proportional to ln((lambda + 1) / 2) - ln i: the better half, better ones heavier.
  weights_.resize(mu_);
  for (int i = 0; i < mu_; ++i) weights_[i] = std::log((lambda_ + 1) / 2.0) - std::log(i + 1.0);
  weights_ /= weights_.sum();
  mu_eff_ = 1.0 / weights_.squaredNorm();
  const double nd = n;
  c_sigma_ = (mu_eff_ + 2) / (nd + mu_eff_ + 5);
  d_sigma_ = 1 + 2 * std::max(0.0, std::sqrt((mu_eff_ - 1) / (nd + 1)) - 1) + c_sigma_;
  c_c_ = (4 + mu_eff_ / nd) / (nd + 4 + 2 * mu_eff_ / nd);
  c_1_ = 2 / ((nd + 1.3) * (nd + 1.3) + mu_eff_);
  c_mu_ = std::min(1 - c_1_, 2 * (mu_eff_ - 2 + 1 / mu_eff_) / ((nd + 2) * (nd + 2) + mu_eff_));
  chi_n_ = std::sqrt(nd) * (1 - 1 / (4 * nd) + 1 / (21 * nd * nd));  // E |N(0, I)|
  p_sigma_ = p_c_ = Eigen::VectorXd::Zero(n);
  C_ = B_ = Eigen::MatrixXd::Identity(n, n);
  D_ = Eigen::VectorXd::Ones(n);
}

// x_k = m + sigma B D z_k, z_k ~ N(0, I).
const std::vector<Eigen::VectorXd>& CmaEs::ask() {
  const int n = dimension();
  z_.assign(size_t(lambda_), Eigen::VectorXd(n));
  x_.assign(size_t(lambda_), Eigen::VectorXd(n));
  for (int k = 0; k < lambda_; ++k) {
    for (int i = 0; i < n; ++i)
      z_[k][i] = standard_normal(
          seed_,
          (uint64_t(generation_) * uint64_t(lambda_) + uint64_t(k)) * uint64_t(n) + uint64_t(i));
    x_[k] = mean_ + sigma_ * (B_ * D_.cwiseProduct(z_[k]));
  }
  return x_;
}

void CmaEs::tell(const std::vector<double>& losses) {
  DS_CHECK(int(losses.size()) == lambda_ && int(x_.size()) == lambda_);
  const int n = dimension();
  std::vector<int> order(static_cast<size_t>(lambda_));
  std::iota(order.begin(), order.end(), 0);
  const auto rank = [&](int k) { return std::isfinite(losses[k]) ? losses[k] : HUGE_VAL; };
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return rank(a) < rank(b); });

  // The new mean is the weighted recombination of the best mu; y_w, its step
  // in units of sigma, and z_w = C^(-1/2) y_w drive the two evolution paths.
  Eigen::VectorXd y_w = Eigen::VectorXd::Zero(n), z_w = Eigen::VectorXd::Zero(n);
  for (int i = 0; i < mu_; ++i) {
    z_w += weights_[i] * z_[order[i]];
    y_w += weights_[i] * (x_[order[i]] - mean_) / sigma_;
  }
  mean_ += sigma_ * y_w;
  ++generation_;

  // Step size: p_sigma accumulates C^(-1/2)-whitened steps; sigma grows when
  // it is longer than a random walk's (E|N(0,I)|), shrinks when shorter.
  p_sigma_ =
      (1 - c_sigma_) * p_sigma_ + std::sqrt(c_sigma_ * (2 - c_sigma_) * mu_eff_) * (B_ * z_w);
  const double ps = p_sigma_.norm() / std::sqrt(1 - std::pow(1 - c_sigma_, 2.0 * generation_));
  const bool h_sigma =
      ps < (1.4 + 2.0 / (n + 1)) * chi_n_;  // stall p_c while sigma is far too small
  p_c_ = (1 - c_c_) * p_c_ + (h_sigma ? std::sqrt(c_c_ * (2 - c_c_) * mu_eff_) : 0.0) * y_w;

  // Covariance: rank-one update from the path, rank-mu from this generation's best.
  Eigen::MatrixXd rank_mu = Eigen::MatrixXd::Zero(n, n);
  for (int i = 0; i < mu_; ++i) {
    const Eigen::VectorXd y = (x_[order[i]] - (mean_ - sigma_ * y_w)) / sigma_;
    rank_mu += weights_[i] * y * y.transpose();
  }
  const double lost = h_sigma ? 0.0 : c_1_ * c_c_ * (2 - c_c_);
  C_ = (1 - c_1_ - c_mu_ + lost) * C_ + c_1_ * p_c_ * p_c_.transpose() + c_mu_ * rank_mu;
  sigma_ *= std::exp((c_sigma_ / d_sigma_) * (p_sigma_.norm() / chi_n_ - 1));

  // C = B D^2 B^T for the next draws (n is small: a dense solve each generation).
  C_ = (C_ + C_.transpose()) / 2;
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(C_);
  B_ = eig.eigenvectors();
  D_ = eig.eigenvalues().cwiseMax(1e-20).cwiseSqrt();
}

}  // namespace drumsynth
