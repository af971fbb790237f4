// Knowledge-tracing data: response sequences, the items a model scores, and the AKT-format reader.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

namespace aia::model::learning {

/// What a knowledge-tracing model scores: a problem and the skills it exercises.
struct kt_item {
  std::uint32_t problem = 0;
  std::span<const std::uint32_t> skills;
};

/// One learner's responses in time order, one row per (problem, skill) as the files store them.
struct kt_sequence {
  std::uint64_t user = 0; ///< the file's user index (assist2009_pid), else the block number
  std::vector<std::uint32_t> problem;
  std::vector<std::uint32_t> skill;
  std::vector<std::uint8_t> correct; ///< 0 or 1
};

/// A set of learners; ids are 1-based as in the files, so `*_count` is the largest id + 1.
struct kt_dataset {
  std::vector<kt_sequence> sequences;
  std::uint32_t problem_count = 0;
  std::uint32_t skill_count = 0;

  /// Number of rows (responses) over all sequences.
  [[nodiscard]] std::size_t responses() const noexcept;
  /// Appends `other`'s sequences and widens the id counts.
  void append(kt_dataset&& other);
};

/// The AKT repository's layouts (Ghosh et al., KDD 2020).
enum class akt_format : std::uint8_t {
  detect, ///< 4-line blocks if the first line holds two integers, else 3-line blocks
  pid,    ///< `user_index,original_user_id` / problem ids / skill ids / correct
  q,      ///< `sequence_length` / question ids (each its own skill) / correct
};

/// A reader's outcome: the data, or a message naming the file and line.
struct kt_read_result {
  kt_dataset data;
  std::string error; ///< empty on success
  [[nodiscard]] bool ok() const noexcept { return error.empty(); }
};

/// Reads an AKT-format file. Empty lines between blocks and a trailing comma are tolerated.
[[nodiscard]] kt_read_result read_akt(const std::string& path,
                                      akt_format format = akt_format::detect);

/// Parses AKT-format text from `in`; `name` is used in error messages.
[[nodiscard]] kt_read_result parse_akt(std::istream& in, const std::string& name,
                                       akt_format format = akt_format::detect);

/// One answer to a problem: its rows in a sequence share the problem and the answer.
struct kt_attempt {
  std::uint32_t problem = 0;
  std::uint32_t first_row = 0;
  std::uint32_t row_count = 1;
  bool correct = false;
};

/// Groups a sequence's rows into attempts. ASSISTments 2009 stores an answer to a problem with k
/// skills as k consecutive rows with the same problem and answer; scoring those rows one by one
/// would let a model see the answer it is predicting. Consecutive rows form one attempt while the
/// problem and the answer stay the same and no skill repeats.
[[nodiscard]] std::vector<kt_attempt> group_attempts(const kt_sequence& s);

/// Every row as its own attempt (the raw files' protocol, which leaks across duplicated rows).
[[nodiscard]] std::vector<kt_attempt> row_attempts(const kt_sequence& s);

/// The item of attempt `a` of sequence `s` (its skills are a view into `s`).
[[nodiscard]] inline kt_item item_of(const kt_sequence& s, const kt_attempt& a) noexcept {
  return {a.problem, std::span<const std::uint32_t>(s.skill).subspan(a.first_row, a.row_count)};
}

} // namespace aia::model::learning
