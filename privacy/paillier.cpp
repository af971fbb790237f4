// Paillier over OpenSSL BIGNUM: keys, encryption with fresh randomness, homomorphic operations,
// CRT decryption, and the keys' JSON forms that paillier-bigint reads (text in
// detail/paillier_format).
#include "privacy/paillier.hpp"

#include "privacy/detail/paillier_format.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>

#include <array>
#include <initializer_list>
#include <utility>

namespace aia::privacy {

// -- helpers -----------------------------------------------------------------------------------

namespace {

constexpr int min_modulus_bits = 2048;
constexpr int max_modulus_bits = 8192;

[[noreturn]] void fail(paillier_errc code) {
  throw paillier_error{code};
}

/// OpenSSL's BN functions return 1 on success.
void check(int rc) {
  if (rc != 1) {
    fail(paillier_errc::openssl_failure);
  }
}

struct ctx_deleter {
  void operator()(BN_CTX* ctx) const noexcept { BN_CTX_free(ctx); }
};
using bn_ctx = std::unique_ptr<BN_CTX, ctx_deleter>;

/// A BN_CTX whose temporaries are cleared when freed (they hold secret intermediates).
bn_ctx new_ctx() {
  bn_ctx ctx{BN_CTX_secure_new()};
  if (!ctx) {
    fail(paillier_errc::openssl_failure);
  }
  return ctx;
}

struct mont_deleter {
  void operator()(BN_MONT_CTX* mont) const noexcept { BN_MONT_CTX_free(mont); }
};
using mont_ctx = std::unique_ptr<BN_MONT_CTX, mont_deleter>;

/// Montgomery constants for an odd modulus, computed once per key: read-only afterwards, so
/// BN_mod_exp_mont may use them from many threads.
mont_ctx new_mont(const big_integer& modulus, BN_CTX* ctx) {
  mont_ctx mont{BN_MONT_CTX_new()};
  if (!mont || BN_MONT_CTX_set(mont.get(), modulus.get(), ctx) != 1) {
    fail(paillier_errc::openssl_failure);
  }
  return mont;
}

/// Marks a secret exponent or modulus so OpenSSL takes its constant-time paths.
void mark_secret(big_integer& x) {
  BN_set_flags(x.get(), BN_FLG_CONSTTIME);
}

big_integer product(const big_integer& a, const big_integer& b, BN_CTX* ctx) {
  big_integer out;
  check(BN_mul(out.get(), a.get(), b.get(), ctx));
  return out;
}

big_integer minus_one(const big_integer& a) {
  big_integer out{a};
  check(BN_sub_word(out.get(), 1));
  return out;
}

/// (x - 1) / d, Paillier's L function (exact for the values it gets).
big_integer l_function(const big_integer& x, const big_integer& d, BN_CTX* ctx) {
  auto t = minus_one(x);
  big_integer out;
  check(BN_div(out.get(), nullptr, t.get(), d.get(), ctx));
  return out;
}

/// gcd(a, b) = 1, by OpenSSL's constant-time gcd: for secret values (r, the key's primes).
bool coprime(const big_integer& a, const big_integer& b, BN_CTX* ctx) {
  big_integer g;
  check(BN_gcd(g.get(), a.get(), b.get(), ctx));
  return BN_is_one(g.get()) == 1;
}

} // namespace

// -- public key --------------------------------------------------------------------------------

/// What a public key is: n, n^2, floor(n / 2) for the signed decoding, Montgomery constants.
struct paillier_key_state {
  big_integer n;
  big_integer n_squared;
  big_integer half_n;
  int bits = 0;
  mont_ctx mont_n_squared;
};

namespace {

/// The state of the key with modulus n: refuses sizes outside the range and even moduli.
std::shared_ptr<paillier_key_state> make_key_state(big_integer n, BN_CTX* ctx) {
  auto bits = n.bits();
  if (bits < min_modulus_bits || bits > max_modulus_bits || BN_is_negative(n.get())) {
    fail(paillier_errc::invalid_key_size);
  }
  if (!BN_is_odd(n.get())) {
    fail(paillier_errc::invalid_key);
  }
  auto state = std::make_shared<paillier_key_state>();
  state->n_squared = product(n, n, ctx);
  check(BN_rshift1(state->half_n.get(), n.get()));
  state->bits = bits;
  state->mont_n_squared = new_mont(state->n_squared, ctx);
  state->n = std::move(n);
  return state;
}

/// Whether public `a` is invertible mod n. BN_mod_inverse on unflagged values is several times
/// faster than BN_gcd, which is constant-time and pays for it; a ciphertext is no secret.
bool invertible(const big_integer& a, const big_integer& n, BN_CTX* ctx) {
  big_integer reduced;
  big_integer inverse;
  check(BN_nnmod(reduced.get(), a.get(), n.get(), ctx));
  ERR_set_mark();
  bool ok = BN_mod_inverse(inverse.get(), reduced.get(), n.get(), ctx) != nullptr;
  bool no_inverse = !ok && ERR_GET_REASON(ERR_peek_last_error()) == BN_R_NO_INVERSE;
  ERR_pop_to_mark();
  if (!ok && !no_inverse) {
    fail(paillier_errc::openssl_failure);
  }
  return ok;
}

/// 1 <= c < n^2 and gcd(c, n) = 1: c is a unit mod n^2, so some plaintext and r give it.
bool valid_ciphertext(const paillier_key_state& key, const big_integer& c, BN_CTX* ctx) {
  return !BN_is_negative(c.get()) && !BN_is_zero(c.get())
         && BN_cmp(c.get(), key.n_squared.get()) < 0 && invertible(c, key.n, ctx);
}

/// m mod n for -n < m < n; throws plaintext_out_of_range for anything larger.
big_integer residue(const paillier_key_state& key, const big_integer& m,
                    BN_CTX* ctx) {
  if (BN_ucmp(m.get(), key.n.get()) >= 0) {
    fail(paillier_errc::plaintext_out_of_range);
  }
  big_integer out;
  check(BN_nnmod(out.get(), m.get(), key.n.get(), ctx));
  return out;
}

/// g^m = 1 + m n mod n^2 for m in [0, n): no exponentiation needed with g = n + 1.
big_integer g_to(const paillier_key_state& key, const big_integer& m, BN_CTX* ctx) {
  auto out = product(m, key.n, ctx);
  check(BN_add_word(out.get(), 1));
  return out;
}

/// r^n mod n^2 for a fresh r uniform in Z*_n (the encryption's randomness, kept secret).
big_integer random_mask(const paillier_key_state& key, BN_CTX* ctx) {
  big_integer r;
  do {
    check(BN_priv_rand_range(r.get(), key.n.get()));
  } while (BN_is_zero(r.get()) || !coprime(r, key.n, ctx));
  mark_secret(r);
  big_integer out;
  check(BN_mod_exp_mont(out.get(), r.get(), key.n.get(), key.n_squared.get(), ctx,
                        key.mont_n_squared.get()));
  return out;
}

big_integer mul_mod(const big_integer& a, const big_integer& b, const big_integer& m,
                    BN_CTX* ctx) {
  big_integer out;
  check(BN_mod_mul(out.get(), a.get(), b.get(), m.get(), ctx));
  return out;
}

} // namespace

paillier_ciphertext::paillier_ciphertext(big_integer value,
                                         std::shared_ptr<const paillier_key_state> key)
  : value_(std::move(value)), key_(std::move(key)) {
}

paillier_public_key::paillier_public_key(std::shared_ptr<const paillier_key_state> state)
  : state_(std::move(state)) {
}

paillier_public_key paillier_public_key::from_json(std::string_view json) {
  auto numbers = detail::read_numbers(json, {"n", "g"});
  auto& n = numbers[0];
  auto& g = numbers[1];
  auto ctx = new_ctx();
  auto state = make_key_state(std::move(n), ctx.get());
  check(BN_sub_word(g.get(), 1));
  if (g != state->n) {
    fail(paillier_errc::invalid_key);  // only the g = n + 1 variant is supported
  }
  return paillier_public_key{std::move(state)};
}

std::string paillier_public_key::to_json() const {
  big_integer g{state_->n};
  check(BN_add_word(g.get(), 1));
  std::array<std::pair<const char*, const big_integer*>, 2> fields{{{"n", &state_->n}, {"g", &g}}};
  return detail::write_numbers(fields, state_->bits);
}

const big_integer& paillier_public_key::n() const noexcept {
  return state_->n;
}

int paillier_public_key::modulus_bits() const noexcept {
  return state_->bits;
}

paillier_ciphertext paillier_public_key::wrap(big_integer value) const {
  return paillier_ciphertext{std::move(value), state_};
}

const big_integer& paillier_public_key::checked(const paillier_ciphertext& c) const {
  // Made or checked under this key (or one with the same n): a unit mod n^2 by construction,
  // since products and powers of units are units.
  if (c.key_ == state_ || (c.key_ && c.key_->n == state_->n)) {
    return c.value_;
  }
  auto ctx = new_ctx();
  if (!valid_ciphertext(*state_, c.value_, ctx.get())) {
    fail(paillier_errc::invalid_ciphertext);
  }
  return c.value_;
}

paillier_ciphertext paillier_public_key::encrypt(const big_integer& m) const {
  auto ctx = new_ctx();
  auto gm = g_to(*state_, residue(*state_, m, ctx.get()), ctx.get());
  auto mask = random_mask(*state_, ctx.get());
  return wrap(mul_mod(gm, mask, state_->n_squared, ctx.get()));
}

paillier_ciphertext paillier_public_key::encrypt(std::int64_t m) const {
  return encrypt(big_integer{m});
}

paillier_ciphertext paillier_public_key::encrypt_fixed(double value, int fraction_bits) const {
  return encrypt(encode_fixed(value, fraction_bits));
}

paillier_ciphertext paillier_public_key::add(const paillier_ciphertext& a,
                                             const paillier_ciphertext& b) const {
  auto ctx = new_ctx();
  return wrap(mul_mod(checked(a), checked(b), state_->n_squared, ctx.get()));
}

paillier_ciphertext paillier_public_key::sum(std::span<const paillier_ciphertext> cs) const {
  auto ctx = new_ctx();
  big_integer acc{1};
  for (const auto& c : cs) {
    acc = mul_mod(acc, checked(c), state_->n_squared, ctx.get());
  }
  return wrap(std::move(acc));
}

paillier_ciphertext paillier_public_key::add_plain(const paillier_ciphertext& c,
                                                   const big_integer& k) const {
  auto ctx = new_ctx();
  auto gk = g_to(*state_, residue(*state_, k, ctx.get()), ctx.get());
  return wrap(mul_mod(checked(c), gk, state_->n_squared, ctx.get()));
}

paillier_ciphertext paillier_public_key::mul_plain(const paillier_ciphertext& c,
                                                   const big_integer& k) const {
  auto ctx = new_ctx();
  auto exponent = residue(*state_, k, ctx.get());  // c^(k mod n) = E(k m mod n) for negative k too
  big_integer out;
  check(BN_mod_exp_mont(out.get(), checked(c).get(), exponent.get(), state_->n_squared.get(),
                        ctx.get(), state_->mont_n_squared.get()));
  return wrap(std::move(out));
}

paillier_ciphertext paillier_public_key::rerandomize(const paillier_ciphertext& c) const {
  auto ctx = new_ctx();
  const auto& value = checked(c);
  return wrap(mul_mod(value, random_mask(*state_, ctx.get()), state_->n_squared, ctx.get()));
}

paillier_ciphertext paillier_public_key::parse_ciphertext(std::string_view text) const {
  auto value = big_integer::parse(text);
  auto ctx = new_ctx();
  if (!valid_ciphertext(*state_, value, ctx.get())) {
    fail(paillier_errc::invalid_ciphertext);
  }
  return wrap(std::move(value));
}

bool operator==(const paillier_public_key& a, const paillier_public_key& b) {
  return a.state_ == b.state_ || a.state_->n == b.state_->n;
}

// -- private key -------------------------------------------------------------------------------

/// The secret numbers and what CRT decryption precomputes from them. Exponents and moduli are
/// flagged for OpenSSL's constant-time paths.
struct paillier_private_key::secret_state {
  big_integer p, q, lambda, mu;
  big_integer p_minus_1, q_minus_1, p_squared, q_squared;
  big_integer h_p, h_q;  ///< L_p(g^(p-1) mod p^2)^-1 mod p, and the same for q
  big_integer q_inverse;  ///< q^-1 mod p, for Garner's recombination
  mont_ctx mont_p_squared, mont_q_squared;
};

paillier_private_key::paillier_private_key(paillier_public_key pub,
                                           std::unique_ptr<secret_state> secret)
  : public_(std::move(pub)), secret_(std::move(secret)) {
}

paillier_private_key::paillier_private_key(paillier_private_key&&) noexcept = default;
paillier_private_key& paillier_private_key::operator=(paillier_private_key&&) noexcept = default;
paillier_private_key::~paillier_private_key() = default;

paillier_private_key paillier_private_key::assemble(big_integer n, big_integer p, big_integer q,
                                                    big_integer lambda, big_integer mu) {
  auto ctx = new_ctx();
  auto state = make_key_state(std::move(n), ctx.get());
  auto s = std::make_unique<secret_state>();
  s->p_minus_1 = minus_one(p);
  s->q_minus_1 = minus_one(q);
  s->p_squared = product(p, p, ctx.get());
  s->q_squared = product(q, q, ctx.get());
  for (auto* x : {&p, &q, &lambda, &s->p_minus_1, &s->q_minus_1, &s->p_squared, &s->q_squared}) {
    mark_secret(*x);
  }
  s->mont_p_squared = new_mont(s->p_squared, ctx.get());
  s->mont_q_squared = new_mont(s->q_squared, ctx.get());
  // h_p = L_p(g^(p-1) mod p^2)^-1 mod p with g = n + 1 (Paillier 1999, section 7).
  auto h = [&](const big_integer& prime, const big_integer& prime_minus_1,
               const big_integer& prime_squared, BN_MONT_CTX* mont) {
    big_integer g{state->n};
    check(BN_add_word(g.get(), 1));
    check(BN_nnmod(g.get(), g.get(), prime_squared.get(), ctx.get()));
    big_integer t;
    check(BN_mod_exp_mont(t.get(), g.get(), prime_minus_1.get(), prime_squared.get(), ctx.get(),
                          mont));
    auto l = l_function(t, prime, ctx.get());
    big_integer out;
    if (BN_mod_inverse(out.get(), l.get(), prime.get(), ctx.get()) == nullptr) {
      fail(paillier_errc::invalid_key);
    }
    return out;
  };
  s->h_p = h(p, s->p_minus_1, s->p_squared, s->mont_p_squared.get());
  s->h_q = h(q, s->q_minus_1, s->q_squared, s->mont_q_squared.get());
  if (BN_mod_inverse(s->q_inverse.get(), q.get(), p.get(), ctx.get()) == nullptr) {
    fail(paillier_errc::invalid_key);
  }
  s->p = std::move(p);
  s->q = std::move(q);
  s->lambda = std::move(lambda);
  s->mu = std::move(mu);
  return paillier_private_key{paillier_public_key{std::move(state)}, std::move(s)};
}

paillier_private_key paillier_private_key::generate(int modulus_bits) {
  if (modulus_bits < min_modulus_bits || modulus_bits > max_modulus_bits || modulus_bits % 2 != 0) {
    fail(paillier_errc::invalid_key_size);
  }
  auto ctx = new_ctx();
  int prime_bits = modulus_bits / 2;
  for (;;) {
    big_integer p;
    big_integer q;
    check(BN_generate_prime_ex2(p.get(), prime_bits, 0, nullptr, nullptr, nullptr, ctx.get()));
    check(BN_generate_prime_ex2(q.get(), prime_bits, 0, nullptr, nullptr, nullptr, ctx.get()));
    auto n = product(p, q, ctx.get());
    big_integer distance;
    check(BN_sub(distance.get(), p.get(), q.get()));
    // OpenSSL sets each prime's top two bits, so n has exactly modulus_bits bits; p and q far
    // apart (FIPS 186-5 B.3.1: |p - q| > 2^(bits/2 - 100)) keeps Fermat factoring out of reach.
    if (n.bits() != modulus_bits || distance.bits() <= prime_bits - 100) {
      continue;
    }
    auto p_minus_1 = minus_one(p);
    auto q_minus_1 = minus_one(q);
    auto phi = product(p_minus_1, q_minus_1, ctx.get());
    if (!coprime(n, phi, ctx.get())) {
      continue;  // cannot happen for equal-size primes; checked as the scheme requires
    }
    big_integer g;
    big_integer lambda;
    check(BN_gcd(g.get(), p_minus_1.get(), q_minus_1.get(), ctx.get()));
    check(BN_div(lambda.get(), nullptr, phi.get(), g.get(), ctx.get()));  // lcm(p-1, q-1)
    mark_secret(lambda);
    big_integer mu;
    if (BN_mod_inverse(mu.get(), lambda.get(), n.get(), ctx.get()) == nullptr) {
      continue;
    }
    return assemble(std::move(n), std::move(p), std::move(q), std::move(lambda), std::move(mu));
  }
}

paillier_private_key paillier_private_key::from_secret_json(std::string_view json) {
  auto numbers = detail::read_numbers(json, {"n", "g", "lambda", "mu", "p", "q"});
  auto& n = numbers[0];
  auto& g = numbers[1];
  auto& lambda = numbers[2];
  auto& mu = numbers[3];
  auto& p = numbers[4];
  auto& q = numbers[5];
  auto ctx = new_ctx();
  auto bits = n.bits();
  if (bits < min_modulus_bits || bits > max_modulus_bits) {
    fail(paillier_errc::invalid_key_size);
  }
  auto positive = [](const big_integer& x) {
    return !BN_is_negative(x.get()) && !BN_is_zero(x.get());
  };
  check(BN_sub_word(g.get(), 1));
  if (!positive(lambda) || !positive(mu) || !positive(p) || !positive(q) || g != n || p == q
      || product(p, q, ctx.get()) != n) {
    fail(paillier_errc::invalid_key);
  }
  if (BN_check_prime(p.get(), ctx.get(), nullptr) != 1
      || BN_check_prime(q.get(), ctx.get(), nullptr) != 1) {
    fail(paillier_errc::invalid_key);
  }
  // lambda must be a multiple of lcm(p-1, q-1) (so r^(n lambda) = 1 mod n^2), and mu its inverse.
  auto p_minus_1 = minus_one(p);
  auto q_minus_1 = minus_one(q);
  auto phi = product(p_minus_1, q_minus_1, ctx.get());
  big_integer gcd;
  big_integer lcm;
  big_integer rest;
  check(BN_gcd(gcd.get(), p_minus_1.get(), q_minus_1.get(), ctx.get()));
  check(BN_div(lcm.get(), nullptr, phi.get(), gcd.get(), ctx.get()));
  check(BN_nnmod(rest.get(), lambda.get(), lcm.get(), ctx.get()));
  auto one = mul_mod(lambda, mu, n, ctx.get());
  if (!coprime(n, phi, ctx.get()) || !BN_is_zero(rest.get()) || !BN_is_one(one.get())) {
    fail(paillier_errc::invalid_key);
  }
  return assemble(std::move(n), std::move(p), std::move(q), std::move(lambda), std::move(mu));
}

std::string paillier_private_key::to_secret_json() const {
  big_integer g{public_.n()};
  check(BN_add_word(g.get(), 1));
  const auto& s = *secret_;
  std::array<std::pair<const char*, const big_integer*>, 6> fields{
    {{"n", &public_.n()}, {"g", &g}, {"lambda", &s.lambda}, {"mu", &s.mu}, {"p", &s.p},
     {"q", &s.q}}};
  return detail::write_numbers(fields, public_.modulus_bits());
}

big_integer paillier_private_key::decrypt_residue(const paillier_ciphertext& c,
                                                  paillier_decryption how) const {
  const auto& key = *public_.state_;
  const auto& s = *secret_;
  const auto& value = public_.checked(c);
  auto ctx = new_ctx();
  if (how == paillier_decryption::textbook) {
    big_integer u;
    check(BN_mod_exp_mont(u.get(), value.get(), s.lambda.get(), key.n_squared.get(), ctx.get(),
                          key.mont_n_squared.get()));
    return mul_mod(l_function(u, key.n, ctx.get()), s.mu, key.n, ctx.get());
  }
  // m_p = L_p(c^(p-1) mod p^2) h_p mod p, the same mod q, then Garner:
  // m = m_q + q ((m_p - m_q) q^-1 mod p).
  auto half = [&](const big_integer& prime, const big_integer& prime_minus_1,
                  const big_integer& prime_squared, const big_integer& h, BN_MONT_CTX* mont) {
    big_integer reduced;
    check(BN_nnmod(reduced.get(), value.get(), prime_squared.get(), ctx.get()));
    big_integer u;
    check(BN_mod_exp_mont(u.get(), reduced.get(), prime_minus_1.get(), prime_squared.get(),
                          ctx.get(), mont));
    return mul_mod(l_function(u, prime, ctx.get()), h, prime, ctx.get());
  };
  auto m_p = half(s.p, s.p_minus_1, s.p_squared, s.h_p, s.mont_p_squared.get());
  auto m_q = half(s.q, s.q_minus_1, s.q_squared, s.h_q, s.mont_q_squared.get());
  big_integer t;
  check(BN_mod_sub(t.get(), m_p.get(), m_q.get(), s.p.get(), ctx.get()));
  t = mul_mod(t, s.q_inverse, s.p, ctx.get());
  auto m = product(t, s.q, ctx.get());
  check(BN_add(m.get(), m.get(), m_q.get()));
  return m;
}

big_integer paillier_private_key::decrypt(const paillier_ciphertext& c,
                                          paillier_decryption how) const {
  auto m = decrypt_residue(c, how);
  const auto& key = *public_.state_;
  if (BN_cmp(m.get(), key.half_n.get()) > 0) {
    check(BN_sub(m.get(), m.get(), key.n.get()));  // the upper half encodes negative values
  }
  return m;
}

std::int64_t paillier_private_key::decrypt_int64(const paillier_ciphertext& c) const {
  auto value = decrypt(c).to_int64();
  if (!value) {
    fail(paillier_errc::plaintext_out_of_range);
  }
  return *value;
}

double paillier_private_key::decrypt_fixed(const paillier_ciphertext& c, int fraction_bits) const {
  return decode_fixed(decrypt(c), fraction_bits);
}

} // namespace aia::privacy
