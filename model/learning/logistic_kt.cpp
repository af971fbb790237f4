// Logistic knowledge tracing: the regularised objective, its L-BFGS fit, the features and the
// per-learner state updates.
#include "model/learning/logistic_kt.hpp"

#include "model/learning/detail/lbfgs.hpp"

#include <algorithm>
#include <cmath>

namespace aia::model::learning {

// -- regularised logistic regression ------------------------------------------------------------

double logistic_objective(const logistic_problem& p, const Eigen::VectorXd& b,
                          Eigen::VectorXd& gradient) {
  const Eigen::VectorXd z = p.x * b;
  const auto n = z.size();
  const bool weighted = p.weight.size() == n;
  Eigen::VectorXd r(n);
  double loss = 0;
  double total = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const double w = weighted ? p.weight[i] : 1.0;
    const double zi = z[i];
    // log(1 + e^z) - y z, stably.
    loss += w * (std::max(zi, 0.0) + std::log1p(std::exp(-std::abs(zi))) - p.y[i] * zi);
    const double pi = 1 / (1 + std::exp(-zi));
    r[i] = w * (pi - p.y[i]);
    total += w;
  }
  total = std::max(total, 1e-300);
  gradient = (p.x.transpose() * r) / total;
  loss /= total;
  if (p.l2.size() == b.size()) {
    gradient += p.l2.cwiseProduct(b);
    loss += 0.5 * (p.l2.cwiseProduct(b.cwiseAbs2())).sum();
  }
  return loss;
}

Eigen::VectorXd fit_logistic(const logistic_problem& p, int max_iterations,
                             double gradient_tolerance, Eigen::VectorXd start) {
  Eigen::VectorXd b
      = start.size() == p.x.cols() ? std::move(start) : Eigen::VectorXd::Zero(p.x.cols());
  detail::lbfgs_settings s;
  s.max_iterations = max_iterations;
  s.gradient_tolerance = gradient_tolerance;
  s.relative_tolerance = 1e-12;
  detail::minimize_lbfgs(
      [&](const Eigen::VectorXd& x, Eigen::VectorXd& g) { return logistic_objective(p, x, g); }, b,
      s);
  return b;
}

// -- features -----------------------------------------------------------------------------------
//
// Dense block (index: meaning), then skill one-hot [S], skill successes [S], skill failures [S]
// (PFA's per-skill rates), skill running accuracy [S], then problem one-hot [P]. Skill features are
// averaged over the item's skills; the indexed blocks get 1 (or the count) per skill.

namespace {

enum dense : std::uint32_t {
  bias,
  total_succ,      // log(1 + prior correct answers)
  total_fail,      // log(1 + prior wrong answers)
  total_ema,       // running accuracy (rate 0.2, bias-corrected) - 0.5; 0 before the first
  first_attempt,   // no prior attempts at all
  last_answer,     // previous answer +1 / -1
  skill_succ,      // log(1 + prior correct on the skill)
  skill_fail,      // log(1 + prior wrong on the skill)
  skill_ema,       // running accuracy on the skill (rate 0.3) - 0.5
  skill_new,       // the skill was never attempted
  skill_gap,       // log(attempts since the skill's last attempt)
  skill_last,      // the skill's last answer +1 / -1
  skill_ema_fresh, // skill_ema / (1 + gap): recent skill accuracy fades
  problem_succ,    // log(1 + prior correct on this problem)
  problem_fail,    // log(1 + prior wrong on this problem)
  problem_seen,    // the problem was attempted before
  item_skills,     // log(number of skills of the item)
  ability,         // EWMA (rate 0.1) of answer minus the answered problem's training mean
  ability_count,   // log(1 + attempts) * ability: trust the ability more with more evidence
  dense_count
};
static_assert(dense_count == logistic_kt::dense_features);

constexpr float total_rate = 0.2F;
constexpr float skill_rate = 0.3F;
constexpr float ability_rate = 0.1F;
constexpr float problem_prior = 5.0F; // pseudo-answers shrinking a problem's mean to its skills'

template <class T, class Id>
auto find_entry(const std::vector<T>& v, Id id, Id T::*key) {
  return std::lower_bound(v.begin(), v.end(), id, [key](const T& e, Id k) { return e.*key < k; });
}

/// Calls emit(index, value) for every non-zero feature of `item` for `l`.
template <class Emit>
void visit_features(const logistic_kt::learner& l, const kt_item& item, std::uint32_t skills,
                    std::uint32_t problems, Emit&& emit) {
  emit(bias, 1.0);
  emit(total_succ, std::log1p(l.succ));
  emit(total_fail, std::log1p(l.fail));
  if (l.ema_norm > 0) {
    emit(total_ema, l.ema / l.ema_norm - 0.5);
  } else {
    emit(first_attempt, 1.0);
  }
  emit(last_answer, l.last);
  const double k_inv = item.skills.empty() ? 0.0 : 1.0 / static_cast<double>(item.skills.size());
  double s_succ = 0, s_fail = 0, s_ema = 0, s_new = 0, s_gap = 0, s_last = 0, s_fresh = 0;
  const std::uint32_t base_one = dense_count;
  const std::uint32_t base_succ = base_one + skills;
  const std::uint32_t base_fail = base_succ + skills;
  const std::uint32_t base_ema = base_fail + skills;
  for (auto k : item.skills) {
    auto it = find_entry(l.skills, k, &logistic_kt::skill_entry::skill);
    const bool seen = it != l.skills.end() && it->skill == k;
    double succ = 0, fail = 0;
    if (seen) {
      succ = std::log1p(it->succ);
      fail = std::log1p(it->fail);
      const double ema = it->ema / it->ema_norm - 0.5;
      const double gap = static_cast<double>(l.attempts - it->last_attempt);
      s_succ += succ;
      s_fail += fail;
      s_ema += ema;
      s_gap += std::log(gap);
      s_fresh += ema / gap;
      s_last += it->last;
    } else {
      s_new += 1;
    }
    if (k < skills) {
      emit(base_one + k, 1.0);
      if (seen) {
        emit(base_succ + k, succ);
        emit(base_fail + k, fail);
        emit(base_ema + k, it->ema / it->ema_norm - 0.5);
      }
    }
  }
  emit(skill_succ, s_succ * k_inv);
  emit(skill_fail, s_fail * k_inv);
  emit(skill_ema, s_ema * k_inv);
  emit(skill_new, s_new * k_inv);
  emit(skill_gap, s_gap * k_inv);
  emit(skill_last, s_last * k_inv);
  emit(skill_ema_fresh, s_fresh * k_inv);
  auto pt = find_entry(l.problems, item.problem, &logistic_kt::problem_entry::problem);
  if (pt != l.problems.end() && pt->problem == item.problem) {
    emit(problem_succ, std::log1p(pt->succ));
    emit(problem_fail, std::log1p(pt->fail));
    emit(problem_seen, 1.0);
  }
  emit(item_skills, std::log(std::max<double>(1.0, static_cast<double>(item.skills.size()))));
  if (l.ability_norm > 0) {
    const double a = l.ability / l.ability_norm;
    emit(ability, a);
    emit(ability_count, a * std::log1p(static_cast<double>(l.attempts)));
  }
  if (item.problem < problems) {
    emit(base_ema + skills + item.problem, 1.0);
  }
}

} // namespace

double logistic_kt::predict(const learner& l, const kt_item& item) const noexcept {
  double z = 0;
  visit_features(l, item, skills_, problems_,
                 [&](std::uint32_t j, double v) { z += w_[static_cast<Eigen::Index>(j)] * v; });
  return 1 / (1 + std::exp(-z));
}

float logistic_kt::expected(const kt_item& item) const noexcept {
  if (item.problem < problem_mean_.size()) {
    return problem_mean_[item.problem];
  }
  float sum = 0;
  for (auto k : item.skills) {
    sum += k < skill_mean_.size() ? skill_mean_[k] : mean_;
  }
  return item.skills.empty() ? mean_ : sum / static_cast<float>(item.skills.size());
}

void logistic_kt::update(learner& l, const kt_item& item, bool correct) const {
  const float y = correct ? 1.0F : 0.0F;
  for (auto k : item.skills) {
    auto it = find_entry(l.skills, k, &skill_entry::skill);
    auto pos = l.skills.begin() + (it - l.skills.cbegin());
    if (it == l.skills.end() || it->skill != k) {
      pos = l.skills.insert(pos, skill_entry{k});
    }
    pos->succ += y;
    pos->fail += 1 - y;
    pos->ema = (1 - skill_rate) * pos->ema + skill_rate * y;
    pos->ema_norm = (1 - skill_rate) * pos->ema_norm + skill_rate;
    pos->last_attempt = l.attempts;
    pos->last = correct ? 1 : -1;
  }
  auto pt = find_entry(l.problems, item.problem, &problem_entry::problem);
  auto ppos = l.problems.begin() + (pt - l.problems.cbegin());
  if (pt == l.problems.end() || pt->problem != item.problem) {
    ppos = l.problems.insert(ppos, problem_entry{item.problem});
  }
  ppos->succ += y;
  ppos->fail += 1 - y;
  l.succ += y;
  l.fail += 1 - y;
  l.ema = (1 - total_rate) * l.ema + total_rate * y;
  l.ema_norm = (1 - total_rate) * l.ema_norm + total_rate;
  l.ability = (1 - ability_rate) * l.ability + ability_rate * (y - expected(item));
  l.ability_norm = (1 - ability_rate) * l.ability_norm + ability_rate;
  l.last = correct ? 1 : -1;
  ++l.attempts;
}

logistic_kt logistic_kt::fit(const kt_dataset& train, const logistic_kt_options& opt) {
  logistic_kt m(train.skill_count, train.problem_count);
  const auto cols = static_cast<Eigen::Index>(dense_count) + 4 * m.skills_ + m.problems_;
  // Mean correctness per skill and per problem (shrunk towards its skills' mean).
  {
    std::vector<double> ks(m.skills_), kn(m.skills_), ps(m.problems_), pn(m.problems_);
    std::vector<double> pk(m.problems_); // sum of skill means over the problem's rows
    double all = 0, n = 0;
    for (const auto& s : train.sequences) {
      for (std::size_t t = 0; t < s.correct.size(); ++t) {
        ks[s.skill[t]] += s.correct[t];
        kn[s.skill[t]] += 1;
        all += s.correct[t];
        n += 1;
      }
    }
    m.mean_ = static_cast<float>(n > 0 ? all / n : 0.5);
    m.skill_mean_.resize(m.skills_);
    for (std::uint32_t k = 0; k < m.skills_; ++k) {
      m.skill_mean_[k] = static_cast<float>((ks[k] + 2 * m.mean_) / (kn[k] + 2));
    }
    for (const auto& s : train.sequences) {
      for (const auto& a : group_attempts(s)) {
        for (std::uint32_t i = 0; i < a.row_count; ++i) {
          pk[a.problem] += m.skill_mean_[s.skill[a.first_row + i]] / a.row_count;
        }
        ps[a.problem] += a.correct ? 1 : 0;
        pn[a.problem] += 1;
      }
    }
    m.problem_mean_.assign(m.problems_, m.mean_);
    for (std::uint32_t q = 0; q < m.problems_; ++q) {
      if (pn[q] > 0) {
        const double prior = pk[q] / pn[q];
        m.problem_mean_[q]
            = static_cast<float>((ps[q] + problem_prior * prior) / (pn[q] + problem_prior));
      }
    }
  }
  // Replay every learner to build the design: one row per attempt, weighted by its rows.
  std::vector<Eigen::Triplet<double>> triplets;
  std::vector<double> ys;
  std::vector<double> ws;
  for (const auto& s : train.sequences) {
    learner l;
    const auto attempts = opt.group_attempts ? group_attempts(s) : row_attempts(s);
    for (const auto& a : attempts) {
      const auto row = static_cast<int>(ys.size());
      const auto item = item_of(s, a);
      visit_features(l, item, m.skills_, m.problems_, [&](std::uint32_t j, double v) {
        if (v != 0) {
          triplets.emplace_back(row, static_cast<int>(j), v);
        }
      });
      ys.push_back(a.correct ? 1.0 : 0.0);
      ws.push_back(static_cast<double>(a.row_count));
      m.update(l, item, a.correct);
    }
  }
  logistic_problem p;
  p.x.resize(static_cast<Eigen::Index>(ys.size()), cols);
  p.x.setFromTriplets(triplets.begin(), triplets.end());
  p.y = Eigen::Map<Eigen::VectorXd>(ys.data(), static_cast<Eigen::Index>(ys.size()));
  p.weight = Eigen::Map<Eigen::VectorXd>(ws.data(), static_cast<Eigen::Index>(ws.size()));
  p.l2 = Eigen::VectorXd::Constant(cols, opt.l2);
  p.l2[bias] = 0;
  p.l2.tail(m.problems_).setConstant(opt.l2_problem);
  m.w_ = fit_logistic(p, opt.max_iterations, 1e-7);
  return m;
}

} // namespace aia::model::learning
