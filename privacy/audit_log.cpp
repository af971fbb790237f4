// The audit log file: canonical entry bytes, the HMAC chain and its head anchor, group-committed
// appends under a lock file, crash recovery, verification and the guard on details.
//
// File format. One JSON object per line, fields in this order, no spaces, '\n' at the end:
//
//     {"seq":7,"time":1700000000.250000,"kind":"erasure","actor":"admin","subject":"u_3fa1",
//      "details":{"events_erased":12},"prev":"<64 hex>","mac":"<64 hex>"}
//
// Canonical bytes, what `mac` covers (canonical_bytes()): the line without `,"mac":"..."`, that
// is the same JSON ending in `"prev":"..."}`. seq is a decimal integer, time has exactly six
// decimals, kind is its name, strings escape only `"`, `\` and control characters (\b \f \n \r
// \t, else \u00xx) and keep other UTF-8 as is; details keys are sorted bytewise, integers are
// decimal, doubles take their shortest round-trip form plus ".0" if that has neither '.' nor an
// exponent. Quoting makes every field boundary unambiguous, and a reader accepts a line only if
// serializing what it parsed gives back the same bytes, so an entry has exactly one form.
// mac = HMAC-SHA256(key, canonical bytes) in lowercase hex; prev is the previous entry's mac,
// 64 zeros for seq 1. The key is the key file's bytes less one trailing newline (32 or more).
//
// Head anchor. The chain alone cannot tell that its last entries were cut off. `<log>.head`
// holds {"head_seq":N,"mac":"<mac of seq N>","anchor":"<hex>"} with anchor = HMAC-SHA256(key,
// `{"head_seq":N,"mac":"..."}`) (entries start with `{"seq":`, so the two never collide). It is
// replaced atomically (temporary file, fsync, rename) after every durable append, and created at
// seq 0 (rename made durable) before the log itself, so a log without one is reported.
// An anchor behind the log is fine (a crash between the two writes): verify reads the anchor
// before the log, so a writer running meanwhile cannot make it look ahead. What this does NOT
// stop: whoever holds the key can rewrite log and anchor together, so the key must live apart
// from the log (a secret mount, not the data directory); whoever kept an old copy of the anchor
// can cut the log back to it, so record the head that `aia-audit verify` prints elsewhere.
//
// Durability and crashes. append() returns once its line is written, fdatasync'ed and the anchor
// replaced. Appends arriving while a write is in flight queue up and the next leader writes them
// all with one write and one fsync (group commit). A crash mid-write leaves an unterminated last
// line that nobody was told about: open() cuts it away, dropped_tail_bytes() reports it for the
// caller's warning, and the chain continues from the last complete entry. open() repairs an
// anchor that is behind the log and refuses any other damage: a node must not keep writing to a
// log that no longer proves anything (aia-audit verify names the problem).
//
// What details may hold. Entries record that something happened, never the user's data, so
// append refuses (std::invalid_argument, before anything is written): nested objects, arrays and
// null; more than 32 keys; keys not matching [A-Za-z0-9_.-]{1,64}; keys whose lowercase form
// contains "payload" or "interaction", or has a word (split at _ . -) starting with "raw" or
// equal to "body"; strings over 256 bytes or not UTF-8; NaN and infinities; an empty actor, an
// actor or subject over 256 bytes. It is a guard, not a proof: callers log counts, ids,
// versions and reasons (name counts like `events_erased`) and pass the subject in the form the
// privacy level asks for (the pseudonym where ids must not be kept in clear).
#include "privacy/audit_log.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace aia::privacy {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view genesis_mac
    = "0000000000000000000000000000000000000000000000000000000000000000";
constexpr std::string_view mac_field = R"(,"mac":")";
constexpr std::size_t mac_suffix_size = mac_field.size() + 64 + 2;  // ,"mac":"<64 hex>"}
constexpr std::size_t min_key_size = 32;
constexpr std::size_t max_key_file_size = 4096;
constexpr std::size_t max_details = 32;
constexpr std::size_t max_key_name = 64;
constexpr std::size_t max_text = 256;
constexpr char hex_digits[] = "0123456789abcdef";

// -- errors and files ---------------------------------------------------------------------------

std::string errno_text() {
  return std::strerror(errno);
}

[[noreturn]] void fail(const fs::path& file, const std::string& what) {
  throw std::runtime_error("audit log " + file.string() + ": " + what);
}

[[noreturn]] void fail_key(const fs::path& file, const std::string& what) {
  // Never the file's content: it is the key.
  throw std::runtime_error("audit key " + file.string() + ": " + what);
}

void write_all(int fd, std::string_view text) {
  std::size_t done = 0;
  while (done < text.size()) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      throw std::runtime_error("cannot write: " + errno_text());
    }
    done += static_cast<std::size_t>(n);
  }
}

/// Makes a create or rename in `dir` durable.
void sync_directory(const fs::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

/// Replaces `file` by `text` atomically with mode 0600: temporary file, fsync, rename, and an
/// fsync of the directory if `durable_rename` (otherwise a crash may bring back the old file).
void replace_file(const fs::path& file, std::string_view text, bool durable_rename = true) {
  auto tmp = file.string() + ".XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    throw std::runtime_error("cannot create a temporary file next to " + file.string() + ": "
                             + errno_text());
  }
  try {
    write_all(fd, text);
    if (::fchmod(fd, 0600) != 0 || ::fsync(fd) != 0) {
      throw std::runtime_error("cannot sync " + tmp + ": " + errno_text());
    }
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (std::rename(tmp.c_str(), file.c_str()) != 0) {
    auto reason = errno_text();
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot replace " + file.string() + ": " + reason);
  }
  if (durable_rename) {
    sync_directory(file.parent_path());
  }
}

/// Up to `limit` bytes of `fd`, from its current offset.
std::string read_fd(int fd, const fs::path& file, std::size_t limit) {
  std::string text(limit, '\0');
  std::size_t done = 0;
  while (done < limit) {
    auto n = ::read(fd, text.data() + done, limit - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      auto reason = errno_text();
      OPENSSL_cleanse(text.data(), text.size());
      throw std::runtime_error("cannot read " + file.string() + ": " + reason);
    }
    if (n == 0) {
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  text.resize(done);
  return text;
}

/// The content of a small file (at most `limit` bytes read), or nullopt if it does not exist.
std::optional<std::string> read_small_file(const fs::path& file, std::size_t limit) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    throw std::runtime_error("cannot open " + file.string() + ": " + errno_text());
  }
  try {
    auto text = read_fd(fd, file, limit);
    ::close(fd);
    return text;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

/// How scan_lines ended.
struct scan_result {
  std::uint64_t bytes = 0;  ///< bytes read
  std::uint64_t tail = 0;   ///< of them, an unterminated last line
  bool stopped = false;     ///< on_line returned false
};

/// Calls `on_line` with each '\n'-terminated line (without the '\n') in the first `limit` bytes
/// of `fd`, until it returns false.
template <class OnLine>
scan_result scan_lines(int fd, const fs::path& file, std::uint64_t limit, OnLine&& on_line) {
  scan_result r;
  std::string partial;
  std::vector<char> chunk(std::size_t{1} << 16);
  while (r.bytes < limit) {
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), limit - r.bytes));
    auto n = ::read(fd, chunk.data(), want);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      fail(file, "cannot read: " + errno_text());
    }
    if (n == 0) {
      break;
    }
    r.bytes += static_cast<std::uint64_t>(n);
    const char* p = chunk.data();
    const char* end = p + n;
    while (p < end) {
      auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      if (nl == nullptr) {
        partial.append(p, end);
        break;
      }
      std::string_view line{p, static_cast<std::size_t>(nl - p)};
      if (!partial.empty()) {
        partial.append(p, nl);
        line = partial;
      }
      p = nl + 1;
      bool go_on = on_line(line);
      partial.clear();
      if (!go_on) {
        r.stopped = true;
        return r;
      }
    }
  }
  r.tail = partial.size();
  return r;
}

// -- key file and lock ---------------------------------------------------------------------------

/// The key: the file's bytes less one trailing newline. Refuses a file group or others may access.
std::string load_key(const fs::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fail_key(file, "cannot open: " + errno_text());
  }
  // Checked and read through one descriptor, so the file checked is the file read.
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail_key(file, "not a regular file");
  }
  if ((st.st_mode & 0077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    fail_key(file, std::string{"group or others may access it (mode "} + mode + "): chmod 600 it");
  }
  std::string key;
  try {
    key = read_fd(fd, file, max_key_file_size + 1);
  } catch (const std::exception& e) {
    ::close(fd);
    fail_key(file, e.what());
  }
  ::close(fd);
  if (key.size() > max_key_file_size) {
    OPENSSL_cleanse(key.data(), key.size());
    fail_key(file, "larger than 4096 bytes");
  }
  if (key.ends_with('\n')) {
    key.pop_back();
    if (key.ends_with('\r')) {
      key.pop_back();
    }
  }
  if (key.size() < min_key_size) {
    auto n = key.size();
    OPENSSL_cleanse(key.data(), key.size());
    fail_key(file, "holds " + std::to_string(n) + " bytes; an audit key needs at least 32");
  }
  return key;
}

/// Creates `file` with 32 random bytes as 64 hex digits, mode 0600, unless it exists.
void create_key(const fs::path& file) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return;  // created meanwhile (or a dangling link): load_key decides
    }
    fail_key(file, "cannot create: " + errno_text());
  }
  std::array<unsigned char, 32> raw{};
  std::string text;
  bool ok = RAND_bytes(raw.data(), static_cast<int>(raw.size())) == 1;
  for (auto b : raw) {
    text += hex_digits[b >> 4];
    text += hex_digits[b & 0xF];
  }
  text += '\n';
  OPENSSL_cleanse(raw.data(), raw.size());
  std::string error = ok ? "" : "no randomness available";
  try {
    if (ok) {
      write_all(fd, text);
      if (::fchmod(fd, 0600) != 0 || ::fsync(fd) != 0) {
        error = errno_text();
      }
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  OPENSSL_cleanse(text.data(), text.size());
  ::close(fd);
  if (!error.empty()) {
    ::unlink(file.c_str());
    fail_key(file, "cannot create: " + error);
  }
  sync_directory(file.parent_path());
}

/// An exclusive flock on `<log>.lock`, held for the life of the open log; fails at once if
/// another process (or another audit_log of this one) holds it.
int take_lock(const fs::path& log) {
  auto path = log.string() + ".lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    fail(log, "cannot create the lock file " + path + ": " + errno_text());
  }
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EINTR) {
      auto busy = errno == EWOULDBLOCK;
      auto reason = errno_text();
      ::close(fd);
      fail(log,
           busy ? "in use: another writer holds " + path : "cannot lock " + path + ": " + reason);
    }
  }
  return fd;
}

// -- HMAC ---------------------------------------------------------------------------------------

/// HMAC-SHA256 under one key, set up once. Not thread-safe: one per thread or under a lock.
class hmac_sha256 {
public:
  explicit hmac_sha256(std::string_view key) {
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
  hmac_sha256(const hmac_sha256&) = delete;
  hmac_sha256& operator=(const hmac_sha256&) = delete;
  ~hmac_sha256() { release(); }

  /// Lowercase hex of the HMAC of the concatenated `parts`.
  std::string hex(std::initializer_list<std::string_view> parts) {
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

private:
  void release() noexcept {
    EVP_MAC_CTX_free(ctx_);
    EVP_MAC_free(mac_);
    ctx_ = nullptr;
    mac_ = nullptr;
  }

  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* ctx_ = nullptr;
};

bool is_mac_hex(std::string_view s) noexcept {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// -- canonical JSON -----------------------------------------------------------------------------

/// Length of the well-formed UTF-8 sequence that starts `s` (RFC 3629), 0 if ill-formed.
std::size_t utf8_sequence(std::string_view s) noexcept {
  auto byte = [s](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  auto lead = byte(0);
  if (lead < 0x80) {
    return 1;
  }
  std::size_t n = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
  if (n == 0 || lead > 0xF4 || s.size() < n) {
    return 0;
  }
  // The second byte's range excludes overlong forms, surrogates and code points above U+10FFFF.
  unsigned char low = lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
  unsigned char high = lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
  if (byte(1) < low || byte(1) > high) {
    return 0;
  }
  for (std::size_t i = 2; i < n; ++i) {
    if ((byte(i) & 0xC0) != 0x80) {
      return 0;
    }
  }
  return n;
}

bool valid_utf8(std::string_view s) noexcept {
  while (!s.empty()) {
    auto n = utf8_sequence(s);
    if (n == 0) {
      return false;
    }
    s.remove_prefix(n);
  }
  return true;
}

void put_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (auto u = static_cast<unsigned char>(c); u < 0x20) {
        out += "\\u00";
        out += hex_digits[u >> 4];
        out += hex_digits[u & 0xF];
      } else {
        out += c;
      }
    }
  }
  out += '"';
}

template <class Number, class... Format>
void put_number(std::string& out, Number x, Format... format) {
  std::array<char, 64> buf{};
  auto res = std::to_chars(buf.data(), buf.data() + buf.size(), x, format...);
  out.append(buf.data(), res.ptr);
}

void put_value(std::string& out, const audit_value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    put_string(out, *s);
  } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
    put_number(out, *i);
  } else if (const auto* d = std::get_if<double>(&v)) {
    auto start = out.size();
    put_number(out, *d);
    // Keep it a double when read back: "3" would come back as an integer.
    if (out.find_first_of(".e", start) == std::string::npos) {
      out += ".0";
    }
  } else {
    out += std::get<bool>(v) ? "true" : "false";
  }
}

std::string details_json(const audit_details& details) {
  std::string out = "{";
  for (const auto& [key, value] : details) {
    if (out.size() > 1) {
      out += ',';
    }
    put_string(out, key);
    out += ':';
    put_value(out, value);
  }
  out += '}';
  return out;
}

/// The canonical bytes of the head anchor for `seq` and `mac`.
std::string head_bytes(std::uint64_t seq, std::string_view mac) {
  std::string out = R"({"head_seq":)";
  put_number(out, seq);
  out += R"(,"mac":)";
  put_string(out, mac);
  out += '}';
  return out;
}

/// A JSON-encoded value followed by `,"<name>":"<hex>"}`, replacing the final '}' of `body`.
std::string with_hex_field(std::string body, std::string_view name, std::string_view hex) {
  body.pop_back();
  body += ",\"";
  body += name;
  body += "\":";
  put_string(body, hex);
  body += '}';
  return body;
}

// -- parsing ------------------------------------------------------------------------------------

/// A cursor over JSON text; errors throw std::invalid_argument naming the byte, never the text.
class json_cursor {
public:
  explicit json_cursor(std::string_view s) : s_{s} {}

  [[nodiscard]] bool at_end() const noexcept { return pos_ == s_.size(); }
  [[nodiscard]] char peek() const noexcept { return at_end() ? '\0' : s_[pos_]; }

  void skip_ws() noexcept {
    while (!at_end()
           && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool consume(char c) noexcept {
    if (at_end() || s_[pos_] != c) {
      return false;
    }
    ++pos_;
    return true;
  }

  void expect(std::string_view literal) {
    if (s_.substr(pos_, literal.size()) != literal) {
      bad("expected " + std::string{literal});
    }
    pos_ += literal.size();
  }

  [[noreturn]] void bad(const std::string& what) const {
    throw std::invalid_argument(what + " at byte " + std::to_string(pos_));
  }

  std::string string() {
    if (!consume('"')) {
      bad("expected a string");
    }
    std::string out;
    while (true) {
      if (at_end()) {
        bad("unterminated string");
      }
      char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        bad("a control character in a string");
      }
      if (c == '\\') {
        ++pos_;
        escape(out);
        continue;
      }
      auto n = utf8_sequence(s_.substr(pos_));
      if (n == 0) {
        bad("a string that is not UTF-8");
      }
      out.append(s_.substr(pos_, n));
      pos_ += n;
    }
  }

  /// The text of a JSON number, checked against the grammar.
  std::string_view number() {
    auto start = pos_;
    consume('-');
    auto digits = [this] {
      auto from = pos_;
      while (!at_end() && std::isdigit(static_cast<unsigned char>(s_[pos_])) != 0) {
        ++pos_;
      }
      return pos_ - from;
    };
    auto int_start = pos_;
    auto n = digits();
    if (n == 0 || (n > 1 && s_[int_start] == '0')) {
      bad("expected a number");
    }
    if (consume('.') && digits() == 0) {
      bad("expected digits after '.'");
    }
    if (consume('e') || consume('E')) {
      if (!consume('+')) {
        consume('-');
      }
      if (digits() == 0) {
        bad("expected an exponent");
      }
    }
    return s_.substr(start, pos_ - start);
  }

  template <class Number>
  Number number_as() {
    auto text = number();
    Number x{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
    if (ec != std::errc{} || end != text.data() + text.size()) {
      bad("a number out of range");
    }
    return x;
  }

private:
  void escape(std::string& out) {
    char e = peek();
    ++pos_;
    switch (e) {
    case '"':
    case '\\':
    case '/':
      out += e;
      return;
    case 'b':
      out += '\b';
      return;
    case 'f':
      out += '\f';
      return;
    case 'n':
      out += '\n';
      return;
    case 'r':
      out += '\r';
      return;
    case 't':
      out += '\t';
      return;
    case 'u':
      break;
    default:
      bad("a bad escape");
    }
    auto code = hex4();
    if (code >= 0xD800 && code < 0xDC00) {
      expect("\\u");
      auto low = hex4();
      if (low < 0xDC00 || low > 0xDFFF) {
        bad("a lone surrogate");
      }
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    } else if (code >= 0xDC00 && code <= 0xDFFF) {
      bad("a lone surrogate");
    }
    // Encode as UTF-8.
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  std::uint32_t hex4() {
    if (s_.size() - pos_ < 4) {
      bad("a short \\u escape");
    }
    std::uint32_t code = 0;
    auto [end, ec] = std::from_chars(s_.data() + pos_, s_.data() + pos_ + 4, code, 16);
    if (ec != std::errc{} || end != s_.data() + pos_ + 4) {
      bad("a bad \\u escape");
    }
    pos_ += 4;
    return code;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

/// A key fit for details, for quoting in an error message.
bool valid_key_name(std::string_view k) noexcept {
  return !k.empty() && k.size() <= max_key_name && std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-';
  });
}

std::string key_label(std::string_view k) {
  return valid_key_name(k) ? "\"" + std::string{k} + "\"" : std::string{"(a malformed key)"};
}

/// Parses `{...}` of scalar values; nested objects, arrays and null throw.
audit_details parse_details_object(json_cursor& c) {
  audit_details out;
  c.skip_ws();
  if (!c.consume('{')) {
    c.bad("details must be a JSON object");
  }
  c.skip_ws();
  if (c.consume('}')) {
    return out;
  }
  while (true) {
    c.skip_ws();
    auto key = c.string();
    c.skip_ws();
    c.expect(":");
    c.skip_ws();
    audit_value value;
    switch (c.peek()) {
    case '"':
      value = c.string();
      break;
    case 't':
      c.expect("true");
      value = true;
      break;
    case 'f':
      c.expect("false");
      value = false;
      break;
    case '{':
    case '[':
      throw std::invalid_argument("details must be flat: " + key_label(key) + " holds "
                                  + (c.peek() == '{' ? "an object" : "an array"));
    case 'n':
      throw std::invalid_argument("details must not hold null: " + key_label(key));
    default: {
      json_cursor probe = c;
      auto text = probe.number();
      if (text.find_first_of(".eE") == std::string_view::npos) {
        value = c.number_as<std::int64_t>();
      } else {
        value = c.number_as<double>();
      }
    }
    }
    if (!out.emplace(std::move(key), std::move(value)).second) {
      c.bad("a duplicate key");
    }
    c.skip_ws();
    if (c.consume(',')) {
      continue;
    }
    if (c.consume('}')) {
      return out;
    }
    c.bad("expected ',' or '}'");
  }
}

/// True for a key that names raw interaction data.
bool forbidden_key(std::string_view key) {
  std::string lower{key};
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  if (lower.find("payload") != std::string::npos
      || lower.find("interaction") != std::string::npos) {
    return true;
  }
  std::string_view rest = lower;
  while (!rest.empty()) {
    auto cut = rest.find_first_of("_.-");
    auto word = rest.substr(0, cut);
    if (word.starts_with("raw") || word == "body") {
      return true;
    }
    rest = cut == std::string_view::npos ? std::string_view{} : rest.substr(cut + 1);
  }
  return false;
}

void check_text(std::string_view what, std::string_view s, bool may_be_empty) {
  if (s.empty() && !may_be_empty) {
    throw std::invalid_argument("audit entry: the " + std::string{what} + " is empty");
  }
  if (s.size() > max_text) {
    throw std::invalid_argument("audit entry: the " + std::string{what} + " exceeds 256 bytes");
  }
  if (!valid_utf8(s)) {
    throw std::invalid_argument("audit entry: the " + std::string{what} + " is not UTF-8");
  }
}

/// The guard described at the top of this file.
void check_details(const audit_details& details) {
  if (details.size() > max_details) {
    throw std::invalid_argument("audit details: more than 32 keys");
  }
  for (const auto& [key, value] : details) {
    if (!valid_key_name(key)) {
      throw std::invalid_argument("audit details: a key is not [A-Za-z0-9_.-]{1,64}");
    }
    if (forbidden_key(key)) {
      throw std::invalid_argument("audit details: key \"" + key
                                  + "\" names raw data (payload, interaction, raw, body); "
                                    "log counts and ids, never the data");
    }
    if (const auto* s = std::get_if<std::string>(&value)) {
      check_text("value of \"" + key + "\"", *s, true);
    } else if (const auto* d = std::get_if<double>(&value); d != nullptr && !std::isfinite(*d)) {
      throw std::invalid_argument("audit details: \"" + key + "\" is not a finite number");
    }
  }
}

/// Parses the canonical bytes of an entry (mac excluded) and checks they are canonical.
audit_entry parse_entry(std::string_view body) {
  json_cursor c{body};
  audit_entry e;
  c.expect(R"({"seq":)");
  e.seq = c.number_as<std::uint64_t>();
  c.expect(R"(,"time":)");
  e.time = c.number_as<double>();
  c.expect(R"(,"kind":)");
  auto kind = parse_audit_kind(c.string());
  if (!kind) {
    c.bad("an unknown kind (written by a newer version?)");
  }
  e.kind = *kind;
  c.expect(R"(,"actor":)");
  e.actor = c.string();
  c.expect(R"(,"subject":)");
  e.subject = c.string();
  c.expect(R"(,"details":)");
  e.details = parse_details_object(c);
  c.expect(R"(,"prev":)");
  e.prev = c.string();
  c.expect("}");
  if (!c.at_end()) {
    c.bad("trailing bytes");
  }
  if (!is_mac_hex(e.prev)) {
    throw std::invalid_argument("prev is not 64 hex digits");
  }
  if (canonical_bytes(e) != body) {
    throw std::invalid_argument("not in canonical form");
  }
  return e;
}

/// A stored line split into its canonical bytes less the final '}', and its mac.
struct split_line {
  std::string_view body_head;
  std::string_view mac;
};

std::optional<split_line> split(std::string_view line) {
  if (line.size() <= mac_suffix_size) {
    return std::nullopt;
  }
  auto suffix = line.substr(line.size() - mac_suffix_size);
  auto mac = suffix.substr(mac_field.size(), 64);
  if (!suffix.starts_with(mac_field) || !suffix.ends_with("\"}") || !is_mac_hex(mac)) {
    return std::nullopt;
  }
  return split_line{line.substr(0, line.size() - mac_suffix_size), mac};
}

/// Parses a stored line into an entry with its mac; throws std::invalid_argument.
audit_entry parse_line(std::string_view line) {
  auto parts = split(line);
  if (!parts) {
    throw std::invalid_argument("no mac at the end");
  }
  std::string body{parts->body_head};
  body += '}';
  auto e = parse_entry(body);
  e.mac = parts->mac;
  return e;
}

bool matches(const audit_entry& e, const audit_filter& f) {
  return e.seq >= f.from_seq && (!f.subject || e.subject == *f.subject)
         && (!f.kind || e.kind == *f.kind);
}

// -- head anchor and verification ---------------------------------------------------------------

struct head_anchor {
  std::uint64_t seq = 0;
  std::string mac;
  std::string anchor;
};

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

std::string head_file_text(hmac_sha256& mac, std::uint64_t seq, std::string_view last_mac) {
  auto bytes = head_bytes(seq, last_mac);
  auto anchor = mac.hex({bytes});
  return with_hex_field(std::move(bytes), "anchor", anchor) + "\n";
}

/// Checks lines one by one against the chain, then the head anchor read before them.
class chain_verifier {
public:
  chain_verifier(std::string_view key, const std::optional<std::string>& head_text) : mac_{key} {
    if (head_text) {
      head_ = parse_head(*head_text);
      head_unparsable_ = !head_;
    }
  }

  /// Checks the next line; false once a problem is found.
  bool feed(std::string_view line) {
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

  /// The result, after the head anchor's checks; `torn_tail` bytes were left unread.
  verify_result finish(std::uint64_t torn_tail) {
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

private:
  hmac_sha256 mac_;
  std::optional<head_anchor> head_;
  bool head_unparsable_ = false;
  std::string head_entry_mac_;
  std::string prev_{genesis_mac};
  verify_result r_;
};

fs::path head_path_of(const fs::path& log) {
  return fs::path{log.string() + ".head"};
}

verify_result verify_with_key(const fs::path& log, std::string_view key) {
  // The anchor first: a writer replaces it only after the log holds what it records.
  auto head_text = read_small_file(head_path_of(log), 4096);
  chain_verifier v{key, head_text};
  int fd = ::open(log.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fail(log, "cannot open: " + errno_text());
  }
  scan_result scan;
  try {
    scan = scan_lines(fd, log, std::numeric_limits<std::uint64_t>::max(),
                      [&v](std::string_view line) { return v.feed(line); });
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return v.finish(scan.stopped ? 0 : scan.tail);
}

std::vector<audit_entry> read_entries(const fs::path& log, std::uint64_t limit,
                                      const audit_filter& filter) {
  int fd = ::open(log.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fail(log, "cannot open: " + errno_text());
  }
  std::vector<audit_entry> out;
  std::uint64_t no = 0;
  try {
    scan_lines(fd, log, limit, [&](std::string_view line) {
      ++no;
      audit_entry e;
      try {
        e = parse_line(line);
      } catch (const std::invalid_argument& x) {
        fail(log, "line " + std::to_string(no) + " does not parse: " + x.what());
      }
      if (matches(e, filter)) {
        out.push_back(std::move(e));
      }
      return true;
    });
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return out;
}

double now_seconds() {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return static_cast<double>(us.count()) / 1e6;
}

} // namespace

// -- names ----------------------------------------------------------------------------------------

std::string_view to_string(audit_kind k) noexcept {
  switch (k) {
  case audit_kind::consent_changed:
    return "consent_changed";
  case audit_kind::erasure:
    return "erasure";
  case audit_kind::export_data:
    return "export";
  case audit_kind::budget_spend:
    return "budget_spend";
  case audit_kind::admin_action:
    return "admin_action";
  case audit_kind::retention_sweep:
    return "retention_sweep";
  }
  return "";
}

std::optional<audit_kind> parse_audit_kind(std::string_view name) noexcept {
  for (auto k : {audit_kind::consent_changed, audit_kind::erasure, audit_kind::export_data,
                 audit_kind::budget_spend, audit_kind::admin_action, audit_kind::retention_sweep}) {
    if (to_string(k) == name) {
      return k;
    }
  }
  return std::nullopt;
}

std::string_view to_string(audit_problem p) noexcept {
  switch (p) {
  case audit_problem::none:
    return "ok";
  case audit_problem::bad_line:
    return "bad line";
  case audit_problem::altered:
    return "altered";
  case audit_problem::removed_or_reordered:
    return "removed or reordered";
  case audit_problem::truncated:
    return "truncated";
  case audit_problem::bad_anchor:
    return "bad head anchor";
  }
  return "";
}

std::string canonical_bytes(const audit_entry& e) {
  std::string out;
  out.reserve(256);
  out += R"({"seq":)";
  put_number(out, e.seq);
  out += R"(,"time":)";
  put_number(out, e.time, std::chars_format::fixed, 6);
  out += R"(,"kind":)";
  put_string(out, to_string(e.kind));
  out += R"(,"actor":)";
  put_string(out, e.actor);
  out += R"(,"subject":)";
  put_string(out, e.subject);
  out += R"(,"details":)";
  out += details_json(e.details);
  out += R"(,"prev":)";
  put_string(out, e.prev);
  out += '}';
  return out;
}

std::string to_json(const audit_entry& e) {
  return with_hex_field(canonical_bytes(e), "mac", e.mac);
}

audit_details parse_audit_details(std::string_view json) {
  json_cursor c{json};
  auto details = parse_details_object(c);
  c.skip_ws();
  if (!c.at_end()) {
    c.bad("trailing bytes after the details object");
  }
  check_details(details);
  return details;
}

// -- audit_log ------------------------------------------------------------------------------------

struct audit_log::state {
  fs::path log;
  fs::path head;
  std::string key;
  int lock_fd = -1;
  int log_fd = -1;
  std::uint64_t dropped_tail = 0;
  std::optional<hmac_sha256> mac;  ///< used under `mu` only

  mutable std::mutex mu;
  std::condition_variable cv;
  std::uint64_t next_seq = 1;    ///< seq of the next entry
  std::string tip{genesis_mac};  ///< mac of the last entry, durable or pending
  std::string pending;           ///< lines not yet written
  bool flushing = false;         ///< a leader is writing; others wait
  std::uint64_t durable_seq = 0;
  std::uint64_t durable_bytes = 0;
  std::string broken;  ///< why writing failed; appends refused until reopened

  state() = default;
  state(const state&) = delete;
  state& operator=(const state&) = delete;
  ~state() {
    OPENSSL_cleanse(key.data(), key.size());
    if (log_fd >= 0) {
      ::close(log_fd);
    }
    if (lock_fd >= 0) {
      ::close(lock_fd);  // releases the lock
    }
  }
};

audit_log::audit_log(std::unique_ptr<state> s) : s_{std::move(s)} {}
audit_log::audit_log(audit_log&&) noexcept = default;
audit_log& audit_log::operator=(audit_log&&) noexcept = default;
audit_log::~audit_log() = default;

audit_log audit_log::open(const fs::path& log, const fs::path& key_file) {
  auto s = std::make_unique<state>();
  s->log = log;
  s->head = head_path_of(log);
  s->lock_fd = take_lock(log);
  std::error_code ec;
  bool has_log = fs::exists(log, ec);
  // A key is created only with a new log: a missing key beside an existing log is an error,
  // not a reason to start a chain nobody can verify.
  if (!has_log) {
    create_key(key_file);
  }
  s->key = load_key(key_file);
  s->mac.emplace(s->key);
  auto head_text = read_small_file(s->head, 4096);
  if (!has_log) {
    if (head_text) {
      auto r = chain_verifier{s->key, head_text}.finish(0);
      if (!r.ok()) {
        fail(log, "missing, and " + r.reason);
      }
    }
    try {
      replace_file(s->head, head_file_text(*s->mac, 0, genesis_mac));
    } catch (const std::exception& e) {
      fail(log, e.what());
    }
    s->log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    if (s->log_fd < 0 || ::fchmod(s->log_fd, 0600) != 0) {
      fail(log, "cannot create: " + errno_text());
    }
    sync_directory(log.parent_path());
    return audit_log{std::move(s)};
  }
  s->log_fd = ::open(log.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (s->log_fd < 0) {
    fail(log, "cannot open: " + errno_text());
  }
  chain_verifier v{s->key, head_text};
  auto scan = scan_lines(s->log_fd, log, std::numeric_limits<std::uint64_t>::max(),
                         [&v](std::string_view l) { return v.feed(l); });
  auto r = v.finish(scan.stopped ? 0 : scan.tail);
  if (!r.ok()) {
    fail(log, std::string{to_string(r.problem)}
                  + (r.seq > 0 ? " at seq " + std::to_string(r.seq) : "") + ": " + r.reason
                  + " (aia-audit verify shows it; nothing was appended)");
  }
  if (scan.tail > 0) {
    // A crash mid-append: that entry was never acknowledged, so it goes.
    if (::ftruncate(s->log_fd, static_cast<off_t>(scan.bytes - scan.tail)) != 0
        || ::fdatasync(s->log_fd) != 0) {
      fail(log, "cannot cut the unterminated last line: " + errno_text());
    }
    s->dropped_tail = scan.tail;
  }
  s->next_seq = r.entries + 1;
  s->tip = r.entries == 0 ? std::string{genesis_mac} : r.head_mac;
  s->durable_seq = r.entries;
  s->durable_bytes = scan.bytes - scan.tail;
  if (!head_text || r.anchor_seq < r.entries) {
    // A crash between the log's fsync and the anchor's replacement.
    try {
      replace_file(s->head, head_file_text(*s->mac, r.entries, s->tip));
    } catch (const std::exception& e) {
      fail(log, e.what());
    }
  }
  return audit_log{std::move(s)};
}

audit_entry audit_log::append(audit_kind kind, std::string_view actor, std::string_view subject,
                              const audit_details& details) {
  if (to_string(kind).empty()) {
    throw std::invalid_argument("audit entry: unknown kind");
  }
  check_text("actor", actor, false);
  check_text("subject", subject, true);
  check_details(details);
  audit_entry e;
  e.kind = kind;
  e.actor = actor;
  e.subject = subject;
  e.details = details;

  auto& s = *s_;
  std::unique_lock lk{s.mu};
  if (!s.broken.empty()) {
    fail(s.log, "refuses appends after a failed write (" + s.broken + "); reopen it");
  }
  e.seq = s.next_seq;
  // Six decimals are what the line keeps; the returned entry equals the one read back.
  std::string time_text;
  put_number(time_text, now_seconds(), std::chars_format::fixed, 6);
  std::from_chars(time_text.data(), time_text.data() + time_text.size(), e.time);
  e.prev = s.tip;
  auto body = canonical_bytes(e);
  e.mac = s.mac->hex({body});
  s.pending += with_hex_field(std::move(body), "mac", e.mac);
  s.pending += '\n';
  ++s.next_seq;
  s.tip = e.mac;

  // Group commit: whoever finds no write in flight writes everything pending; the rest wait.
  while (s.durable_seq < e.seq) {
    if (!s.broken.empty()) {
      fail(s.log, "not written: " + s.broken);
    }
    if (s.flushing) {
      s.cv.wait(lk);
      continue;
    }
    auto upto = s.next_seq - 1;
    auto head_text = head_file_text(*s.mac, upto, s.tip);  // under the lock: mac is shared
    s.flushing = true;
    std::string batch;
    batch.swap(s.pending);
    lk.unlock();
    std::string error;
    try {
      write_all(s.log_fd, batch);
      if (::fdatasync(s.log_fd) != 0) {
        throw std::runtime_error("cannot sync: " + errno_text());
      }
      // No fsync of the directory: should a crash bring back the previous anchor, it is behind
      // the log, which verify accepts and open() repairs. It can never be ahead: the log's
      // fdatasync came first.
      replace_file(s.head, head_text, false);
    } catch (const std::exception& x) {
      error = x.what();
    }
    lk.lock();
    s.flushing = false;
    if (error.empty()) {
      s.durable_seq = upto;
      s.durable_bytes += batch.size();
    } else {
      s.broken = std::move(error);
    }
    s.cv.notify_all();
  }
  return e;
}

audit_entry audit_log::append_json(audit_kind kind, std::string_view actor,
                                   std::string_view subject, std::string_view details_json) {
  return append(kind, actor, subject, parse_audit_details(details_json));
}

verify_result audit_log::verify() const {
  return verify_with_key(s_->log, s_->key);
}

std::vector<audit_entry> audit_log::read(const audit_filter& filter) const {
  std::uint64_t limit = 0;
  {
    std::lock_guard lk{s_->mu};
    limit = s_->durable_bytes;
  }
  return read_entries(s_->log, limit, filter);
}

std::uint64_t audit_log::last_seq() const {
  std::lock_guard lk{s_->mu};
  return s_->durable_seq;
}

std::uint64_t audit_log::dropped_tail_bytes() const noexcept {
  return s_->dropped_tail;
}

// -- free functions -------------------------------------------------------------------------------

verify_result verify_file(const fs::path& log, const fs::path& key_file) {
  auto key = load_key(key_file);
  try {
    auto r = verify_with_key(log, key);
    OPENSSL_cleanse(key.data(), key.size());
    return r;
  } catch (...) {
    OPENSSL_cleanse(key.data(), key.size());
    throw;
  }
}

std::vector<audit_entry> read_file(const fs::path& log, const audit_filter& filter) {
  return read_entries(log, std::numeric_limits<std::uint64_t>::max(), filter);
}

} // namespace aia::privacy
