// The AKT-format reader and the grouping of rows into attempts.
#include "model/learning/kt_data.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <istream>
#include <optional>
#include <string_view>

namespace aia::model::learning {

std::size_t kt_dataset::responses() const noexcept {
  std::size_t n = 0;
  for (const auto& s : sequences) {
    n += s.correct.size();
  }
  return n;
}

void kt_dataset::append(kt_dataset&& other) {
  problem_count = std::max(problem_count, other.problem_count);
  skill_count = std::max(skill_count, other.skill_count);
  sequences.insert(sequences.end(), std::make_move_iterator(other.sequences.begin()),
                   std::make_move_iterator(other.sequences.end()));
}

namespace {

/// Reads non-blank lines and remembers their numbers.
class line_reader {
public:
  explicit line_reader(std::istream& in) : in_(in) {}

  /// The next non-blank line (without '\r'), or nullopt at the end of the input.
  std::optional<std::string_view> next() {
    while (std::getline(in_, line_)) {
      ++number_;
      if (!line_.empty() && line_.back() == '\r') {
        line_.pop_back();
      }
      if (line_.find_first_not_of(" \t") != std::string::npos) {
        return std::string_view{line_};
      }
    }
    return std::nullopt;
  }

  [[nodiscard]] std::size_t number() const noexcept { return number_; }

private:
  std::istream& in_;
  std::string line_;
  std::size_t number_ = 0;
};

/// Splits a line of comma-separated non-negative integers; a trailing comma is allowed.
bool parse_integers(std::string_view line, std::vector<std::uint64_t>& out) {
  out.clear();
  std::size_t pos = 0;
  while (pos < line.size()) {
    auto end = line.find(',', pos);
    if (end == std::string_view::npos) {
      end = line.size();
    }
    auto field = line.substr(pos, end - pos);
    while (!field.empty() && (field.front() == ' ' || field.front() == '\t')) {
      field.remove_prefix(1);
    }
    while (!field.empty() && (field.back() == ' ' || field.back() == '\t')) {
      field.remove_suffix(1);
    }
    std::uint64_t v = 0;
    const auto* first = field.data();
    const auto* last = field.data() + field.size();
    auto [ptr, ec] = std::from_chars(first, last, v);
    if (field.empty() || ec != std::errc{} || ptr != last) {
      return false;
    }
    out.push_back(v);
    pos = end + 1;
    if (end + 1 == line.size()) {
      break; // trailing comma
    }
  }
  return !out.empty();
}

std::string where(const std::string& name, std::size_t line) {
  return name + ":" + std::to_string(line) + ": ";
}

} // namespace

kt_read_result parse_akt(std::istream& in, const std::string& name, akt_format format) {
  kt_read_result r;
  line_reader lines{in};
  std::vector<std::uint64_t> header;
  std::vector<std::uint64_t> ids;
  std::vector<std::uint64_t> skills;
  std::vector<std::uint64_t> correct;
  static constexpr std::uint64_t max_id = 100'000'000;
  std::uint64_t block = 0;

  // Reads the next line of the block that started at `start` as integers into `out`.
  auto read_line = [&](std::size_t start, const char* what, std::vector<std::uint64_t>& out) {
    auto line = lines.next();
    if (!line) {
      r.error = name + ": the block starting at line " + std::to_string(start) + " has no " + what
                + " line (unexpected end of file)";
      return false;
    }
    if (!parse_integers(*line, out)) {
      r.error = where(name, lines.number()) + "expected comma-separated integers (" + what + ")";
      return false;
    }
    return true;
  };

  while (auto first = lines.next()) {
    const auto start = lines.number();
    if (!parse_integers(*first, header)) {
      r.error = where(name, start) + "expected 1 or 2 comma-separated integers (block header)";
      return r;
    }
    if (format == akt_format::detect) {
      format = header.size() == 2 ? akt_format::pid : akt_format::q;
    }
    const std::size_t want = format == akt_format::pid ? 2 : 1;
    if (header.size() != want) {
      r.error = where(name, start) + "expected " + std::to_string(want)
                + " comma-separated integers (" + (want == 2 ? "user_index,user_id" : "length")
                + ")";
      return r;
    }
    std::size_t ids_line = 0;
    if (!read_line(start, format == akt_format::pid ? "problem" : "question", ids)) {
      return r;
    }
    ids_line = lines.number();
    std::size_t skills_line = ids_line;
    if (format == akt_format::pid) {
      if (!read_line(start, "skill", skills)) {
        return r;
      }
      skills_line = lines.number();
    } else {
      skills = ids;
    }
    if (!read_line(start, "correct", correct)) {
      return r;
    }
    const auto correct_line = lines.number();
    if (skills.size() != ids.size()) {
      r.error = where(name, skills_line) + "expected " + std::to_string(ids.size())
                + " comma-separated integers (as many as line " + std::to_string(ids_line)
                + "), got " + std::to_string(skills.size());
      return r;
    }
    if (correct.size() != ids.size()) {
      r.error = where(name, correct_line) + "expected " + std::to_string(ids.size())
                + " comma-separated integers (as many as line " + std::to_string(ids_line)
                + "), got " + std::to_string(correct.size());
      return r;
    }
    if (format == akt_format::q && header[0] != ids.size()) {
      r.error = where(name, start) + "sequence length " + std::to_string(header[0]) + " but line "
                + std::to_string(ids_line) + " has " + std::to_string(ids.size()) + " questions";
      return r;
    }
    kt_sequence s;
    s.user = format == akt_format::pid ? header[0] : block;
    s.problem.reserve(ids.size());
    s.skill.reserve(ids.size());
    s.correct.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (correct[i] > 1) {
        r.error = where(name, correct_line) + "correct must be 0 or 1, got "
                  + std::to_string(correct[i]) + " at position " + std::to_string(i + 1);
        return r;
      }
      if (ids[i] > max_id || skills[i] > max_id) {
        r.error = where(name, ids[i] > max_id ? ids_line : skills_line)
                  + "id out of range at position " + std::to_string(i + 1);
        return r;
      }
      s.problem.push_back(static_cast<std::uint32_t>(ids[i]));
      s.skill.push_back(static_cast<std::uint32_t>(skills[i]));
      s.correct.push_back(static_cast<std::uint8_t>(correct[i]));
      r.data.problem_count = std::max(r.data.problem_count, s.problem.back() + 1);
      r.data.skill_count = std::max(r.data.skill_count, s.skill.back() + 1);
    }
    r.data.sequences.push_back(std::move(s));
    ++block;
  }
  if (in.bad()) {
    r.error = name + ": read error";
  } else if (r.data.sequences.empty()) {
    r.error = name + ": no sequences";
  }
  return r;
}

kt_read_result read_akt(const std::string& path, akt_format format) {
  std::ifstream in(path);
  if (!in) {
    kt_read_result r;
    r.error = path + ": cannot open";
    return r;
  }
  return parse_akt(in, path, format);
}

std::vector<kt_attempt> group_attempts(const kt_sequence& s) {
  std::vector<kt_attempt> out;
  const auto n = static_cast<std::uint32_t>(s.correct.size());
  for (std::uint32_t i = 0; i < n; ++i) {
    if (!out.empty()) {
      auto& a = out.back();
      const auto begin = s.skill.begin() + a.first_row;
      const auto end = begin + a.row_count;
      if (s.problem[i] == a.problem && (s.correct[i] != 0) == a.correct
          && std::find(begin, end, s.skill[i]) == end) {
        ++a.row_count;
        continue;
      }
    }
    out.push_back({s.problem[i], i, 1, s.correct[i] != 0});
  }
  return out;
}

std::vector<kt_attempt> row_attempts(const kt_sequence& s) {
  std::vector<kt_attempt> out;
  out.reserve(s.correct.size());
  for (std::uint32_t i = 0; i < s.correct.size(); ++i) {
    out.push_back({s.problem[i], i, 1, s.correct[i] != 0});
  }
  return out;
}

} // namespace aia::model::learning
