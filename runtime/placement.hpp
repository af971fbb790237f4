// Which node owns a user (or a singleton such as the privacy accountant): rendezvous, also called
// highest-random-weight, hashing of the key over the live nodes. Plain C++, no CAF: the cluster
// code asks it, tests check how few keys move when a node joins or leaves.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aia::runtime {

/// A 64-bit hash that is the same in every process, build and platform (std::hash is not):
/// FNV-1a over the bytes, then the SplitMix64 finaliser for avalanche.
[[nodiscard]] std::uint64_t stable_hash(std::string_view bytes) noexcept;

/// An immutable set of live nodes and the owner of each key among them.
///
/// Each (node, key) pair gets a pseudo-random score; the node with the highest score owns the
/// key. A node that joins takes only the keys it now scores highest on (about 1/n of them) and
/// a node that leaves gives only its own keys away, spread evenly: nothing else moves. Every
/// node computes the same owner from the same membership, with no coordination.
class placement {
public:
  /// Placement over `nodes` (their ids, e.g. "host:port"); order and repeats do not matter.
  explicit placement(std::vector<std::string> nodes = {});

  /// The live nodes, sorted.
  [[nodiscard]] const std::vector<std::string>& nodes() const noexcept { return nodes_; }
  [[nodiscard]] bool empty() const noexcept { return nodes_.empty(); }

  /// The owner of `key`. Precondition: not empty() (throws std::logic_error otherwise).
  [[nodiscard]] const std::string& owner(std::string_view key) const;

  /// Every node in the order of preference for `key`: the owner first, then who takes over if
  /// it leaves, and so on.
  [[nodiscard]] std::vector<std::string> ranked(std::string_view key) const;

  /// The same membership with `node` added (a join) or removed (a leave).
  [[nodiscard]] placement with(std::string node) const;
  [[nodiscard]] placement without(std::string_view node) const;

private:
  [[nodiscard]] std::uint64_t score(std::size_t node, std::uint64_t key_hash) const noexcept;

  std::vector<std::string> nodes_;
  std::vector<std::uint64_t> node_hashes_;
};

} // namespace aia::runtime
