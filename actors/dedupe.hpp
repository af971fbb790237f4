// Idempotency: which (client_id, seq) pairs a session has applied, exactly, in little memory.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace aia::actors {

/// The sequence numbers one client has had applied: everything below `floor`, plus `above`.
struct seq_window {
  std::uint64_t floor = 1;
  std::set<std::uint64_t> above;

  [[nodiscard]] bool contains(std::uint64_t s) const { return s < floor || above.count(s) > 0; }

  void insert(std::uint64_t s) {
    if (s < floor) {
      return;
    }
    above.insert(s);
    while (!above.empty() && *above.begin() == floor) {
      above.erase(above.begin());
      ++floor;
    }
  }

  void erase(std::uint64_t s) { above.erase(s); }
};

/// Applied sequence numbers per client id of one user.
class dedupe_table {
public:
  /// True if (client, seq) was applied before. An empty client id or seq 0 is never a repeat.
  [[nodiscard]] bool seen(const std::string& client, std::uint64_t seq) const {
    if (client.empty() || seq == 0) {
      return false;
    }
    auto i = clients_.find(client);
    return i != clients_.end() && i->second.contains(seq);
  }

  /// Marks (client, seq) applied.
  void mark(const std::string& client, std::uint64_t seq) {
    if (!client.empty() && seq != 0) {
      clients_[client].insert(seq);
    }
  }

  /// Forgets a mark whose write failed, so a retry is applied. Only seqs above the floor can be
  /// forgotten, which holds for writes still in flight.
  void unmark(const std::string& client, std::uint64_t seq) {
    auto i = clients_.find(client);
    if (i != clients_.end()) {
      i->second.erase(seq);
    }
  }

  [[nodiscard]] const std::map<std::string, seq_window>& clients() const noexcept {
    return clients_;
  }
  std::map<std::string, seq_window>& clients() noexcept { return clients_; }

private:
  std::map<std::string, seq_window> clients_;
};

} // namespace aia::actors
