// Exact uniform integers and fair bits over 64-bit words; OpenSSL RAND_bytes and xoshiro256** sources.
#include "privacy/random.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <pthread.h>

#include <atomic>
#include <limits>
#include <stdexcept>

namespace aia::privacy {

// -- random_source ------------------------------------------------------------

std::uint64_t random_source::uniform_below(std::uint64_t n) {
  if (n == 0) {
    throw std::invalid_argument("uniform_below: n must be positive");
  }
  // Lemire (2019): the high word of x*n is uniform in [0, n) once products whose low word falls
  // below 2^64 mod n are rejected; the division only runs when a rejection is possible at all.
  auto product = static_cast<uint128>(next_u64()) * n;
  auto low = static_cast<std::uint64_t>(product);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      product = static_cast<uint128>(next_u64()) * n;
      low = static_cast<std::uint64_t>(product);
    }
  }
  return static_cast<std::uint64_t>(product >> 64);
}

uint128 random_source::uniform_below_wide(uint128 n) {
  constexpr auto word_max = std::numeric_limits<std::uint64_t>::max();
  if (n <= word_max) {
    return uniform_below(static_cast<std::uint64_t>(n));
  }
  if (n == static_cast<uint128>(word_max) + 1) {
    return next_u64();
  }
  const auto hi = static_cast<std::uint64_t>((n - 1) >> 64);  // nonzero here
  const int bits = 128 - __builtin_clzll(hi);
  const uint128 mask = bits == 128 ? ~uint128{0} : (uint128{1} << bits) - 1;  // no 128-bit shift
  for (;;) {  // accepts with probability > 1/2
    const uint128 x = ((static_cast<uint128>(next_u64()) << 64) | next_u64()) & mask;
    if (x < n) {
      return x;
    }
  }
}

bool random_source::fair_bit() {
  if (bits_left_ == 0) {
    bits_ = next_u64();
    bits_left_ = 64;
  }
  const bool bit = (bits_ & 1U) != 0;
  bits_ >>= 1;
  --bits_left_;
  return bit;
}

// -- system_random ------------------------------------------------------------

namespace {

/// Bumped in every forked child, so that each system_random notices the fork at its next word.
std::atomic<std::uint64_t> fork_generation{1};

void on_fork_child() noexcept {
  fork_generation.fetch_add(1, std::memory_order_relaxed);
}

} // namespace

system_random::system_random() {
  static const int registered = pthread_atfork(nullptr, nullptr, &on_fork_child);
  if (registered != 0) {
    throw std::runtime_error("system_random: pthread_atfork failed");
  }
}

system_random::~system_random() {
  OPENSSL_cleanse(block_.data(), sizeof(block_));
}

void system_random::refill() {
  const auto generation = fork_generation.load(std::memory_order_relaxed);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(block_.data()), static_cast<int>(sizeof(block_)))
      != 1) {
    throw std::runtime_error("system_random: RAND_bytes failed (no fallback generator)");
  }
  next_ = 0;
  generation_ = generation;
}

std::uint64_t system_random::next_u64() {
  if (next_ == block_words || generation_ != fork_generation.load(std::memory_order_relaxed)) {
    refill();
  }
  const std::uint64_t word = block_[next_];
  block_[next_] = 0;  // a word leaves the buffer once: noise must not linger in memory
  ++next_;
  return word;
}

// -- seeded_random ------------------------------------------------------------

namespace {

std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
  return (x << k) | (x >> (64 - k));
}

} // namespace

seeded_random::seeded_random(std::uint64_t seed) noexcept {
  // SplitMix64 expands the seed, as xoshiro's authors recommend (never an all-zero state).
  for (auto& word : s_) {
    word = splitmix64(seed);
  }
}

std::uint64_t seeded_random::next_u64() noexcept {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

} // namespace aia::privacy
