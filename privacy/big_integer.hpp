// Arbitrary-precision integers over OpenSSL BIGNUM (parsing and printing as JS BigInt does,
// uniform randomness below a bound), the fixed-point encoding of doubles, and the errors the
// Paillier code (privacy/paillier.hpp) and these numbers share.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct bignum_st;  // OpenSSL's BIGNUM, kept out of this header

namespace aia::privacy {

/// Why a Paillier operation refused its input. Callers match on the code; messages carry no data.
enum class paillier_errc : std::uint8_t {
  invalid_key_size = 1,    ///< modulus not an even bit count in [2048, 8192]
  malformed,               ///< text is not a number or key in the format paillier.hpp writes
  invalid_key,             ///< key numbers disagree (n != pq, g != n + 1, lambda * mu != 1 mod n)
  invalid_ciphertext,      ///< not in [1, n^2) or not coprime to n: not a ciphertext of this key
  plaintext_out_of_range,  ///< |m| >= n, or a decrypted value does not fit the requested type
  openssl_failure,         ///< OpenSSL failed (allocation, randomness)
};

/// The code's name, e.g. "invalid_ciphertext".
[[nodiscard]] const char* to_string(paillier_errc code) noexcept;

/// Thrown by this file and paillier.hpp when they refuse an input; what() is the code's name only.
class paillier_error : public std::runtime_error {
public:
  explicit paillier_error(paillier_errc code);
  [[nodiscard]] paillier_errc code() const noexcept { return code_; }

private:
  paillier_errc code_;
};

/// An arbitrary-precision signed integer owning an OpenSSL BIGNUM, cleared when freed.
/// A moved-from value may only be assigned to or destroyed.
class big_integer {
public:
  big_integer();  ///< zero
  explicit big_integer(std::int64_t value);
  big_integer(const big_integer& other);
  big_integer& operator=(const big_integer& other);
  big_integer(big_integer&&) noexcept = default;
  big_integer& operator=(big_integer&&) noexcept = default;
  ~big_integer();

  /// Parses decimal ("-123") or hex with a 0x prefix ("0x7b", "-0x7B"), as JS BigInt() reads.
  /// Throws paillier_error(malformed) on anything else, or past 10,000 characters.
  [[nodiscard]] static big_integer parse(std::string_view text);
  /// A uniform value in [0, bound) from OpenSSL's private DRBG; bound must be positive.
  [[nodiscard]] static big_integer random_below(const big_integer& bound);

  /// Lower-case hex with a 0x prefix ("0x7b", "-0x7b", "0x0"): BigInt(text) reads it.
  [[nodiscard]] std::string to_hex() const;
  [[nodiscard]] std::string to_decimal() const;
  /// The value if it fits an int64_t.
  [[nodiscard]] std::optional<std::int64_t> to_int64() const;
  /// The nearest double (rounded toward zero past 2^63); +-inf past DBL_MAX.
  [[nodiscard]] double to_double() const;
  /// Bits of the magnitude (0 for zero).
  [[nodiscard]] int bits() const;

  friend bool operator==(const big_integer& a, const big_integer& b);
  friend std::strong_ordering operator<=>(const big_integer& a, const big_integer& b);

  /// The BIGNUM, for OpenSSL arithmetic in tests and callers that need more than this class.
  [[nodiscard]] const bignum_st* get() const noexcept { return bn_.get(); }
  [[nodiscard]] bignum_st* get() noexcept { return bn_.get(); }

private:
  struct deleter {
    void operator()(bignum_st* bn) const noexcept;
  };
  std::unique_ptr<bignum_st, deleter> bn_;
};

/// Fraction bits of the fixed-point encoding used for sums of doubles (2^-32 resolution).
inline constexpr int default_fraction_bits = 32;

/// round(value * 2^fraction_bits) as an integer plaintext. Throws paillier_error
/// (plaintext_out_of_range) if value is not finite or fraction_bits is outside [0, 1024].
[[nodiscard]] big_integer encode_fixed(double value, int fraction_bits = default_fraction_bits);
/// plaintext * 2^-fraction_bits: the inverse of encode_fixed, also for sums of encoded values.
[[nodiscard]] double decode_fixed(const big_integer& plaintext,
                                  int fraction_bits = default_fraction_bits);

} // namespace aia::privacy
