// `aia-eval kt`: knowledge-tracing models (BKT, logistic) on AKT-format response logs, one split
// or the 5-fold protocol of Ghosh et al. (KDD 2020), with AUC, RMSE, log-loss, accuracy and the
// cost of one prediction and one update.
#include "model/learning/bkt.hpp"
#include "model/learning/kt_data.hpp"
#include "model/learning/kt_metrics.hpp"
#include "model/learning/logistic_kt.hpp"
#include "tools/eval/commands.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace aia::tools {

namespace {

using namespace aia::model::learning;
using clock_type = std::chrono::steady_clock;

constexpr const char* kt_usage
    = "usage: aia-eval kt [--format akt|akt-pid|akt-q] --train F... --test F... [--valid F...]\n"
      "       aia-eval kt [--format ...] --folds DIR --prefix NAME\n"
      "options:\n"
      "  --models LIST    comma-separated of bkt, bktf (BKT with forgetting), lr (default bkt,lr)\n"
      "  --folds DIR      5-fold protocol: fold k tests on NAME_test{k}.csv, validates on\n"
      "                   NAME_test{k%5+1}.csv, trains on the other three plus NAME_trainonly.csv\n"
      "  --fold K         run only fold K (1..5) of --folds\n"
      "  --ungrouped      score the rows one by one: a multi-skill answer stored as k rows then\n"
      "                   reveals itself to the later rows (the raw files' protocol; leaks)\n"
      "  --l2 X           L2 of the logistic model's weights (default 1e-6)\n"
      "  --l2-problem L   comma-separated L2 grid for its problem difficulties, chosen on the\n"
      "                   validation file (default 3e-6,1e-5,3e-5; the middle one without "
      "--valid)\n"
      "  --json [FILE]    also write the figures as JSON (stdout without FILE)\n"
      "  --export-bkt F   write the per-skill BKT parameters fitted on --train (the first of\n"
      "                   bkt, bktf in --models) as a learning catalogue's \"skills\" for the\n"
      "                   node's learning.catalog_file; skill ids as in the files\n";

struct options {
  akt_format format = akt_format::detect;
  std::vector<std::string> train, test, valid;
  std::string folds_dir, prefix;
  int only_fold = 0;
  std::vector<std::string> models{"bkt", "lr"};
  bool grouped = true;
  double l2 = 1e-6;
  std::vector<double> l2_problem{3e-6, 1e-5, 3e-5};
  bool json = false;
  std::string json_file;
  std::string export_bkt;  ///< file for the fitted per-skill BKT parameters
};

struct bad_usage : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, ',')) {
    if (!part.empty()) {
      out.push_back(part);
    }
  }
  return out;
}

double to_double(const std::string& s, const std::string& flag) {
  try {
    std::size_t used = 0;
    const double v = std::stod(s, &used);
    if (used == s.size() && v >= 0 && std::isfinite(v)) {
      return v;
    }
  } catch (const std::exception&) {
  }
  throw bad_usage(flag + ": expected a non-negative number, got '" + s + "'");
}

options parse(const std::vector<std::string>& args) {
  options o;
  auto is_flag = [](const std::string& s) { return s.rfind("--", 0) == 0; };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size() || is_flag(args[i + 1])) {
        throw bad_usage(a + " needs a value");
      }
      return args[++i];
    };
    auto files = [&](std::vector<std::string>& out) {
      while (i + 1 < args.size() && !is_flag(args[i + 1])) {
        out.push_back(args[++i]);
      }
      if (out.empty()) {
        throw bad_usage(a + " needs at least one file");
      }
    };
    if (a == "--format") {
      const auto& v = value();
      if (v == "akt") {
        o.format = akt_format::detect;
      } else if (v == "akt-pid") {
        o.format = akt_format::pid;
      } else if (v == "akt-q") {
        o.format = akt_format::q;
      } else {
        throw bad_usage("--format: expected akt, akt-pid or akt-q, got '" + v + "'");
      }
    } else if (a == "--train") {
      files(o.train);
    } else if (a == "--test") {
      files(o.test);
    } else if (a == "--valid") {
      files(o.valid);
    } else if (a == "--folds") {
      o.folds_dir = value();
    } else if (a == "--prefix") {
      o.prefix = value();
    } else if (a == "--fold") {
      const auto& v = value();
      o.only_fold = v.size() == 1 && v[0] >= '1' && v[0] <= '5' ? v[0] - '0' : 0;
      if (o.only_fold == 0) {
        throw bad_usage("--fold: expected 1..5, got '" + v + "'");
      }
    } else if (a == "--models") {
      o.models = split(value());
      for (const auto& m : o.models) {
        if (m != "bkt" && m != "bktf" && m != "lr") {
          throw bad_usage("--models: unknown model '" + m + "' (bkt, bktf, lr)");
        }
      }
    } else if (a == "--ungrouped") {
      o.grouped = false;
    } else if (a == "--l2") {
      o.l2 = to_double(value(), a);
    } else if (a == "--l2-problem") {
      o.l2_problem.clear();
      for (const auto& v : split(value())) {
        o.l2_problem.push_back(to_double(v, a));
      }
      if (o.l2_problem.empty()) {
        throw bad_usage("--l2-problem: empty grid");
      }
    } else if (a == "--export-bkt") {
      o.export_bkt = value();
    } else if (a == "--json") {
      o.json = true;
      if (i + 1 < args.size() && !is_flag(args[i + 1])) {
        o.json_file = args[++i];
      }
    } else {
      throw bad_usage("unknown option '" + a + "'");
    }
  }
  const bool folds = !o.folds_dir.empty();
  if (folds == (!o.train.empty() || !o.test.empty())) {
    throw bad_usage("give either --folds DIR --prefix NAME or --train F... --test F...");
  }
  if (folds && o.prefix.empty()) {
    throw bad_usage("--folds needs --prefix");
  }
  if (!folds && (o.train.empty() || o.test.empty())) {
    throw bad_usage("--train and --test both need files");
  }
  if (!o.export_bkt.empty()) {
    if (folds) {
      throw bad_usage("--export-bkt exports one fit: give --train F... --test F..., not --folds");
    }
    if (std::find(o.models.begin(), o.models.end(), "bkt") == o.models.end()
        && std::find(o.models.begin(), o.models.end(), "bktf") == o.models.end()) {
      throw bad_usage("--export-bkt needs bkt or bktf in --models");
    }
  }
  return o;
}

// -- one split ----------------------------------------------------------------------------------

struct split_files {
  int fold = 0;
  std::vector<std::string> train, valid, test;
};

struct model_result {
  kt_scores test;
  double valid_auc = std::nan("");
  double predict_ns = 0;
  double update_ns = 0;
  double fit_s = 0;
  double l2_problem = std::nan("");
};

struct split_result {
  int fold = 0;
  std::size_t train_rows = 0, test_rows = 0, test_attempts = 0;
  std::map<std::string, model_result> models;
};

kt_dataset load(const std::vector<std::string>& files, akt_format f) {
  kt_dataset d;
  for (const auto& path : files) {
    auto r = read_akt(path, f);
    if (!r.ok()) {
      throw std::runtime_error(r.error);
    }
    d.append(std::move(r.data));
  }
  return d;
}

struct replay {
  std::vector<double> p;
  std::vector<std::uint8_t> y;
  std::size_t attempts = 0;
  double predict_ns = 0, update_ns = 0;
};

/// Scores every row of `d` online: each attempt is predicted from the learner's earlier attempts,
/// then folded in. All rows of one attempt get that attempt's prediction.
template <class Model>
replay run(const Model& m, const kt_dataset& d, bool grouped, bool timed) {
  replay r;
  r.p.reserve(d.responses());
  r.y.reserve(d.responses());
  std::chrono::nanoseconds t_predict{0}, t_update{0};
  for (const auto& s : d.sequences) {
    typename Model::learner l;
    for (const auto& a : grouped ? group_attempts(s) : row_attempts(s)) {
      const auto item = item_of(s, a);
      const auto t0 = timed ? clock_type::now() : clock_type::time_point{};
      const double p = m.predict(l, item);
      const auto t1 = timed ? clock_type::now() : clock_type::time_point{};
      m.update(l, item, a.correct);
      if (timed) {
        const auto t2 = clock_type::now();
        t_predict += t1 - t0;
        t_update += t2 - t1;
      }
      for (std::uint32_t i = 0; i < a.row_count; ++i) {
        r.p.push_back(p);
        r.y.push_back(s.correct[a.first_row + i]);
      }
      ++r.attempts;
    }
  }
  if (r.attempts > 0) {
    r.predict_ns = static_cast<double>(t_predict.count()) / static_cast<double>(r.attempts);
    r.update_ns = static_cast<double>(t_update.count()) / static_cast<double>(r.attempts);
  }
  return r;
}

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

template <class Model>
void finish(model_result& res, const Model& m, const kt_dataset& test, bool grouped) {
  const auto r = run(m, test, grouped, true);
  res.test = score(r.p, r.y);
  res.predict_ns = r.predict_ns;
  res.update_ns = r.update_ns;
}

/// Writes `{"skills":[{"id","bkt":{...}}]}` for every skill `train` answers, in id order: the
/// form of a learning catalogue's skills (runtime/learning_catalog.hpp).
void export_bkt(const std::string& file, const bkt_model& m, const kt_dataset& train) {
  std::vector<bool> seen(train.skill_count, false);
  for (const auto& s : train.sequences) {
    for (auto k : s.skill) {
      if (k < seen.size()) {
        seen[k] = true;
      }
    }
  }
  std::string j = "{\"skills\":[";
  bool first = true;
  char buf[256];
  for (std::uint32_t k = 0; k < seen.size(); ++k) {
    if (!seen[k]) {
      continue;
    }
    const auto& p = m.params(k);
    std::snprintf(buf, sizeof buf,
                  "%s\n  {\"id\":\"%u\",\"bkt\":{\"init\":%.6g,\"learn\":%.6g,\"guess\":%.6g,"
                  "\"slip\":%.6g,\"forget\":%.6g}}",
                  first ? "" : ",", k, p.init, p.learn, p.guess, p.slip, p.forget);
    j += buf;
    first = false;
  }
  j += "\n]}\n";
  std::ofstream out(file);
  out << j;
  if (!out) {
    throw std::runtime_error(file + ": cannot write");
  }
}

split_result run_split(const options& o, const split_files& f) {
  split_result out;
  bool exported = false;
  out.fold = f.fold;
  const auto train = load(f.train, o.format);
  const auto test = load(f.test, o.format);
  const auto valid = f.valid.empty() ? kt_dataset{} : load(f.valid, o.format);
  out.train_rows = train.responses();
  out.test_rows = test.responses();
  for (const auto& s : test.sequences) {
    out.test_attempts += o.grouped ? group_attempts(s).size() : s.correct.size();
  }
  for (const auto& name : o.models) {
    model_result res;
    const auto t0 = clock_type::now();
    if (name == "bkt" || name == "bktf") {
      bkt_fit_options fo;
      fo.forgetting = name == "bktf";
      const auto m = bkt_model::fit(train, fo);
      res.fit_s = seconds_since(t0);
      if (!o.export_bkt.empty() && !exported) {
        export_bkt(o.export_bkt, m, train);
        exported = true;
      }
      if (!valid.sequences.empty()) {
        const auto v = run(m, valid, o.grouped, false);
        res.valid_auc = auc(v.p, v.y);
      }
      finish(res, m, test, o.grouped);
    } else {
      // The problem L2 is chosen on the validation file only; the test file is scored once.
      logistic_kt best;
      double best_auc = -1;
      const auto grid = valid.sequences.empty()
                            ? std::vector<double>{o.l2_problem[o.l2_problem.size() / 2]}
                            : o.l2_problem;
      for (double l2p : grid) {
        logistic_kt_options lo;
        lo.l2 = o.l2;
        lo.l2_problem = l2p;
        lo.group_attempts = o.grouped;
        auto m = logistic_kt::fit(train, lo);
        double a = 0;
        if (!valid.sequences.empty()) {
          const auto v = run(m, valid, o.grouped, false);
          a = auc(v.p, v.y);
          std::fprintf(stderr, "  fold %d lr l2_problem %g: valid AUC %.4f\n", f.fold, l2p, a);
        }
        if (a > best_auc) {
          best_auc = a;
          best = std::move(m);
          res.l2_problem = l2p;
          res.valid_auc = valid.sequences.empty() ? std::nan("") : a;
        }
      }
      res.fit_s = seconds_since(t0);
      finish(res, best, test, o.grouped);
    }
    std::fprintf(stderr, "  fold %d %s: test AUC %.4f (fit %.1f s)\n", f.fold, name.c_str(),
                 res.test.auc, res.fit_s);
    out.models[name] = res;
  }
  return out;
}

// -- output -------------------------------------------------------------------------------------

std::string json_number(double v) {
  if (!std::isfinite(v)) {
    return "null";
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

std::string json_model(const model_result& m) {
  return "{\"auc\":" + json_number(m.test.auc) + ",\"rmse\":" + json_number(m.test.rmse)
         + ",\"log_loss\":" + json_number(m.test.log_loss) + ",\"accuracy\":"
         + json_number(m.test.accuracy) + ",\"valid_auc\":" + json_number(m.valid_auc)
         + ",\"predict_ns\":" + json_number(m.predict_ns)
         + ",\"update_ns\":" + json_number(m.update_ns) + ",\"fit_s\":" + json_number(m.fit_s)
         + ",\"l2_problem\":" + json_number(m.l2_problem) + "}";
}

model_result mean_of(const std::vector<split_result>& rs, const std::string& name) {
  model_result m;
  m.valid_auc = 0;
  m.l2_problem = std::nan("");
  for (const auto& r : rs) {
    const auto& x = r.models.at(name);
    m.test.auc += x.test.auc;
    m.test.rmse += x.test.rmse;
    m.test.log_loss += x.test.log_loss;
    m.test.accuracy += x.test.accuracy;
    m.test.count += x.test.count;
    m.valid_auc += x.valid_auc;
    m.predict_ns += x.predict_ns;
    m.update_ns += x.update_ns;
    m.fit_s += x.fit_s;
  }
  const auto n = static_cast<double>(rs.size());
  m.test.auc /= n;
  m.test.rmse /= n;
  m.test.log_loss /= n;
  m.test.accuracy /= n;
  m.valid_auc /= n;
  m.predict_ns /= n;
  m.update_ns /= n;
  m.fit_s /= n;
  return m;
}

void print_row(const std::string& fold, const std::string& name, const model_result& m) {
  std::printf("%-5s %-5s %7.4f %7.4f %8.4f %7.4f %7.4f %9.0f %9.0f %7.1f\n", fold.c_str(),
              name.c_str(), m.test.auc, m.test.rmse, m.test.log_loss, m.test.accuracy, m.valid_auc,
              m.predict_ns, m.update_ns, m.fit_s);
}

void report(const options& o, const std::vector<split_result>& rs) {
  std::printf("knowledge tracing, %s, %s\n",
              o.folds_dir.empty() ? "given split" : (o.folds_dir + " / " + o.prefix).c_str(),
              o.grouped ? "multi-skill rows scored as one attempt" : "rows scored one by one");
  std::printf("%-5s %-5s %7s %7s %8s %7s %7s %9s %9s %7s\n", "fold", "model", "AUC", "RMSE",
              "logloss", "acc", "vAUC", "pred_ns", "upd_ns", "fit_s");
  for (const auto& r : rs) {
    for (const auto& name : o.models) {
      print_row(std::to_string(r.fold), name, r.models.at(name));
    }
  }
  if (rs.size() > 1) {
    for (const auto& name : o.models) {
      print_row("mean", name, mean_of(rs, name));
    }
  }
  if (!o.json) {
    return;
  }
  std::string j = "{\"dataset\":"
                  + json_string(o.folds_dir.empty() ? "given split" : o.folds_dir + "/" + o.prefix)
                  + ",\"grouped\":" + (o.grouped ? "true" : "false") + ",\"folds\":[";
  for (std::size_t i = 0; i < rs.size(); ++i) {
    const auto& r = rs[i];
    j += (i ? "," : "") + std::string("{\"fold\":") + std::to_string(r.fold) + ",\"train_rows\":"
         + std::to_string(r.train_rows) + ",\"test_rows\":" + std::to_string(r.test_rows)
         + ",\"test_attempts\":" + std::to_string(r.test_attempts) + ",\"models\":{";
    bool first = true;
    for (const auto& name : o.models) {
      j += (first ? "" : ",") + json_string(name) + ":" + json_model(r.models.at(name));
      first = false;
    }
    j += "}}";
  }
  j += "],\"mean\":{";
  bool first = true;
  for (const auto& name : o.models) {
    j += (first ? "" : ",") + json_string(name) + ":" + json_model(mean_of(rs, name));
    first = false;
  }
  j += "}}\n";
  if (o.json_file.empty()) {
    std::fputs(j.c_str(), stdout);
  } else {
    std::ofstream out(o.json_file);
    out << j;
    if (!out) {
      throw std::runtime_error(o.json_file + ": cannot write");
    }
  }
}

} // namespace

int kt_command(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs(kt_usage, stdout);
      return 0;
    }
  }
  options o;
  try {
    o = parse(args);
  } catch (const bad_usage& e) {
    std::fprintf(stderr, "aia-eval kt: %s\n%s", e.what(), kt_usage);
    return 2;
  }
  std::vector<split_files> splits;
  if (o.folds_dir.empty()) {
    splits.push_back({1, o.train, o.valid, o.test});
  } else {
    auto file = [&](const std::string& suffix) {
      return o.folds_dir + "/" + o.prefix + "_" + suffix + ".csv";
    };
    for (int k = 1; k <= 5; ++k) {
      if (o.only_fold != 0 && k != o.only_fold) {
        continue;
      }
      split_files f;
      f.fold = k;
      f.test = {file("test" + std::to_string(k))};
      const int v = k % 5 + 1;
      f.valid = {file("test" + std::to_string(v))};
      for (int t = 1; t <= 5; ++t) {
        if (t != k && t != v) {
          f.train.push_back(file("test" + std::to_string(t)));
        }
      }
      f.train.push_back(file("trainonly"));
      splits.push_back(std::move(f));
    }
  }
  std::vector<split_result> results;
  try {
    for (const auto& f : splits) {
      results.push_back(run_split(o, f));
    }
    report(o, results);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aia-eval kt: %s\n", e.what());
    return 1;
  }
  return 0;
}

} // namespace aia::tools
