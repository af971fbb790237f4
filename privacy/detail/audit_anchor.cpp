// The audit log's HMAC chain and head anchor: the mac, the anchor's bytes and the verifier. The
// anchor's format and what it does and does not prove are at the top of privacy/audit_log.cpp.
#include "privacy/detail/audit_anchor.hpp"

#include "privacy/detail/audit_codec.hpp"
#include "privacy/detail/audit_json.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <stdexcept>
#include <utility>

namespace aia::privacy::detail {

namespace fs = std::filesystem;

namespace {

/// The canonical bytes of the head anchor for `seq` and `mac`.
std::string head_bytes(std::uint64_t seq, std::string_view mac) {
  std::string out = R"({"head_seq":)";
  put_number(out, seq);
  out += R"(,"mac":)";
  put_string(out, mac);
  out += '}';
  return out;
}

std::optional<head_anchor> parse_head(std::string_view text) {
  if (text.ends_with('\n')) {
    text.remove_suffix(1);
  }
  try {
    json_cursor c{text};
    head_anchor h;
    c.expect(R"({"head_seq":)");
    h.seq = c.number_as<std::uint64_t>();
    c.expect(R"(,"mac":)");
    h.mac = c.string();
    c.expect(R"(,"anchor":)");
    h.anchor = c.string();
    c.expect("}");
    if (c.at_end() && is_mac_hex(h.mac) && is_mac_hex(h.anchor)) {
      return h;
    }
  } catch (const std::invalid_argument&) {
  }
  return std::nullopt;
}

} // namespace

// -- hmac_sha256 ----------------------------------------------------------------------------------

hmac_sha256::hmac_sha256(std::string_view key) {
  mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  ctx_ = mac_ != nullptr ? EVP_MAC_CTX_new(mac_) : nullptr;
  char digest[] = "SHA256";
  std::array<OSSL_PARAM, 2> params{
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
  if (ctx_ == nullptr
      || EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                      params.data())
             != 1) {
    release();
    throw std::runtime_error("audit log: HMAC-SHA256 is not available");
  }
}

std::string hmac_sha256::hex(std::initializer_list<std::string_view> parts) {
  std::array<unsigned char, 32> out{};
  std::size_t len = 0;
  bool ok = EVP_MAC_init(ctx_, nullptr, 0, nullptr) == 1;  // same key, fresh message
  for (auto p : parts) {
    ok = ok
         && EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(p.data()), p.size()) == 1;
  }
  ok = ok && EVP_MAC_final(ctx_, out.data(), &len, out.size()) == 1 && len == out.size();
  if (!ok) {
    throw std::runtime_error("audit log: HMAC-SHA256 failed");
  }
  std::string text(64, '0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    text[2 * i] = hex_digits[out[i] >> 4];
    text[2 * i + 1] = hex_digits[out[i] & 0xF];
  }
  return text;
}

void hmac_sha256::release() noexcept {
  EVP_MAC_CTX_free(ctx_);
  EVP_MAC_free(mac_);
  ctx_ = nullptr;
  mac_ = nullptr;
}

// -- head anchor ----------------------------------------------------------------------------------

fs::path head_path_of(const fs::path& log) {
  return fs::path{log.string() + ".head"};
}

std::string head_file_text(hmac_sha256& mac, std::uint64_t seq, std::string_view last_mac) {
  auto bytes = head_bytes(seq, last_mac);
  auto anchor = mac.hex({bytes});
  return with_hex_field(std::move(bytes), "anchor", anchor) + "\n";
}

// -- chain_verifier -------------------------------------------------------------------------------

chain_verifier::chain_verifier(std::string_view key, const std::optional<std::string>& head_text)
    : mac_{key} {
  if (head_text) {
    head_ = parse_head(*head_text);
    head_unparsable_ = !head_;
  }
}

bool chain_verifier::feed(std::string_view line) {
  auto expected = r_.entries + 1;
  auto no = std::to_string(expected);
  auto problem = [&](audit_problem p, std::string why) {
    r_.problem = p;
    r_.seq = expected;
    r_.reason = std::move(why);
    return false;
  };
  auto parts = split(line);
  if (!parts) {
    return problem(audit_problem::bad_line, "line " + no + " does not end in a mac");
  }
  std::string body{parts->body_head};
  body += '}';
  audit_entry e;
  try {
    e = parse_entry(body);
  } catch (const std::invalid_argument& x) {
    return problem(audit_problem::bad_line, "line " + no + " does not parse: " + x.what());
  }
  auto mac = mac_.hex({body});
  if (mac != parts->mac) {
    return problem(audit_problem::altered, "the mac of line " + no
                                               + " does not match its bytes: the entry was "
                                                 "changed, or this is not the log's key");
  }
  if (e.seq != expected) {
    return problem(audit_problem::removed_or_reordered,
                   "line " + no + " holds seq " + std::to_string(e.seq) + " where seq " + no
                       + " belongs: entries were removed or reordered");
  }
  if (e.prev != prev_) {
    return problem(audit_problem::removed_or_reordered,
                   "the prev of seq " + no
                       + " is not the mac of the entry before it: entries "
                         "were removed or reordered");
  }
  if (head_ && head_->seq == expected) {
    head_entry_mac_ = mac;
  }
  prev_ = mac;
  r_.head_mac = std::move(mac);
  ++r_.entries;
  return true;
}

verify_result chain_verifier::finish(std::uint64_t torn_tail) {
  r_.torn_tail_bytes = torn_tail;
  if (!r_.ok()) {
    return r_;
  }
  auto problem = [this](audit_problem p, std::uint64_t seq, std::string why) {
    r_.problem = p;
    r_.seq = seq;
    r_.reason = std::move(why);
    return r_;
  };
  if (head_unparsable_) {
    return problem(audit_problem::bad_anchor, 0, "the head anchor does not parse");
  }
  if (!head_) {
    return r_.entries == 0
               ? r_
               : problem(audit_problem::bad_anchor, 0,
                         "the head anchor is missing: entries cut from the end would go unseen");
  }
  r_.anchor_seq = head_->seq;
  if (mac_.hex({head_bytes(head_->seq, head_->mac)}) != head_->anchor) {
    return problem(audit_problem::bad_anchor, 0,
                   "the head anchor's own mac does not match: forged, or not this log's key");
  }
  auto last = std::to_string(r_.entries);
  if (head_->seq > r_.entries) {
    return problem(audit_problem::truncated, r_.entries + 1,
                   "the head anchor records seq " + std::to_string(head_->seq)
                       + " but the log ends at seq " + last + ": the last entries were removed");
  }
  auto expected_mac = head_->seq == 0 ? std::string{genesis_mac} : head_entry_mac_;
  if (expected_mac != head_->mac) {
    return problem(audit_problem::bad_anchor, head_->seq,
                   "the head anchor names another mac for seq " + std::to_string(head_->seq)
                       + ": the log was rewritten from there");
  }
  return r_;
}

} // namespace aia::privacy::detail
