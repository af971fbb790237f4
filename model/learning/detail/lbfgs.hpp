// Limited-memory BFGS with a backtracking (Armijo) line search, for smooth convex objectives.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <deque>
#include <vector>

namespace aia::model::learning::detail {

/// Stopping rule of minimize_lbfgs().
struct lbfgs_settings {
  int max_iterations = 500;
  int memory = 10;
  double gradient_tolerance = 1e-6;  ///< stop when max |gradient| falls below this
  double relative_tolerance = 1e-10; ///< or the objective improves by less than this, relatively
};

/// Minimises f starting at x (updated in place); `f(x, grad)` returns the value and fills grad.
/// Returns the number of iterations run.
template <class Objective>
int minimize_lbfgs(Objective&& f, Eigen::VectorXd& x, const lbfgs_settings& s) {
  const auto n = x.size();
  Eigen::VectorXd g(n);
  Eigen::VectorXd g_new(n);
  Eigen::VectorXd x_new(n);
  Eigen::VectorXd d(n);
  double fx = f(x, g);
  std::deque<Eigen::VectorXd> ss;
  std::deque<Eigen::VectorXd> ys;
  std::deque<double> rhos;
  std::vector<double> alpha(static_cast<std::size_t>(s.memory));
  int it = 0;
  for (; it < s.max_iterations; ++it) {
    if (g.lpNorm<Eigen::Infinity>() < s.gradient_tolerance) {
      break;
    }
    // Two-loop recursion: d = -H g.
    d = -g;
    for (int i = static_cast<int>(ss.size()) - 1; i >= 0; --i) {
      alpha[i] = rhos[i] * ss[i].dot(d);
      d -= alpha[i] * ys[i];
    }
    if (!ss.empty()) {
      d *= ss.back().dot(ys.back()) / ys.back().squaredNorm();
    } else {
      d /= std::max(1.0, g.norm());
    }
    for (std::size_t i = 0; i < ss.size(); ++i) {
      const double beta = rhos[i] * ys[i].dot(d);
      d += (alpha[i] - beta) * ss[i];
    }
    double slope = g.dot(d);
    if (slope >= 0) { // not a descent direction: restart from steepest descent
      ss.clear();
      ys.clear();
      rhos.clear();
      d = -g / std::max(1.0, g.norm());
      slope = g.dot(d);
    }
    // Backtracking until the Armijo condition holds.
    double step = 1;
    double f_new = 0;
    bool found = false;
    for (int k = 0; k < 40; ++k) {
      x_new = x + step * d;
      f_new = f(x_new, g_new);
      if (std::isfinite(f_new) && f_new <= fx + 1e-4 * step * slope) {
        found = true;
        break;
      }
      step *= 0.5;
    }
    if (!found) {
      break;
    }
    Eigen::VectorXd sv = x_new - x;
    Eigen::VectorXd yv = g_new - g;
    const double sy = sv.dot(yv);
    if (sy > 1e-12) {
      if (static_cast<int>(ss.size()) == s.memory) {
        ss.pop_front();
        ys.pop_front();
        rhos.pop_front();
      }
      ss.push_back(std::move(sv));
      ys.push_back(std::move(yv));
      rhos.push_back(1.0 / sy);
    }
    const double improvement = fx - f_new;
    x.swap(x_new);
    g.swap(g_new);
    fx = f_new;
    if (improvement <= s.relative_tolerance * std::max(1.0, std::abs(fx))) {
      ++it;
      break;
    }
  }
  return it;
}

} // namespace aia::model::learning::detail
