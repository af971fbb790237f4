// The reseal pass of the SQLite store (aia-keys reencrypt): seals every value that is not under
// the newest key again under it, in key order and in batches, so that an interrupted pass keeps
// what it did.
#include "runtime/detail/sqlite_util.hpp"

#include "privacy/sealing.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace aia::runtime::detail {

namespace {

/// One sealed value as aia-keys reencrypt reads it.
struct stored_value {
  std::string user_id;
  std::uint64_t seq = 0;
  std::vector<std::uint8_t> value;
};

/// Reseals one value if it opens and is not under the newest key; 1 if it did, else 0.
int reseal_row(sqlite3* db, const privacy::sealer& sealer, const sealed_column& column,
               const stored_value& row, statement& update, reseal_counts& counts) {
  if (privacy::sealer::key_version(row.value) == sealer.sealing_version()) {
    ++counts.current;
    return 0;
  }
  auto opened = sealer.open(column.purpose, row.user_id, row.value);
  if (auto* code = std::get_if<privacy::sealing_errc>(&opened)) {
    if (++counts.unreadable <= 100) {
      counts.unreadable_rows.push_back(std::string{column.purpose} + " user " + row.user_id
                                       + " seq " + std::to_string(row.seq) + ": "
                                       + privacy::to_string(*code));
    }
    return 0;
  }
  auto sealed = sealer.seal(column.purpose, row.user_id, std::get<0>(opened));
  update.bind(1, row.user_id);
  update.bind(2, row.seq);
  update.bind(3, sealed);
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
      rows.push_back({select.text(0), select.u64(1), select.blob(2)});
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

} // namespace

reseal_counts reseal_columns(sqlite3* db, const privacy::sealer& sealer, std::size_t batch) {
  reseal_counts counts;
  counts.events = reseal_column(db, sealer, event_payloads, batch, counts);
  counts.snapshots = reseal_column(db, sealer, snapshot_data, batch, counts);
  return counts;
}

} // namespace aia::runtime::detail
