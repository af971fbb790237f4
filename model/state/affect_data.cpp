// The affect CSV reader: a small RFC 4180 field splitter, columns found by header name.
#include "model/state/affect_data.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <optional>
#include <random>
#include <unordered_map>

namespace aia::model::state {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

enum column : std::size_t {
  c_user,
  c_weekday,
  c_daytime,
  c_stress,
  c_valence,
  c_arousal,
  c_n_traj,
  c_speed,
  c_accuracy,
  c_clicks,
  c_wheels,
  c_count
};

constexpr std::array<std::string_view, c_count> column_names{
    "user",   "weekday", "daytime",  "stress", "valence", "arousal",
    "n_traj", "speed",   "accuracy", "clicks", "wheels"};

/// Splits one CSV line; quoted fields may hold commas and doubled quotes. Nullopt on an
/// unterminated quote.
std::optional<std::vector<std::string>> split_csv(std::string_view line) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false;
  bool was_quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"' && field.empty() && !was_quoted) {
      quoted = true;
      was_quoted = true;
    } else if (c == ',') {
      out.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else {
      field += c;
    }
  }
  if (quoted) {
    return std::nullopt;
  }
  out.push_back(std::move(field));
  return out;
}

bool is_missing(std::string_view s) {
  return s.empty() || s == "NA" || s == "NaN" || s == "nan";
}

/// A number, NaN if missing; nullopt if malformed.
std::optional<double> parse_number(std::string_view s) {
  if (is_missing(s)) {
    return nan;
  }
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

std::optional<weekday> parse_weekday(std::string_view s) {
  constexpr std::array<std::string_view, 6> names{"Monday",   "Tuesday", "Wednesday",
                                                  "Thursday", "Friday",  "Weekend"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (s == names[i]) {
      return static_cast<weekday>(i);
    }
  }
  if (s == "Saturday" || s == "Sunday") {
    return weekday::weekend;
  }
  return std::nullopt;
}

} // namespace

std::string data_error::message() const {
  return line == 0 ? file + ": " + what : file + ":" + std::to_string(line) + ": " + what;
}

std::variant<affect_dataset, data_error> read_affect_csv(const std::string& path,
                                                         affect_filter filter) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return data_error{path, 0, "cannot open the file"};
  }
  return parse_affect_csv(in, path, filter);
}

std::variant<affect_dataset, data_error> parse_affect_csv(std::istream& in, std::string_view name,
                                                          affect_filter filter) {
  affect_dataset data;
  data.file = std::string{name};
  auto fail = [&](std::size_t line, std::string what) {
    return data_error{data.file, line, std::move(what)};
  };
  std::string line;
  std::size_t line_no = 0;
  // -- header: find every column by name
  std::array<std::size_t, c_count> index{};
  std::size_t width = 0;
  {
    if (!std::getline(in, line)) {
      return fail(1, "empty file, expected a header line");
    }
    line_no = 1;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    auto header = split_csv(line);
    if (!header) {
      return fail(1, "unterminated quote in the header");
    }
    width = header->size();
    for (std::size_t c = 0; c < c_count; ++c) {
      std::size_t found = width;
      for (std::size_t i = 0; i < width; ++i) {
        if ((*header)[i] == column_names[c]) {
          found = i;
        }
      }
      if (found == width) {
        return fail(1, "missing column '" + std::string{column_names[c]} + "'");
      }
      index[c] = found;
    }
  }
  // -- rows
  std::unordered_map<std::string, std::uint32_t> user_index;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (line.empty()) {
      continue;
    }
    auto fields = split_csv(line);
    if (!fields) {
      return fail(line_no, "unterminated quote");
    }
    if (fields->size() != width) {
      return fail(line_no, "expected " + std::to_string(width) + " fields, found "
                               + std::to_string(fields->size()));
    }
    auto field = [&](column c) -> const std::string& { return (*fields)[index[c]]; };
    std::array<double, c_count> num{};
    for (column c :
         {c_stress, c_valence, c_arousal, c_n_traj, c_speed, c_accuracy, c_clicks, c_wheels}) {
      auto v = parse_number(field(c));
      if (!v) {
        return fail(line_no, "column '" + std::string{column_names[c]} + "': not a number: '"
                                 + field(c) + "'");
      }
      num[c] = *v;
    }
    affect_record r;
    r.line = line_no;
    if (field(c_user).empty()) {
      return fail(line_no, "empty user");
    }
    auto day = parse_weekday(field(c_weekday));
    if (!day) {
      return fail(line_no, "column 'weekday': unknown day '" + field(c_weekday) + "'");
    }
    r.day = *day;
    if (field(c_daytime) != "morning" && field(c_daytime) != "afternoon") {
      return fail(line_no, "column 'daytime': expected morning or afternoon, found '"
                               + field(c_daytime) + "'");
    }
    r.afternoon = field(c_daytime) == "afternoon";
    if (num[c_stress] != 0 && num[c_stress] != 1) {
      return fail(line_no, "column 'stress': expected 0 or 1");
    }
    r.stress = num[c_stress] == 1;
    for (column c : {c_valence, c_arousal}) {
      if (!(num[c] >= 1 && num[c] <= 7)) {
        return fail(line_no, "column '" + std::string{column_names[c]} + "': expected 1..7");
      }
    }
    r.valence = num[c_valence];
    r.arousal = num[c_arousal];
    r.trajectories = num[c_n_traj];
    r.speed = num[c_speed];
    r.accuracy = num[c_accuracy];
    r.clicks = num[c_clicks];
    r.wheels = num[c_wheels];
    // -- the paper's filter; a user is listed only once one of their rows is kept
    if (filter.min_trajectories > 0 && !(r.trajectories >= filter.min_trajectories)) {
      continue;
    }
    if (filter.require_speed && std::isnan(r.speed)) {
      continue;
    }
    auto [it, added]
        = user_index.try_emplace(field(c_user), static_cast<std::uint32_t>(data.users.size()));
    if (added) {
      data.users.push_back(field(c_user));
    }
    r.user = it->second;
    data.rows.push_back(r);
  }
  if (in.bad()) {
    return fail(line_no, "read error");
  }
  return data;
}

std::vector<std::vector<std::size_t>> rows_by_user(const affect_dataset& data) {
  std::vector<std::vector<std::size_t>> out(data.users.size());
  for (std::size_t i = 0; i < data.rows.size(); ++i) {
    out[data.rows[i].user].push_back(i);
  }
  return out;
}

std::vector<std::vector<std::size_t>> group_folds(const affect_dataset& data,
                                                  std::span<const std::size_t> rows, unsigned folds,
                                                  std::uint64_t seed) {
  // Users in order of first appearance among `rows`, then a Fisher-Yates shuffle driven by
  // mt19937_64 directly (std::shuffle's algorithm differs between standard libraries).
  std::vector<std::uint32_t> users;
  std::vector<int> fold_of(data.users.size(), -1);
  for (auto i : rows) {
    auto u = data.rows[i].user;
    if (fold_of[u] == -1) {
      fold_of[u] = 0;
      users.push_back(u);
    }
  }
  std::mt19937_64 rng{seed};
  for (std::size_t i = users.size(); i > 1; --i) {
    std::swap(users[i - 1], users[rng() % i]);
  }
  std::size_t k = folds == 0 ? users.size() : std::min<std::size_t>(folds, users.size());
  for (std::size_t j = 0; j < users.size(); ++j) {
    fold_of[users[j]] = static_cast<int>(j % k);
  }
  std::vector<std::vector<std::size_t>> out(k);
  for (auto i : rows) {
    out[static_cast<std::size_t>(fold_of[data.rows[i].user])].push_back(i);
  }
  return out;
}

} // namespace aia::model::state
