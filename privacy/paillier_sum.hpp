// Encrypted aggregate totals: each partition (a page of users, later a node) encrypts its
// fixed-point totals under the aggregator's Paillier public key, the aggregator multiplies the
// ciphertexts (adding the plaintexts) and decrypts only the final totals.
#pragma once

#include "privacy/dp_aggregate.hpp"
#include "privacy/paillier.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace aia::privacy {

/// aggregate_totals under Paillier: one ciphertext per count and per sum.
///
/// Plaintexts are the totals' integers: counts, and sums in units of 2^-aggregate_fraction_bits
/// (the same fixed point as the clear path, so both paths give identical totals). A negative
/// sum m is encrypted as m + n (paillier_public_key::encrypt) and decrypts back to m, since
/// every total stays below 2^53 in magnitude, far inside (-n/2, n/2]. `outside_domain` is a
/// count the caller keeps anyway, carried in clear.
struct encrypted_totals {
  std::size_t dimensions = 0;
  std::vector<paillier_ciphertext> counts; ///< one per domain key
  std::vector<paillier_ciphertext> sums;   ///< counts.size() × dimensions, group-major
  std::uint64_t outside_domain = 0;
};

/// Encrypts one partition's totals under `key` (fresh randomness per cell).
[[nodiscard]] encrypted_totals encrypt_totals(const aggregate_totals& totals,
                                              const paillier_public_key& key);

/// E(a + b) cell by cell, under `key` (both must be encrypted under it). Throws
/// std::invalid_argument for different shapes, paillier_error for a foreign ciphertext.
[[nodiscard]] encrypted_totals add_totals(const encrypted_totals& a, const encrypted_totals& b,
                                          const paillier_public_key& key);

/// The plaintext totals. Throws paillier_error if a cell does not decrypt to a value below
/// 2^53 in magnitude (a wrong key, or a forged ciphertext: Paillier has no integrity).
[[nodiscard]] aggregate_totals decrypt_totals(const encrypted_totals& totals,
                                              const paillier_private_key& key);

} // namespace aia::privacy
