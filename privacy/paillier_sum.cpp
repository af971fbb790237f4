// Encrypting, adding and decrypting aggregate totals cell by cell.
#include "privacy/paillier_sum.hpp"

#include <stdexcept>

namespace aia::privacy {

namespace {

constexpr std::int64_t exact_limit = std::int64_t{1} << 53;

std::vector<paillier_ciphertext> encrypt_all(const std::vector<std::int64_t>& xs,
                                             const paillier_public_key& key) {
  std::vector<paillier_ciphertext> out;
  out.reserve(xs.size());
  for (auto x : xs) {
    out.push_back(key.encrypt(x));
  }
  return out;
}

std::vector<paillier_ciphertext> add_all(const std::vector<paillier_ciphertext>& a,
                                         const std::vector<paillier_ciphertext>& b,
                                         const paillier_public_key& key) {
  std::vector<paillier_ciphertext> out;
  out.reserve(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    out.push_back(key.add(a[i], b[i]));
  }
  return out;
}

std::vector<std::int64_t> decrypt_all(const std::vector<paillier_ciphertext>& cs,
                                      const paillier_private_key& key) {
  std::vector<std::int64_t> out;
  out.reserve(cs.size());
  for (const auto& c : cs) {
    const auto x = key.decrypt_int64(c);
    if (x >= exact_limit || x <= -exact_limit) {
      throw paillier_error(paillier_errc::plaintext_out_of_range);
    }
    out.push_back(x);
  }
  return out;
}

} // namespace

encrypted_totals encrypt_totals(const aggregate_totals& totals, const paillier_public_key& key) {
  return {totals.dimensions, encrypt_all(totals.counts, key), encrypt_all(totals.sums, key),
          totals.outside_domain};
}

encrypted_totals add_totals(const encrypted_totals& a, const encrypted_totals& b,
                            const paillier_public_key& key) {
  if (a.dimensions != b.dimensions || a.counts.size() != b.counts.size()
      || a.sums.size() != b.sums.size()) {
    throw std::invalid_argument("add_totals: totals of different shapes");
  }
  return {a.dimensions, add_all(a.counts, b.counts, key), add_all(a.sums, b.sums, key),
          a.outside_domain + b.outside_domain};
}

aggregate_totals decrypt_totals(const encrypted_totals& totals, const paillier_private_key& key) {
  return {totals.dimensions, decrypt_all(totals.counts, key), decrypt_all(totals.sums, key),
          totals.outside_domain};
}

} // namespace aia::privacy
