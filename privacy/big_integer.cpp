// big_integer over OpenSSL BIGNUM, the fixed-point encoding, and the Paillier error type.
#include "privacy/big_integer.hpp"

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>

namespace aia::privacy {

static_assert(sizeof(BN_ULONG) >= sizeof(std::uint64_t), "64-bit BIGNUM words expected");

namespace {

constexpr std::size_t max_number_chars = 10000;

[[noreturn]] void fail(paillier_errc code) {
  throw paillier_error{code};
}

/// OpenSSL's BN functions return 1 on success.
void check(int rc) {
  if (rc != 1) {
    fail(paillier_errc::openssl_failure);
  }
}

} // namespace

// -- errors ------------------------------------------------------------------------------------

const char* to_string(paillier_errc code) noexcept {
  switch (code) {
    case paillier_errc::invalid_key_size:
      return "invalid_key_size";
    case paillier_errc::malformed:
      return "malformed";
    case paillier_errc::invalid_key:
      return "invalid_key";
    case paillier_errc::invalid_ciphertext:
      return "invalid_ciphertext";
    case paillier_errc::plaintext_out_of_range:
      return "plaintext_out_of_range";
    case paillier_errc::openssl_failure:
      return "openssl_failure";
  }
  return "unknown";
}

paillier_error::paillier_error(paillier_errc code)
  : std::runtime_error(std::string{"paillier: "} + to_string(code)), code_(code) {
}

// -- big_integer -------------------------------------------------------------------------------

void big_integer::deleter::operator()(bignum_st* bn) const noexcept {
  BN_clear_free(bn);
}

big_integer::big_integer() : bn_(BN_new()) {
  if (!bn_) {
    throw std::bad_alloc{};
  }
}

big_integer::big_integer(std::int64_t value) : big_integer() {
  auto magnitude = value < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(value)
                             : static_cast<std::uint64_t>(value);
  check(BN_set_word(bn_.get(), magnitude));
  BN_set_negative(bn_.get(), value < 0 ? 1 : 0);
}

big_integer::big_integer(const big_integer& other) : bn_(BN_dup(other.get())) {
  if (!bn_) {
    throw std::bad_alloc{};
  }
}

big_integer& big_integer::operator=(const big_integer& other) {
  if (this != &other && BN_copy(bn_.get(), other.get()) == nullptr) {
    throw std::bad_alloc{};
  }
  return *this;
}

big_integer::~big_integer() = default;

big_integer big_integer::parse(std::string_view text) {
  if (text.empty() || text.size() > max_number_chars) {
    fail(paillier_errc::malformed);
  }
  bool negative = text.front() == '-';
  if (negative) {
    text.remove_prefix(1);
  }
  bool hex = text.starts_with("0x") || text.starts_with("0X");
  if (hex) {
    text.remove_prefix(2);
  }
  auto is_digit = [hex](char c) {
    return (c >= '0' && c <= '9') || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
  };
  if (text.empty() || !std::all_of(text.begin(), text.end(), is_digit)) {
    fail(paillier_errc::malformed);
  }
  std::string digits{text};  // the BN parsers want a terminated string
  big_integer out;
  auto* bn = out.get();
  int used = hex ? BN_hex2bn(&bn, digits.c_str()) : BN_dec2bn(&bn, digits.c_str());
  OPENSSL_cleanse(digits.data(), digits.size());
  if (used != static_cast<int>(digits.size())) {
    fail(paillier_errc::malformed);
  }
  BN_set_negative(out.get(), negative && !BN_is_zero(out.get()) ? 1 : 0);
  return out;
}

big_integer big_integer::random_below(const big_integer& bound) {
  if (BN_is_negative(bound.get()) || BN_is_zero(bound.get())) {
    throw std::invalid_argument("big_integer::random_below: bound must be positive");
  }
  big_integer out;
  check(BN_priv_rand_range(out.get(), bound.get()));
  return out;
}

std::string big_integer::to_hex() const {
  char* raw = BN_bn2hex(get());
  if (raw == nullptr) {
    throw std::bad_alloc{};
  }
  std::string_view digits{raw};
  bool negative = digits.starts_with('-');
  if (negative) {
    digits.remove_prefix(1);
  }
  auto first = digits.find_first_not_of('0');  // BN_bn2hex writes whole bytes: "0F"
  digits = first == std::string_view::npos ? std::string_view{"0"} : digits.substr(first);
  std::string out = negative ? "-0x" : "0x";
  out.reserve(out.size() + digits.size());
  for (char c : digits) {
    out += (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  OPENSSL_clear_free(raw, std::strlen(raw));
  return out;
}

std::string big_integer::to_decimal() const {
  char* raw = BN_bn2dec(get());
  if (raw == nullptr) {
    throw std::bad_alloc{};
  }
  std::string out{raw};
  OPENSSL_clear_free(raw, out.size());
  return out;
}

std::optional<std::int64_t> big_integer::to_int64() const {
  if (BN_num_bits(get()) > 64) {
    return std::nullopt;
  }
  std::uint64_t magnitude = BN_get_word(get());
  constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (BN_is_negative(get())) {
    if (magnitude > max + 1) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(std::uint64_t{0} - magnitude);
  }
  if (magnitude > max) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(magnitude);
}

double big_integer::to_double() const {
  int n = bits();
  double magnitude = 0;
  if (n <= 64) {
    magnitude = static_cast<double>(BN_get_word(get()));
  } else {
    big_integer top;
    check(BN_rshift(top.get(), get(), n - 64));
    magnitude = std::ldexp(static_cast<double>(BN_get_word(top.get())), n - 64);
  }
  return BN_is_negative(get()) ? -magnitude : magnitude;
}

int big_integer::bits() const {
  return BN_num_bits(get());
}

bool operator==(const big_integer& a, const big_integer& b) {
  return BN_cmp(a.get(), b.get()) == 0;
}

std::strong_ordering operator<=>(const big_integer& a, const big_integer& b) {
  return BN_cmp(a.get(), b.get()) <=> 0;
}

// -- fixed point -------------------------------------------------------------------------------

big_integer encode_fixed(double value, int fraction_bits) {
  if (!std::isfinite(value) || fraction_bits < 0 || fraction_bits > 1024) {
    fail(paillier_errc::plaintext_out_of_range);
  }
  double scaled = std::round(std::ldexp(value, fraction_bits));
  if (!std::isfinite(scaled)) {
    fail(paillier_errc::plaintext_out_of_range);
  }
  if (std::fabs(scaled) < 0x1p63) {
    return big_integer{static_cast<std::int64_t>(scaled)};
  }
  // An integer-valued double of 2^63 or more: its 53-bit mantissa shifted into place.
  int exponent = 0;
  double fraction = std::frexp(scaled, &exponent);
  big_integer out{static_cast<std::int64_t>(std::ldexp(fraction, 53))};
  check(BN_lshift(out.get(), out.get(), exponent - 53));
  return out;
}

double decode_fixed(const big_integer& plaintext, int fraction_bits) {
  return std::ldexp(plaintext.to_double(), -fraction_bits);
}

} // namespace aia::privacy
