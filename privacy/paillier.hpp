// Paillier additively homomorphic encryption (g = n + 1) over OpenSSL BIGNUM: encrypted sums of
// state dimensions across users and nodes, readable by paillier-bigint (tests/privacy/interop).
#pragma once

#include "privacy/big_integer.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace aia::privacy {

class paillier_public_key;
class paillier_private_key;
struct paillier_key_state;  ///< opaque: what a public key precomputes, shared by its copies

/// A Paillier ciphertext, remembering the key it was made or checked under (so operations under
/// that key skip re-checking it). Serialized as 0x-hex; parse with paillier_public_key.
class paillier_ciphertext {
public:
  /// c in [1, n^2).
  [[nodiscard]] const big_integer& value() const noexcept { return value_; }
  /// Lower-case 0x-hex, as paillier-bigint reads it with BigInt(text).
  [[nodiscard]] std::string to_string() const { return value_.to_hex(); }

private:
  friend class paillier_public_key;
  friend class paillier_private_key;
  paillier_ciphertext(big_integer value, std::shared_ptr<const paillier_key_state> key);

  big_integer value_;
  std::shared_ptr<const paillier_key_state> key_;  ///< the key it is known valid under
};

/// A Paillier public key (n, g = n + 1): encrypts and computes on ciphertexts. Plaintexts are
/// integers mod n; signed values in (-n/2, n/2] are encoded as m mod n. Copies share one
/// immutable state; every member is safe to call from many threads.
///
/// Paillier gives confidentiality only, no integrity: anyone with the public key can make or
/// alter ciphertexts, and a ciphertext decrypted under the wrong key yields a wrong number (an
/// error only when it is out of range or not coprime to that key's n). Authenticate
/// ciphertexts separately (e.g. sign or seal them) where that matters.
class paillier_public_key {
public:
  /// Reads {"n":"0x…","g":"0x…"} (hex or decimal strings). Throws paillier_error: malformed,
  /// invalid_key (g != n + 1, n even) or invalid_key_size.
  [[nodiscard]] static paillier_public_key from_json(std::string_view json);
  /// {"n":"0x…","g":"0x…"}: new PublicKey(BigInt(o.n), BigInt(o.g)) in paillier-bigint.
  [[nodiscard]] std::string to_json() const;

  [[nodiscard]] const big_integer& n() const noexcept;
  [[nodiscard]] int modulus_bits() const noexcept;

  /// E(m) = (1 + m n) r^n mod n^2 with fresh r uniform in Z*_n (BN_priv_rand_range, redrawn
  /// unless gcd(r, n) = 1; r^n by constant-time exponentiation). Accepts -n < m < n (negative m
  /// encodes as m + n); throws paillier_error(plaintext_out_of_range) otherwise.
  [[nodiscard]] paillier_ciphertext encrypt(const big_integer& m) const;
  [[nodiscard]] paillier_ciphertext encrypt(std::int64_t m) const;
  /// E(encode_fixed(value, fraction_bits)).
  [[nodiscard]] paillier_ciphertext
  encrypt_fixed(double value, int fraction_bits = default_fraction_bits) const;

  /// E(m1 + m2): a * b mod n^2.
  [[nodiscard]] paillier_ciphertext add(const paillier_ciphertext& a,
                                        const paillier_ciphertext& b) const;
  /// E(sum of all); E(0) with r = 1 (not hiding) for an empty span: rerandomize before release.
  [[nodiscard]] paillier_ciphertext sum(std::span<const paillier_ciphertext> cs) const;
  /// E(m + k) for plaintext -n < k < n. Deterministic in c: rerandomize before release.
  [[nodiscard]] paillier_ciphertext add_plain(const paillier_ciphertext& c,
                                              const big_integer& k) const;
  /// E(k * m) for -n < k < n (c^(k mod n)). Deterministic in c: rerandomize before release.
  [[nodiscard]] paillier_ciphertext mul_plain(const paillier_ciphertext& c,
                                              const big_integer& k) const;
  /// The same plaintext under fresh randomness: c * r^n mod n^2.
  [[nodiscard]] paillier_ciphertext rerandomize(const paillier_ciphertext& c) const;

  /// Reads a ciphertext (0x-hex or decimal) and checks it belongs to this key: 1 <= c < n^2 and
  /// gcd(c, n) = 1. Throws paillier_error(malformed or invalid_ciphertext).
  [[nodiscard]] paillier_ciphertext parse_ciphertext(std::string_view text) const;

  /// Same modulus.
  friend bool operator==(const paillier_public_key& a, const paillier_public_key& b);

private:
  friend class paillier_private_key;
  explicit paillier_public_key(std::shared_ptr<const paillier_key_state> state);
  /// `c` itself if it is known valid under this key, else checked (throws invalid_ciphertext).
  [[nodiscard]] const big_integer& checked(const paillier_ciphertext& c) const;
  [[nodiscard]] paillier_ciphertext wrap(big_integer value) const;

  std::shared_ptr<const paillier_key_state> state_;
};

/// How a private key decrypts: both give the same plaintext.
enum class paillier_decryption : std::uint8_t {
  crt,       ///< mod p^2 and q^2 with exponents p-1, q-1, then CRT: about 3-4x faster (default)
  textbook,  ///< L(c^lambda mod n^2) * mu mod n, with L(x) = (x - 1) / n
};

/// A Paillier private key (p, q, lambda = lcm(p-1, q-1), mu = lambda^-1 mod n) and its public
/// key. Move-only; its numbers are cleared when freed and never appear in messages or logs.
/// Every const member is safe to call from many threads.
class paillier_private_key {
public:
  /// A fresh key pair with primes of modulus_bits / 2 bits each (BN_generate_prime_ex2), n of
  /// exactly modulus_bits bits. 2048 is the default, 3072 the long-term option; any even size in
  /// [2048, 8192] is accepted, others throw paillier_error(invalid_key_size).
  [[nodiscard]] static paillier_private_key generate(int modulus_bits = 2048);

  /// Reads what to_secret_json wrote (also a paillier-bigint key with g = n + 1, lambda = phi).
  /// Checks p and q are distinct primes with pq = n, lambda a multiple of lcm(p-1, q-1) and
  /// lambda * mu = 1 mod n. Throws paillier_error(malformed, invalid_key, invalid_key_size).
  [[nodiscard]] static paillier_private_key from_secret_json(std::string_view json);
  /// {"n","g","lambda","mu","p","q"} as 0x-hex strings: new PrivateKey(lambda, mu, publicKey, p, q)
  /// in paillier-bigint. Secret: store it sealed or mode 0600, never log it; cleanse the copy.
  [[nodiscard]] std::string to_secret_json() const;

  paillier_private_key(paillier_private_key&&) noexcept;
  paillier_private_key& operator=(paillier_private_key&&) noexcept;
  ~paillier_private_key();

  [[nodiscard]] const paillier_public_key& public_key() const noexcept { return public_; }

  /// The plaintext in (-n/2, n/2] (residues above n/2 decode as negative). Throws
  /// paillier_error(invalid_ciphertext) if c is not in [1, n^2) or not coprime to n.
  [[nodiscard]] big_integer decrypt(const paillier_ciphertext& c,
                                    paillier_decryption how = paillier_decryption::crt) const;
  /// The plaintext as the residue in [0, n), as paillier-bigint's decrypt returns it.
  [[nodiscard]] big_integer
  decrypt_residue(const paillier_ciphertext& c,
                  paillier_decryption how = paillier_decryption::crt) const;
  /// decrypt() as an int64_t; throws paillier_error(plaintext_out_of_range) if it does not fit.
  [[nodiscard]] std::int64_t decrypt_int64(const paillier_ciphertext& c) const;
  /// decode_fixed(decrypt(c), fraction_bits).
  [[nodiscard]] double decrypt_fixed(const paillier_ciphertext& c,
                                     int fraction_bits = default_fraction_bits) const;

private:
  struct secret_state;
  paillier_private_key(paillier_public_key pub, std::unique_ptr<secret_state> secret);
  /// Precomputes the CRT constants; lambda and mu are trusted (checked by the callers).
  [[nodiscard]] static paillier_private_key assemble(big_integer n, big_integer p, big_integer q,
                                                     big_integer lambda, big_integer mu);

  paillier_public_key public_;
  std::unique_ptr<secret_state> secret_;
};

} // namespace aia::privacy
