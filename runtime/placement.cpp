// Rendezvous hashing: owner(key) = argmax over nodes of mix(hash(node) ^ hash(key)).
#include "runtime/placement.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace aia::runtime {

namespace {

/// SplitMix64's finaliser: every input bit affects every output bit.
constexpr std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

} // namespace

std::uint64_t stable_hash(std::string_view bytes) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a offset basis
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;  // FNV prime
  }
  return mix(h);
}

placement::placement(std::vector<std::string> nodes) : nodes_(std::move(nodes)) {
  std::sort(nodes_.begin(), nodes_.end());
  nodes_.erase(std::unique(nodes_.begin(), nodes_.end()), nodes_.end());
  node_hashes_.reserve(nodes_.size());
  for (const auto& n : nodes_) {
    node_hashes_.push_back(stable_hash(n));
  }
}

std::uint64_t placement::score(std::size_t node, std::uint64_t key_hash) const noexcept {
  // Mixing the xor again makes the scores of one key independent across nodes; the node id
  // breaks the (astronomically rare) tie deterministically in owner().
  return mix(node_hashes_[node] ^ key_hash);
}

const std::string& placement::owner(std::string_view key) const {
  if (nodes_.empty()) {
    throw std::logic_error("placement: no live node");
  }
  auto k = stable_hash(key);
  std::size_t best = 0;
  auto best_score = score(0, k);
  for (std::size_t i = 1; i < nodes_.size(); ++i) {
    if (auto s = score(i, k); s > best_score) {  // ties keep the lower id (sorted order)
      best = i;
      best_score = s;
    }
  }
  return nodes_[best];
}

std::vector<std::string> placement::ranked(std::string_view key) const {
  auto k = stable_hash(key);
  std::vector<std::size_t> order(nodes_.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return score(a, k) > score(b, k); });
  std::vector<std::string> out;
  out.reserve(order.size());
  for (auto i : order) {
    out.push_back(nodes_[i]);
  }
  return out;
}

placement placement::with(std::string node) const {
  auto next = nodes_;
  next.push_back(std::move(node));
  return placement{std::move(next)};
}

placement placement::without(std::string_view node) const {
  auto next = nodes_;
  std::erase(next, node);
  return placement{std::move(next)};
}

} // namespace aia::runtime
