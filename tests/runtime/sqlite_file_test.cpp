// The SQLite store's background checkpointer (runtime/detail/sqlite_file.hpp), driven on a raw
// WAL database: its passes copy the log into the file, a hurried round ends on its own, and a
// paused checkpointer copies nothing.
#include "runtime/detail/sqlite_file.hpp"

#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

using aia::runtime::detail::checkpointer;

namespace {

/// A WAL database with automatic checkpoints off, written by one connection.
class wal_database {
public:
  explicit wal_database(const std::filesystem::path& path) {
    REQUIRE(sqlite3_open(path.c_str(), &db_) == SQLITE_OK);
    exec("PRAGMA page_size=1024");
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA wal_autocheckpoint=0");
    exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)");
  }
  ~wal_database() { sqlite3_close(db_); }
  wal_database(const wal_database&) = delete;
  wal_database& operator=(const wal_database&) = delete;

  /// Appends `rows` rows of 4 KiB in one commit.
  void append(int rows) {
    exec("BEGIN");
    for (int i = 0; i < rows; ++i) {
      exec("INSERT INTO t (v) VALUES (randomblob(4096))");
    }
    exec("COMMIT");
  }

private:
  void exec(const char* sql) {
    REQUIRE(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  sqlite3* db_ = nullptr;
};

std::uintmax_t db_size(const std::filesystem::path& p) {
  std::error_code ec;
  auto n = std::filesystem::file_size(p, ec);
  return ec ? 0 : n;
}

/// Waits up to 5 s for `done`.
template <class F>
bool eventually(F done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return true;
}

/// A fresh WAL database and a checkpointer over it.
struct checkpointed {
  aia::test::temp_dir dir;
  std::filesystem::path path = dir / "db";
  wal_database db{path};
  checkpointer ckpt{path.string(), 64};

  checkpointed() { REQUIRE(ckpt.running()); }
};

} // namespace

TEST_CASE("the checkpointer copies the log into the database file in the background") {
  checkpointed f;
  auto before = db_size(f.path);
  f.db.append(500);  // ~2 MiB in the log
  CHECK(eventually([&] { return db_size(f.path) >= before + 500 * 4096; }));
}

TEST_CASE("a hurried round of the checkpointer ends on its own and leaves nothing to copy") {
  checkpointed f;
  CHECK_FALSE(f.ckpt.hurried());
  f.db.append(500);
  f.ckpt.hurry();
  REQUIRE(eventually([&] { return f.ckpt.hurried(); }));
  CHECK(db_size(f.path) >= 500 * 4096);
  // A new request starts a new round: it is not over until that round ends.
  f.ckpt.hurry();
  f.db.append(10);
  CHECK(eventually([&] { return f.ckpt.hurried(); }));
}

TEST_CASE("a paused checkpointer copies nothing until the pause ends") {
  checkpointed f;
  auto before = db_size(f.path);
  {
    auto paused = f.ckpt.pause();
    f.db.append(500);
    f.ckpt.hurry();
    std::this_thread::sleep_for(std::chrono::milliseconds{700});  // 3 periods and a hurry
    CHECK(db_size(f.path) == before);
    CHECK_FALSE(f.ckpt.hurried());
  }
  CHECK(eventually([&] { return db_size(f.path) >= before + 500 * 4096; }));
  CHECK(eventually([&] { return f.ckpt.hurried(); }));
}

TEST_CASE("a checkpointer over a database it cannot open does not run") {
  aia::test::temp_dir dir;
  checkpointer ckpt{(dir / "missing.db").string(), 64};  // opened without create
  CHECK_FALSE(ckpt.running());
}
