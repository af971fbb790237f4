// The reseal pass of the SQLite store (aia-keys reencrypt): seals every value that is not under
// the newest key again under it, in key order and in batches, so that an interrupted pass keeps
// what it did.
#include "runtime/detail/sqlite_util.hpp"
#include "runtime/detail/user_records.hpp"

#include "privacy/sealing.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace aia::runtime::detail {

namespace {

using detail::record_column;
using detail::record_purpose;

/// One sealed value as aia-keys reencrypt reads it: its row's key is (user_id, seq) for events
/// and snapshots, (user_id, kind) for records.
struct stored_value {
  std::string user_id;
  std::uint64_t seq = 0;
  std::string kind;
  std::vector<std::uint8_t> value;
};

/// The value sealed again under the newest key, or nothing if it is under it already or does
/// not open (counted in `counts`; `where` names the row for the operator).
std::optional<std::vector<std::uint8_t>> reseal_value(const privacy::sealer& sealer,
                                                      std::string_view purpose,
                                                      const stored_value& row,
                                                      const std::string& where,
                                                      reseal_counts& counts) {
  if (privacy::sealer::key_version(row.value) == sealer.sealing_version()) {
    ++counts.current;
    return std::nullopt;
  }
  auto opened = sealer.open(purpose, row.user_id, row.value);
  if (auto* code = std::get_if<privacy::sealing_errc>(&opened)) {
    if (++counts.unreadable <= 100) {
      counts.unreadable_rows.push_back(where + ": " + privacy::to_string(*code));
    }
    return std::nullopt;
  }
  return sealer.seal(purpose, row.user_id, std::get<0>(opened));
}

/// Reseals one value of an event or snapshot column; 1 if it did, else 0.
int reseal_row(sqlite3* db, const privacy::sealer& sealer, const sealed_column& column,
               const stored_value& row, statement& update, reseal_counts& counts) {
  auto where = std::string{column.purpose} + " user " + row.user_id + " seq "
               + std::to_string(row.seq);
  auto sealed = reseal_value(sealer, column.purpose, row, where, counts);
  if (!sealed) {
    return 0;
  }
  update.bind(1, row.user_id);
  update.bind(2, row.seq);
  update.bind(3, *sealed);
  if (auto err = finish(db, update)) {
    throw std::runtime_error("reseal " + std::string{column.purpose} + ": " + err->message);
  }
  return 1;
}

/// Reseals one column in key order, `batch` rows per transaction; returns how many it did.
std::uint64_t reseal_column(sqlite3* db, const privacy::sealer& sealer,
                            const sealed_column& column, std::size_t batch,
                            reseal_counts& counts) {
  statement select{db, column.select_after};
  statement update{db, column.update};
  std::uint64_t resealed = 0;
  std::string user_id;
  std::int64_t seq = -1;  // before every row, including ("", 0)
  while (true) {
    select.bind(1, user_id);
    select.bind(2, seq);
    select.bind(3, static_cast<std::uint64_t>(batch));
    std::vector<stored_value> rows;
    while (select.step() == SQLITE_ROW) {
      rows.push_back({select.text(0), select.u64(1), {}, select.blob(2)});
    }
    select.reset();
    if (rows.empty()) {
      return resealed;
    }
    exec(db, "BEGIN IMMEDIATE");  // an error throws; closing the store then rolls back
    for (const auto& row : rows) {
      resealed += reseal_row(db, sealer, column, row, update, counts);
    }
    exec(db, "COMMIT");
    user_id = rows.back().user_id;
    seq = static_cast<std::int64_t>(rows.back().seq);
  }
}

// -- records -----------------------------------------------------------------------------------

/// Reseals the records in (user_id, kind) order, `batch` rows per transaction; how many it did.
std::uint64_t reseal_records(sqlite3* db, const privacy::sealer& sealer, std::size_t batch,
                             reseal_counts& counts) {
  statement select{db, "SELECT user_id, kind, data FROM records WHERE (user_id, kind) > (?1, ?2) "
                       "ORDER BY user_id, kind LIMIT ?3"};
  statement update{db, "UPDATE records SET data = ?3 WHERE user_id = ?1 AND kind = ?2"};
  std::uint64_t resealed = 0;
  std::string user_id;
  std::string kind;  // ("", "") precedes every row: kinds are never empty
  while (true) {
    select.bind(1, user_id);
    select.bind(2, kind);
    select.bind(3, static_cast<std::uint64_t>(batch));
    std::vector<stored_value> rows;
    while (select.step() == SQLITE_ROW) {
      rows.push_back({select.text(0), 0, select.text(1), select.blob(2)});
    }
    select.reset();
    if (rows.empty()) {
      return resealed;
    }
    exec(db, "BEGIN IMMEDIATE");
    for (const auto& row : rows) {
      auto purpose = record_purpose(row.kind);
      auto where = std::string{record_column} + " user " + row.user_id + " kind " + row.kind;
      auto sealed = reseal_value(sealer, purpose, row, where, counts);
      if (!sealed) {
        continue;
      }
      update.bind(1, row.user_id);
      update.bind(2, row.kind);
      update.bind(3, *sealed);
      if (auto err = finish(db, update)) {
        throw std::runtime_error("reseal " + std::string{record_column} + ": " + err->message);
      }
      ++resealed;
    }
    exec(db, "COMMIT");
    user_id = rows.back().user_id;
    kind = rows.back().kind;
  }
}

} // namespace

reseal_counts reseal_columns(sqlite3* db, const privacy::sealer& sealer, std::size_t batch) {
  reseal_counts counts;
  counts.events = reseal_column(db, sealer, event_payloads, batch, counts);
  counts.snapshots = reseal_column(db, sealer, snapshot_data, batch, counts);
  counts.records = reseal_records(db, sealer, batch, counts);
  return counts;
}

} // namespace aia::runtime::detail
