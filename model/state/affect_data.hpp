// Reads the labelled mouse-and-stress field data (shared/data/affect/, Banholzer et al. 2021) into
// one record per recording, with the paper's filter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace aia::model::state {

/// Day of a recording as the data spells it; the weekend is one category.
enum class weekday : std::uint8_t { monday, tuesday, wednesday, thursday, friday, weekend };

/// One recording: a stretch of one person's mouse use and the self-report that closed it.
/// Missing numbers (`NA` or empty in the file) are NaN.
struct affect_record {
  std::uint32_t user = 0; ///< Index into affect_dataset::users.
  std::size_t line = 0;   ///< Line in the file (1 = header), for messages.
  weekday day = weekday::monday;
  bool afternoon = false;  ///< `daytime`: morning or afternoon.
  bool stress = false;     ///< 1 if valence < 4 and arousal > 4 (the study's definition).
  double valence = 0;      ///< Self-report, 1..7.
  double arousal = 0;      ///< Self-report, 1..7.
  double trajectories = 0; ///< `n_traj`: mouse trajectories in the recording.
  double speed = 0;
  double accuracy = 0;
  double clicks = 0;
  double wheels = 0;
};

/// The recordings of one file, in file order (the data has no timestamps; file order is taken
/// as each person's chronological order).
struct affect_dataset {
  std::string file;
  std::vector<std::string> users; ///< Pseudonymous ids, in order of first appearance.
  std::vector<affect_record> rows;
};

/// Why a file could not be read: `message()` is "file:line: what".
struct data_error {
  std::string file;
  std::size_t line = 0; ///< 0 when the error is not on one line (e.g. the file cannot be opened).
  std::string what;
  [[nodiscard]] std::string message() const;
};

/// Which recordings to keep; the defaults are the paper's (1,829 recordings of 70 people).
struct affect_filter {
  double min_trajectories = 10;
  bool require_speed = true;
};

/// Reads the CSV at `path` and keeps the rows that pass `filter`. Columns are found by name
/// (order free, extra columns ignored); a missing column, a malformed number or label, or an
/// out-of-range rating is an error naming the file and line.
[[nodiscard]] std::variant<affect_dataset, data_error> read_affect_csv(const std::string& path,
                                                                       affect_filter filter = {});

/// The same from a stream; `name` stands for the file in messages.
[[nodiscard]] std::variant<affect_dataset, data_error>
parse_affect_csv(std::istream& in, std::string_view name, affect_filter filter = {});

/// The rows of each user, as indices into `data.rows` in file order.
[[nodiscard]] std::vector<std::vector<std::size_t>> rows_by_user(const affect_dataset& data);

/// Splits `rows` (indices into `data.rows`) into `folds` groups by user: every user's rows fall in
/// exactly one fold. Users are shuffled with `seed`, then dealt round-robin, so fold sizes differ
/// by at most one user. `folds` 0 or at least the number of users: one fold per user.
[[nodiscard]] std::vector<std::vector<std::size_t>> group_folds(const affect_dataset& data,
                                                                std::span<const std::size_t> rows,
                                                                unsigned folds, std::uint64_t seed);

} // namespace aia::model::state
