// Paillier timings: key generation, encryption, homomorphic operations and decryption (CRT and
// textbook) for 2048- and 3072-bit moduli, each the median of repeated runs on one core.
//
//   privacy_paillier_bench [--reps 50] [--keygen-reps 5] [--bits 2048,3072]
#include "privacy/paillier.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

using aia::privacy::big_integer;
using aia::privacy::paillier_ciphertext;
using aia::privacy::paillier_decryption;
using aia::privacy::paillier_private_key;

namespace {

using clock_type = std::chrono::steady_clock;

/// Median wall time of `reps` calls of `f`, in microseconds.
double median_us(int reps, const std::function<void()>& f) {
  std::vector<double> times;
  times.reserve(static_cast<std::size_t>(reps));
  for (int i = 0; i < reps; ++i) {
    auto start = clock_type::now();
    f();
    times.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void row(const char* what, double us) {
  if (us >= 1000) {
    std::printf("  %-34s %10.2f ms\n", what, us / 1000);
  } else {
    std::printf("  %-34s %10.2f us\n", what, us);
  }
}

void bench(int bits, int reps, int keygen_reps) {
  std::printf("modulus %d bits (median of %d; key generation of %d)\n", bits, reps, keygen_reps);
  row("keygen", median_us(keygen_reps, [&] { (void)paillier_private_key::generate(bits); }));
  auto sk = paillier_private_key::generate(bits);
  const auto& pk = sk.public_key();
  auto m = big_integer::random_below(pk.n());
  auto c = pk.encrypt(m);
  auto d = pk.encrypt(12345);
  std::vector<paillier_ciphertext> users(100, pk.encrypt(1));
  big_integer small_k{1000003};
  auto full_k = big_integer::random_below(pk.n());
  auto text = c.to_string();
  volatile std::size_t sink = 0;  // keeps results alive

  row("encrypt (full-size m)", median_us(reps, [&] {
        sink = sink + pk.encrypt(m).value().bits();
      }));
  row("encrypt (int64)", median_us(reps, [&] { sink = sink + pk.encrypt(42).value().bits(); }));
  row("add (c1 * c2)", median_us(reps * 20, [&] { sink = sink + pk.add(c, d).value().bits(); }));
  row("sum of 100 ciphertexts", median_us(reps, [&] {
        sink = sink + pk.sum(users).value().bits();
      }));
  row("add_plain", median_us(reps * 20, [&] {
        sink = sink + pk.add_plain(c, small_k).value().bits();
      }));
  row("mul_plain (k < 2^20)", median_us(reps, [&] {
        sink = sink + pk.mul_plain(c, small_k).value().bits();
      }));
  row("mul_plain (full-size k)", median_us(reps, [&] {
        sink = sink + pk.mul_plain(c, full_k).value().bits();
      }));
  row("rerandomize", median_us(reps, [&] { sink = sink + pk.rerandomize(c).value().bits(); }));
  row("decrypt (CRT)", median_us(reps, [&] { sink = sink + sk.decrypt(c).bits(); }));
  row("decrypt (textbook)", median_us(reps, [&] {
        sink = sink + sk.decrypt(c, paillier_decryption::textbook).bits();
      }));
  row("parse ciphertext (checks coprime)", median_us(reps * 20, [&] {
        sink = sink + pk.parse_ciphertext(text).value().bits();
      }));
  row("serialize ciphertext (hex)", median_us(reps * 20, [&] {
        sink = sink + c.to_string().size();
      }));
  std::printf("  ciphertext: %zu hex chars\n\n", text.size());
}

} // namespace

int main(int argc, char** argv) {
  int reps = 50;
  int keygen_reps = 5;
  std::vector<int> sizes{2048, 3072};
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view key{argv[i]};
    std::string value{argv[i + 1]};
    if (key == "--reps") {
      reps = std::max(1, std::atoi(value.c_str()));
    } else if (key == "--keygen-reps") {
      keygen_reps = std::max(1, std::atoi(value.c_str()));
    } else if (key == "--bits") {
      sizes.clear();
      for (std::size_t at = 0; at < value.size();) {
        auto comma = value.find(',', at);
        sizes.push_back(std::atoi(value.substr(at, comma - at).c_str()));
        at = comma == std::string::npos ? value.size() : comma + 1;
      }
    } else {
      std::fprintf(stderr, "usage: %s [--reps N] [--keygen-reps N] [--bits 2048,3072]\n", argv[0]);
      return 2;
    }
  }
  if (argc % 2 == 0) {
    std::fprintf(stderr, "usage: %s [--reps N] [--keygen-reps N] [--bits 2048,3072]\n", argv[0]);
    return 2;
  }
  for (int bits : sizes) {
    bench(bits, reps, keygen_reps);
  }
  return 0;
}
