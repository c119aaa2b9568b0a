// CMA-ES, the covariance matrix adaptation evolution strategy (Hansen, "The
// CMA Evolution Strategy: A Tutorial", 2016; the (mu/mu_w, lambda) form with
// rank-one and rank-mu updates and cumulative step-size adaptation), in an
// ask/tell form: the caller evaluates each generation's candidates as one
// batch, which is how a backend evaluates them (population_search.hpp).
// Written here: Debian packages no C++ CMA-ES (only python3-cmaes), and the
// method is ~100 lines over Eigen, which the analysis already uses.
//
// Coordinates are the caller's, scaled so that a step of 1 is a sensible
// first search radius in every one of them: the search starts at `mean` with
// C = I and step size `sigma`. Candidates come from the counter-based normal
// generator (noise_rng.hpp), so a search is a function of its seed.
#pragma once

#include <stdint.h>

#include <Eigen/Dense>
#include <vector>

namespace drumsynth {

class CmaEs {
 public:
  // lambda <= 0: the tutorial's default population, 4 + floor(3 ln n).
  CmaEs(Eigen::VectorXd mean, double sigma, int lambda, uint64_t seed);

  int dimension() const { return int(mean_.size()); }
  int population() const { return lambda_; }
  int generation() const { return generation_; }
  double sigma() const { return sigma_; }
  const Eigen::VectorXd& mean() const { return mean_; }

  // This generation's candidates (population() of them).
  const std::vector<Eigen::VectorXd>& ask();
  // Their losses, in ask()'s order (lower is better; a non-finite loss ranks
  // last); updates the mean, the paths, the covariance and the step size.
  void tell(const std::vector<double>& losses);

 private:
  int lambda_, mu_;
  Eigen::VectorXd weights_;  // [mu], positive, sum 1
  double mu_eff_, c_sigma_, d_sigma_, c_c_, c_1_, c_mu_, chi_n_;
  Eigen::VectorXd mean_, p_sigma_, p_c_;
  Eigen::MatrixXd C_, B_;  // C = B diag(D^2) B^T
  Eigen::VectorXd D_;
  double sigma_;
  uint64_t seed_;
  int generation_ = 0;
  std::vector<Eigen::VectorXd> z_, x_;  // this generation's N(0, I) draws and candidates
};

}  // namespace drumsynth
