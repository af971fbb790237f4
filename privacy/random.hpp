// Randomness for the DP samplers: uniform words, exact uniform integers and fair bits, drawn from
// OpenSSL's CSPRNG in production (system_random) or from a seed in tests (seeded_random).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace aia::privacy {

/// An unsigned 128-bit integer (a GCC/Clang extension): the samplers' widest uniform range.
__extension__ typedef unsigned __int128 uint128;

/// A source of uniform random 64-bit words, and what the exact samplers build on them.
///
/// Every derived value is exact: uniform_below() has no modulo bias and fair_bit() wastes no
/// entropy, so the samplers' distributions are exactly the ones they claim given uniform words.
/// An instance is used by one thread at a time (give each thread its own); copying is refused,
/// since a copy would hand out the same words twice.
class random_source {
public:
  random_source() = default;
  virtual ~random_source() = default;
  random_source(const random_source&) = delete;
  random_source& operator=(const random_source&) = delete;

  /// 64 uniform random bits.
  [[nodiscard]] virtual std::uint64_t next_u64() = 0;

  /// True only for a source fit for releases (OpenSSL's CSPRNG); false for test generators.
  [[nodiscard]] virtual bool is_cryptographic() const noexcept = 0;

  /// A uniform integer in [0, n), exactly: Lemire's multiply-and-reject, no modulo bias.
  /// Throws std::invalid_argument if n is 0.
  [[nodiscard]] std::uint64_t uniform_below(std::uint64_t n);

  /// A uniform integer in [0, n) for 128-bit n, exactly: uniform_below below 2^64, above it two
  /// words masked to n's bit length and rejected if >= n. Throws std::invalid_argument if n is 0.
  [[nodiscard]] uint128 uniform_below_wide(uint128 n);

  /// One fair bit; 64 bits are taken from each word before the next is drawn.
  [[nodiscard]] bool fair_bit();

private:
  std::uint64_t bits_ = 0;
  unsigned bits_left_ = 0;
};

/// Words from OpenSSL's RAND_bytes (the default DRBG, seeded by the OS), fetched in blocks.
///
/// RAND_bytes is thread-safe, but this buffer is not: use one system_random per thread (for
/// instance a thread_local). A block is fetched 4 KiB at a time (one RAND_bytes call was most of
/// a sample's cost); each word is wiped from the buffer once handed out, the rest on destruction.
/// A forked child refills before its first word (a pthread_atfork handler bumps a generation
/// counter; getpid() per word was a system call), so parent and child never share noise.
/// If RAND_bytes fails this throws std::runtime_error: there is no fallback generator.
class system_random final : public random_source {
public:
  /// Draws nothing yet; registers the process-wide fork handler on first use.
  system_random();
  /// Wipes the words not yet handed out.
  ~system_random() override;

  /// The next word of the block, refilling it from RAND_bytes when used up.
  [[nodiscard]] std::uint64_t next_u64() override;

  /// Always true.
  [[nodiscard]] bool is_cryptographic() const noexcept override { return true; }

private:
  void refill();

  static constexpr std::size_t block_words = 512;  // 4 KiB: RAND_bytes costs ~2 µs a call here
  std::array<std::uint64_t, block_words> block_{};
  std::size_t next_ = block_words;
  std::uint64_t generation_ = 0;  ///< the fork generation that filled block_
};

/// A deterministic generator for TESTS AND BENCHMARKS ONLY: xoshiro256** seeded by SplitMix64.
///
/// Its output is predictable from the seed (and from a few outputs), so noise drawn from it
/// protects nothing. It exists so that distribution tests are reproducible, never for releases;
/// is_cryptographic() says false so that callers can refuse it.
class seeded_random final : public random_source {
public:
  /// The stream of `seed`: the same seed always yields the same words.
  explicit seeded_random(std::uint64_t seed) noexcept;

  /// The next xoshiro256** word.
  [[nodiscard]] std::uint64_t next_u64() noexcept override;

  /// Always false.
  [[nodiscard]] bool is_cryptographic() const noexcept override { return false; }

private:
  std::array<std::uint64_t, 4> s_{};
};

} // namespace aia::privacy
