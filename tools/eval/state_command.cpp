// `aia-eval state`: the user-state models (stress, valence, arousal) under leave-users-out
// cross-validation on labelled mouse data, beside their baselines, and the gain from feedback.
#include "model/state/affect_data.hpp"
#include "model/state/affect_models.hpp"
#include "model/state/cross_validation.hpp"
#include "tools/eval/commands.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

namespace aia::tools {

namespace {

using namespace aia::model::state;

constexpr const char* state_usage
    = "usage: aia-eval state --data FILE [--folds N] [--seed S] [--bootstrap B] [--json [FILE]]\n"
      "  --data FILE    the affect CSV (shared/data/affect/banholzer2021_mouse_stress.csv)\n"
      "  --folds N      outer folds grouped by user (default 10; 0 = leave one user out)\n"
      "  --seed S       seed of the user shuffles and the bootstrap (default 1)\n"
      "  --bootstrap B  user resamples for the 95% intervals (default 1000; 0 = none)\n"
      "  --json [FILE]  also write the figures as JSON (to stdout after the table without FILE)\n";

/// A number for JSON: null when not finite.
std::string num(double v) {
  if (!std::isfinite(v)) {
    return "null";
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    if (static_cast<unsigned char>(c) >= 0x20) {
      out += c;
    }
  }
  return out;
}

std::string json_binary(const binary_scores& s) {
  std::string out = "{\"auc\":";
  out += num(s.auc);
  out += ",\"brier\":";
  out += num(s.brier);
  out += ",\"ece\":";
  out += num(s.ece);
  out += ",\"log_loss\":";
  out += num(s.log_loss);
  return out + "}";
}

std::string json_regression(const regression_scores& s) {
  std::string out = "{\"mae\":";
  out += num(s.mae);
  out += ",\"rmse\":";
  out += num(s.rmse);
  return out + "}";
}

std::string json_interval(const interval& i) {
  std::string out = "[";
  out += num(i.lo);
  out += ",";
  out += num(i.hi);
  return out + "]";
}

std::string json_summary(const affect_fit_summary& s) {
  std::ostringstream o;
  o << "{\"lambda\":" << num(s.lambda) << ",\"platt_scale\":" << num(s.platt_scale)
    << ",\"platt_shift\":" << num(s.platt_shift) << ",\"offset_std\":" << num(s.offset_std)
    << ",\"noise_std\":" << num(s.noise_std) << ",\"intercept\":" << num(s.intercept)
    << ",\"coefficients\":{";
  for (std::size_t i = 0; i < s.coefficients.size(); ++i) {
    o << (i ? ",\"" : "\"") << s.coefficients[i].first << "\":" << num(s.coefficients[i].second);
  }
  o << "}}";
  return o.str();
}

std::string to_json(const affect_dataset& data, const cv_config& cfg, const state_evaluation& e,
                    const std::vector<affect_fit_summary>& fits) {
  const auto& s = e.stress;
  std::ostringstream o;
  o << "{\"command\":\"state\",\"data\":\"" << escaped(data.file) << "\",\"rows\":" << s.rows
    << ",\"users\":" << s.users << ",\"folds\":" << e.folds << ",\"seed\":" << cfg.seed
    << ",\"bootstrap\":" << cfg.bootstrap << ",\"stress\":{\"base_rate\":" << num(s.base_rate)
    << ",\"model\":" << json_binary(s.model) << ",\"baseline\":" << json_binary(s.baseline)
    << ",\"auc_ci95\":" << json_interval(s.auc_ci) << ",\"fold_auc\":" << num(s.fold_auc)
    << ",\"brier_gain_ci95\":" << json_interval(s.brier_gain_ci)
    << ",\"within_person_auc\":" << num(s.within_person_auc)
    << ",\"within_person_users\":" << s.within_users
    << ",\"mean_logit_std\":" << num(s.mean_latent_std) << "}";
  for (const auto* r : {&e.valence, &e.arousal}) {
    o << ",\"" << to_string(r->target) << "\":{\"model\":" << json_regression(r->model)
      << ",\"baseline\":" << json_regression(r->baseline)
      << ",\"mae_gain_ci95\":" << json_interval(r->mae_gain_ci)
      << ",\"coverage90\":" << num(r->coverage90) << "}";
  }
  o << ",\"feedback\":{\"users\":" << e.feedback.users << ",\"rows\":" << e.feedback.rows
    << ",\"by_k\":[";
  for (std::size_t i = 0; i < e.feedback.by_k.size(); ++i) {
    const auto& r = e.feedback.by_k[i];
    o << (i ? "," : "") << "{\"k\":" << r.k << ",\"stress\":" << json_binary(r.stress)
      << ",\"stress_personal\":" << json_binary(r.stress_personal)
      << ",\"valence\":" << json_regression(r.valence)
      << ",\"valence_personal\":" << json_regression(r.valence_personal)
      << ",\"arousal\":" << json_regression(r.arousal)
      << ",\"arousal_personal\":" << json_regression(r.arousal_personal) << "}";
  }
  o << "]},\"fit_on_all_rows\":{";
  for (std::size_t t = 0; t < fits.size(); ++t) {
    std::string name
        = t < 3 ? std::string{to_string(static_cast<affect_target>(t))} : "stress_lambda_1";
    o << (t ? "," : "") << "\"" << name << "\":" << json_summary(fits[t]);
  }
  o << "}}\n";
  return o.str();
}

/// "lo..hi", or "n/a" without a bootstrap.
std::string range(const interval& i, const char* fmt) {
  if (!std::isfinite(i.lo) || !std::isfinite(i.hi)) {
    return "n/a";
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, i.lo, i.hi);
  return buf;
}

void print_table(const state_evaluation& e, const std::vector<affect_fit_summary>& fits) {
  const auto& s = e.stress;
  std::printf("user state, leave-users-out CV: %zu recordings, %zu people, %u folds, stress rate "
              "%.3f\n\n",
              s.rows, s.users, e.folds, s.base_rate);
  std::printf("%-9s %-22s %8s %8s %8s %8s\n", "target", "model", "AUC", "Brier", "ECE", "logloss");
  std::printf("%-9s %-22s %8.3f %8.4f %8.4f %8.4f\n", "stress", "logistic (calibrated)",
              s.model.auc, s.model.brier, s.model.ece, s.model.log_loss);
  std::printf("%-9s %-22s %8.3f %8.4f %8.4f %8.4f\n", "stress", "base rate", s.baseline.auc,
              s.baseline.brier, s.baseline.ece, s.baseline.log_loss);
  std::printf("  pooled AUC 95%% interval (users resampled) %s; mean AUC per fold %.3f "
              "(base rate: 0.5)\n  Brier gain over the base rate, 95%% interval %s\n",
              range(s.auc_ci, "%.3f..%.3f").c_str(), s.fold_auc,
              range(s.brier_gain_ci, "%.4f..%.4f").c_str());
  std::printf("  within-person AUC %.3f (mean over %zu people with both classes); mean logit "
              "std %.3f\n\n",
              s.within_person_auc, s.within_users, s.mean_latent_std);
  std::printf("%-9s %-22s %8s %8s %16s %8s\n", "target", "model", "MAE", "RMSE", "MAE gain 95%",
              "cov90");
  for (const auto* r : {&e.valence, &e.arousal}) {
    std::string name{to_string(r->target)};
    std::printf("%-9s %-22s %8.3f %8.3f %16s %8.3f\n", name.c_str(), "ridge", r->model.mae,
                r->model.rmse, range(r->mae_gain_ci, "%.3f..%.3f").c_str(), r->coverage90);
    std::printf("%-9s %-22s %8.3f %8.3f\n", name.c_str(), "training mean", r->baseline.mae,
                r->baseline.rmse);
  }
  std::printf("\nafter k labels of the person (%zu people with more labels than the largest k, "
              "scored on their %zu later recordings);\n'personal' = no mouse features, the "
              "same per-user offset\n",
              e.feedback.users, e.feedback.rows);
  std::printf("%4s %8s %8s %9s %9s %8s %9s %8s %9s\n", "k", "AUC", "Brier", "AUC pers",
              "Brier pers", "val MAE", "val pers", "aro MAE", "aro pers");
  for (const auto& r : e.feedback.by_k) {
    std::printf("%4u %8.3f %8.4f %9.3f %9.4f %8.3f %9.3f %8.3f %9.3f\n", r.k, r.stress.auc,
                r.stress.brier, r.stress_personal.auc, r.stress_personal.brier, r.valence.mae,
                r.valence_personal.mae, r.arousal.mae, r.arousal_personal.mae);
  }
  std::printf("\nfit on all rows (standardized coefficients; lambda chosen by inner grouped CV)\n");
  for (std::size_t t = 0; t < fits.size(); ++t) {
    const auto& f = fits[t];
    std::string name = t < 3 ? std::string{to_string(static_cast<affect_target>(t))} : "stress";
    std::printf("%-8s lambda %g, user offset std %.3f%s:", name.c_str(), f.lambda, f.offset_std,
                t == 0 || t == 3 ? " (logit)" : "");
    for (const auto& [n, w] : f.coefficients) {
      std::printf(" %s %+.3f", n.c_str(), w);
    }
    std::printf("\n");
  }
}

bool parse_count(const std::string& s, unsigned long long& out) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 18) {
    return false;
  }
  out = std::stoull(s);
  return true;
}

} // namespace

int state_command(const std::vector<std::string>& args) {
  std::string data_path, json_path;
  bool json = false;
  cv_config cfg;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    bool has_value = i + 1 < args.size();
    unsigned long long v = 0;
    if (a == "--help" || a == "-h") {
      std::fputs(state_usage, stdout);
      return 0;
    } else if (a == "--data" && has_value) {
      data_path = args[++i];
    } else if ((a == "--folds" || a == "--seed" || a == "--bootstrap") && has_value
               && parse_count(args[i + 1], v)) {
      ++i;
      if (a == "--folds") {
        cfg.folds = static_cast<unsigned>(v);
      } else if (a == "--seed") {
        cfg.seed = v;
      } else {
        cfg.bootstrap = static_cast<unsigned>(v);
      }
    } else if (a == "--json") {
      json = true;
      if (has_value && args[i + 1].rfind("--", 0) != 0) {
        json_path = args[++i];
      }
    } else {
      std::fprintf(stderr, "aia-eval state: bad argument '%s'\n%s", a.c_str(), state_usage);
      return 2;
    }
  }
  if (data_path.empty()) {
    std::fprintf(stderr, "aia-eval state: --data is required\n%s", state_usage);
    return 2;
  }
  auto read = read_affect_csv(data_path);
  if (const auto* err = std::get_if<data_error>(&read)) {
    std::fprintf(stderr, "%s\n", err->message().c_str());
    return 1;
  }
  const auto& data = std::get<affect_dataset>(read);
  if (data.users.size() < 2) {
    std::fprintf(stderr, "%s: fewer than 2 people after filtering, nothing to cross-validate\n",
                 data_path.c_str());
    return 1;
  }
  auto eval = evaluate_state(data, cfg);
  // the models fitted on every row, for their coefficients
  std::vector<std::size_t> all(data.rows.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    all[i] = i;
  }
  std::vector<affect_fit_summary> fits;
  for (auto t : {affect_target::stress, affect_target::valence, affect_target::arousal}) {
    auto m = make_affect_model(t, cfg.model);
    m->fit(data, all);
    fits.push_back(m->summary());
  }
  // the stress model with light regularization, to compare its coefficients with the paper's
  auto light = cfg.model;
  light.lambdas = {1};
  auto m = make_affect_model(affect_target::stress, light);
  m->fit(data, all);
  fits.push_back(m->summary());
  print_table(eval, fits);
  if (json) {
    auto text = to_json(data, cfg, eval, fits);
    if (json_path.empty()) {
      std::fputs(text.c_str(), stdout);
    } else {
      std::ofstream out(json_path);
      out << text;
      if (!out) {
        std::fprintf(stderr, "%s: cannot write the JSON\n", json_path.c_str());
        return 1;
      }
    }
  }
  return 0;
}

} // namespace aia::tools
