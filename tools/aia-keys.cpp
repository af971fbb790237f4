// aia-keys: shows and rotates the key ring that seals stored user data, and re-encrypts a store
// under its newest key. Prints versions, ages and counts; never a key.
#include "privacy/sealing.hpp"
#include "runtime/store.hpp"

#include "tools/detail/cli.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using aia::tools::parse_options;
using aia::tools::required;
using aia::tools::usage_error;

namespace fs = std::filesystem;
using aia::privacy::key_ring;

constexpr const char* help = R"(usage: aia-keys <command> [options]

Manages the key ring that seals user data at rest (config/aia-node.conf, [store]). Output shows
key versions and ages, never key bytes.

  status --keyring FILE [--rotation-days N]
      Lists the keys, their ages, the one sealing new writes, and whether rotation is due
      (N defaults to 90, as store.key_rotation_days).

  rotate --keyring FILE
      Adds a new key now. A running node keeps sealing with the key it started with until it
      restarts; what the older keys sealed stays readable.

  reencrypt --data-dir DIR [--keyring FILE]
      Seals every stored event and snapshot again under the newest key, 1000 rows per
      transaction, and reports the counts. STOP THE NODE FIRST: a running node locks its store
      and reencrypt refuses to start; an interrupted run can simply be run again. FILE defaults
      to DIR/keyring, as the node's store.keyring_file does.

Exit status: 0 done, 1 failed, 2 bad usage, 3 reencrypt found values that do not open
(tampered, or sealed under a key missing from the ring); they are listed and left as they are.
)";

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

std::string utc_time(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int rotation_days_of(const aia::tools::options& opts) {
  auto it = opts.find("rotation-days");
  if (it == opts.end()) {
    return 90;
  }
  std::size_t end = 0;
  int days = 0;
  try {
    days = std::stoi(it->second, &end);
  } catch (const std::exception&) {
    end = 0;
  }
  if (end != it->second.size() || days < 1 || days > 3650) {
    throw usage_error("--rotation-days must be 1..3650");
  }
  return days;
}

// -- commands -------------------------------------------------------------------

int status(const std::vector<std::string>& args) {
  auto opts = parse_options(args, {"--keyring", "--rotation-days"});
  auto file = required(opts, "keyring");
  auto days = rotation_days_of(opts);
  auto ring = key_ring::load(file);
  auto now = unix_now();
  auto keys = ring.describe();
  std::cout << "key ring " << file << ": " << keys.size() << (keys.size() == 1 ? " key" : " keys")
            << "\n";
  for (const auto& k : keys) {
    std::cout << "  v" << k.version << "  created " << utc_time(k.created) << "  age "
              << (now - k.created) / 86400 << " days"
              << (k.version == ring.newest().version ? "  (seals new writes)" : "") << "\n";
  }
  std::cout << "rotation: " << (ring.rotation_due(days, now) ? "due" : "not due")
            << " (period " << days << " days; a node starting now "
            << (ring.rotation_due(days, now) ? "adds a key" : "keeps the newest key") << ")\n";
  return 0;
}

int rotate(const std::vector<std::string>& args) {
  auto opts = parse_options(args, {"--keyring"});
  auto file = required(opts, "keyring");
  auto ring = key_ring::rotate_file(file, unix_now());
  std::cout << "key ring " << file << ": added key v" << ring.newest().version
            << "; it seals new writes from the node's next start\n";
  return 0;
}

int reencrypt(const std::vector<std::string>& args) {
  auto opts = parse_options(args, {"--data-dir", "--keyring"});
  fs::path dir = required(opts, "data-dir");
  fs::path file = opts.count("keyring") != 0 ? fs::path{required(opts, "keyring")}
                                             : dir / "keyring";
  auto db = dir / "aia.db";
  if (!fs::exists(db)) {
    throw std::runtime_error("no store at " + db.string());
  }
  auto sealer = std::make_shared<const aia::privacy::sealer>(key_ring::load(file));
  auto counts = aia::runtime::reseal_sqlite_store(db.string(), sealer);
  std::cout << "store " << db.string() << ": resealed " << counts.events << " events, "
            << counts.snapshots << " snapshots and " << counts.records
            << " records under key v" << sealer->sealing_version() << "; "
            << counts.current << " already under it; " << counts.unreadable
            << " do not open\n";
  for (const auto& row : counts.unreadable_rows) {
    std::cout << "  does not open: " << row << "\n";
  }
  return counts.unreadable == 0 ? 0 : 3;
}

} // namespace

int main(int argc, char** argv) {
  return aia::tools::run_tool("aia-keys", help, argc, argv,
                              {{"status", status}, {"rotate", rotate}, {"reencrypt", reencrypt}});
}
