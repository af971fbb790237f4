// BKT: scaled forward-backward, the bounded Baum-Welch M-step, and per-learner updates.
#include "model/learning/bkt.hpp"

#include <algorithm>
#include <cmath>

namespace aia::model::learning {

double bkt_params::posterior(double p_known, bool correct) const noexcept {
  const double k = correct ? p_known * (1 - slip) : p_known * slip;
  const double u = correct ? (1 - p_known) * guess : (1 - p_known) * (1 - guess);
  const double post = k / (k + u);
  return post * (1 - forget) + (1 - post) * learn;
}

namespace {

/// Expected counts of one E-step, summed over sequences.
struct em_counts {
  double ll = 0;
  double init_known = 0;
  double sequences = 0;
  double to_known = 0, from_unknown = 0; // xi(U->K), gamma(U) for t < n
  double to_unknown = 0, from_known = 0; // xi(K->U), gamma(K) for t < n
  double unknown_correct = 0, unknown = 0;
  double known_wrong = 0, known = 0;
};

/// Forward-backward over one sequence; adds its expected counts and log-likelihood to `c`.
void e_step(const bkt_params& p, const std::vector<std::uint8_t>& y, em_counts& c,
            std::vector<double>& ak, std::vector<double>& scale) {
  const auto n = y.size();
  if (n == 0) {
    return;
  }
  auto ek = [&](std::uint8_t v) { return v != 0 ? 1 - p.slip : p.slip; };
  auto eu = [&](std::uint8_t v) { return v != 0 ? p.guess : 1 - p.guess; };
  ak.resize(n);
  scale.resize(n);
  // Forward, normalised each step: ak[t] = p(known at t | y_1..t).
  double k = p.init * ek(y[0]);
  double u = (1 - p.init) * eu(y[0]);
  for (std::size_t t = 0;;) {
    scale[t] = k + u;
    ak[t] = k / scale[t];
    c.ll += std::log(scale[t]);
    if (++t == n) {
      break;
    }
    const double pk = ak[t - 1] * (1 - p.forget) + (1 - ak[t - 1]) * p.learn;
    k = pk * ek(y[t]);
    u = (1 - pk) * eu(y[t]);
  }
  // Backward with the same scaling; gamma and xi from alpha * beta.
  double bk = 1;
  double bu = 1;
  for (std::size_t t = n; t-- > 0;) {
    const double gk = ak[t] * bk;
    const double gu = (1 - ak[t]) * bu;
    const double norm = gk + gu; // 1 up to rounding
    const double gamma_k = gk / norm;
    const double gamma_u = gu / norm;
    c.known += gamma_k;
    c.unknown += gamma_u;
    c.known_wrong += y[t] != 0 ? 0 : gamma_k;
    c.unknown_correct += y[t] != 0 ? gamma_u : 0;
    if (t == 0) {
      c.init_known += gamma_k;
      c.sequences += 1;
      break;
    }
    // Transition t-1 -> t.
    const double ak_prev = ak[t - 1];
    const double au_prev = 1 - ak_prev;
    const double wk = ek(y[t]) * bk / scale[t];
    const double wu = eu(y[t]) * bu / scale[t];
    const double xi_kk = ak_prev * (1 - p.forget) * wk;
    const double xi_ku = ak_prev * p.forget * wu;
    const double xi_uk = au_prev * p.learn * wk;
    const double xi_uu = au_prev * (1 - p.learn) * wu;
    c.to_known += xi_uk;
    c.from_unknown += xi_uk + xi_uu;
    c.to_unknown += xi_ku;
    c.from_known += xi_kk + xi_ku;
    const double bk_prev = (1 - p.forget) * wk + p.forget * wu;
    bu = p.learn * wk + (1 - p.learn) * wu;
    bk = bk_prev;
  }
}

double ratio_or(double num, double den, double fallback) {
  return den > 1e-12 ? num / den : fallback;
}

em_counts expected_counts(const bkt_params& p, const bkt_observations& obs) {
  em_counts c;
  std::vector<double> ak;
  std::vector<double> scale;
  for (const auto& y : obs) {
    e_step(p, y, c, ak, scale);
  }
  return c;
}

} // namespace

double bkt_log_likelihood(const bkt_params& p, const bkt_observations& obs) {
  return expected_counts(p, obs).ll;
}

bkt_fit_result fit_bkt(const bkt_observations& obs, const bkt_fit_options& opt, bkt_params start) {
  bkt_fit_result r;
  const double lo = opt.min_prob;
  const double hi = 1 - opt.min_prob;
  auto& p = r.params;
  p = start;
  p.init = std::clamp(p.init, lo, hi);
  p.learn = std::clamp(p.learn, lo, hi);
  p.guess = std::clamp(p.guess, lo, opt.max_guess);
  p.slip = std::clamp(p.slip, lo, opt.max_slip);
  // EM cannot leave forget = 0 (no expected K -> U transitions), so start it above zero.
  p.forget = opt.forgetting ? std::clamp(p.forget > 0 ? p.forget : 0.05, 0.0, opt.max_forget) : 0.0;
  double n_obs = 0;
  for (const auto& y : obs) {
    n_obs += static_cast<double>(y.size());
  }
  if (n_obs == 0) {
    return r;
  }
  for (int it = 0; it < opt.max_iterations; ++it) {
    const auto c = expected_counts(p, obs);
    r.log_likelihood.push_back(c.ll);
    if (it > 0 && c.ll - r.log_likelihood[it - 1] < opt.tolerance * n_obs) {
      return r;
    }
    // M-step: each parameter's expected log-likelihood is a ∑ log q + b ∑ log(1 - q) term,
    // concave in q, so clamping the free maximiser gives the maximum within the bounds.
    p.init = std::clamp(ratio_or(c.init_known, c.sequences, p.init), lo, hi);
    p.learn = std::clamp(ratio_or(c.to_known, c.from_unknown, p.learn), lo, hi);
    p.guess = std::clamp(ratio_or(c.unknown_correct, c.unknown, p.guess), lo, opt.max_guess);
    p.slip = std::clamp(ratio_or(c.known_wrong, c.known, p.slip), lo, opt.max_slip);
    if (opt.forgetting) {
      p.forget = std::clamp(ratio_or(c.to_unknown, c.from_known, p.forget), 0.0, opt.max_forget);
    }
  }
  r.log_likelihood.push_back(bkt_log_likelihood(p, obs));
  return r;
}

// -- the per-skill model --------------------------------------------------------------------

bkt_model::bkt_model(std::vector<bkt_params> per_skill, bkt_params pooled)
    : per_skill_(std::move(per_skill)), pooled_(pooled) {}

bkt_model bkt_model::fit(const kt_dataset& train, const bkt_fit_options& opt) {
  // One observation sequence per (skill, learner), in time order.
  std::vector<bkt_observations> by_skill(train.skill_count);
  std::vector<std::uint32_t> slot(train.skill_count);
  for (const auto& s : train.sequences) {
    std::fill(slot.begin(), slot.end(), UINT32_MAX);
    for (std::size_t t = 0; t < s.correct.size(); ++t) {
      const auto k = s.skill[t];
      if (slot[k] == UINT32_MAX) {
        slot[k] = static_cast<std::uint32_t>(by_skill[k].size());
        by_skill[k].emplace_back();
      }
      by_skill[k][slot[k]].push_back(s.correct[t]);
    }
  }
  bkt_observations all;
  for (const auto& obs : by_skill) {
    all.insert(all.end(), obs.begin(), obs.end());
  }
  const auto pooled = fit_bkt(all, opt).params;
  std::vector<bkt_params> per_skill(train.skill_count, pooled);
  for (std::size_t k = 0; k < by_skill.size(); ++k) {
    if (!by_skill[k].empty()) {
      per_skill[k] = fit_bkt(by_skill[k], opt, pooled).params;
    }
  }
  return {std::move(per_skill), pooled};
}

namespace {

template <class Known>
auto find_skill(Known& v, std::uint32_t skill) {
  return std::lower_bound(v.begin(), v.end(), skill,
                          [](const auto& e, std::uint32_t k) { return e.first < k; });
}

} // namespace

double bkt_model::mastery(const learner& l, std::uint32_t skill) const noexcept {
  auto it = find_skill(l.known, skill);
  return it != l.known.end() && it->first == skill ? it->second : params(skill).init;
}

double bkt_model::predict(const learner& l, const kt_item& item) const noexcept {
  if (item.skills.empty()) {
    return pooled_.p_correct(pooled_.init);
  }
  double sum = 0;
  for (auto k : item.skills) {
    sum += params(k).p_correct(mastery(l, k));
  }
  return sum / static_cast<double>(item.skills.size());
}

void bkt_model::update(learner& l, const kt_item& item, bool correct) const {
  for (auto k : item.skills) {
    auto it = find_skill(l.known, k);
    if (it == l.known.end() || it->first != k) {
      it = l.known.insert(it, {k, static_cast<float>(params(k).init)});
    }
    it->second = static_cast<float>(params(k).posterior(it->second, correct));
  }
}

} // namespace aia::model::learning
