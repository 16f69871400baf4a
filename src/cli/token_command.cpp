// `cable token`: mints and checks JWT identification tokens the way
// anycable-rails-jwt does, for a server started with --jwt_secret/--secret.

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/settings.h"
#include "common/auth/jwt.h"
#include "common/auth/secrets.h"
#include "common/strings.h"

namespace cable::cli {
namespace {

namespace jwt = cable::auth::jwt;
using nlohmann::ordered_json;

constexpr const char* kFooter = R"(Identifiers:
  Any --name=value (or --name value) not listed above becomes an identifier,
  in the order given. Integers (42, -7) are JSON numbers; anything else is a
  string. Use --identifiers for other types or names that clash with a flag;
  flags given after it add to (or override) its keys.

Secrets (an explicit JWT secret beats the common one; for each, the flag
beats the environment; this is how `cable serve`/anycable-go resolve them):
  --jwt-secret, ANYCABLE_JWT_SECRET, then --secret, ANYCABLE_SECRET

Examples:
  cable token --user_id=42
  cable token --identifiers '{"user_id":42,"role":"admin"}' --ttl 600
  cable token --user_id 42 --url ws://localhost:8080/cable
  cable token --user_id=42 --alg HS512 --no-exp --json
  cable token --verify "$TOKEN"
  cable token --user_id=42 | cable token --verify -

Exit status: 0 ok, 1 token rejected by --verify, 2 usage error.)";

struct TokenOptions {
  std::string secret;
  std::string jwt_secret;
  std::string identifiers;
  std::string ttl = "3600";
  bool no_exp = false;
  std::string alg = "HS256";
  std::string verify;
  bool json = false;
  std::string url;
  std::string jwt_param = "jid";
};

std::string ResolveSecret(const TokenOptions& options) {
  auth::SecretSettings settings;
  settings.secret = FlagOrEnv(options.secret, {"ANYCABLE_SECRET"});
  settings.jwt_secret = FlagOrEnv(options.jwt_secret, {"ANYCABLE_JWT_SECRET"});
  if (settings.jwt_secret == auth::kJwtDisabled) {
    throw UsageError("the JWT secret is \"none\", which disables JWT; pass another --jwt-secret");
  }
  std::string resolved = auth::ResolveJwtSecret(settings);
  if (resolved.empty()) {
    throw UsageError(
        "no JWT secret: pass --jwt-secret or --secret, or set ANYCABLE_JWT_SECRET or "
        "ANYCABLE_SECRET");
  }
  NoteEnvBeatsSecretFlag("token", options.secret, options.jwt_secret, "ANYCABLE_JWT_SECRET");
  return resolved;
}

// "42" and "-7" become numbers (as Ruby's to_json writes integers); leading
// zeros, '+', decimals and anything else stay strings.
ordered_json IdentifierValue(const std::string& text) {
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
  bool integer = !digits.empty() && digits.size() <= 19 &&
                 digits.find_first_not_of("0123456789") == std::string_view::npos &&
                 (digits.size() == 1 || digits.front() != '0');
  if (integer) {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && end == text.data() + text.size() && text != "-0") return n;
  }
  return text;
}

// A misspelled flag would otherwise become an identifier and, for a secret,
// end up readable in the token. Short flags (--url, --ttl) are too close to
// plausible identifier names to guess about.
std::optional<std::string> LooksLikeMisspelledFlag(const std::string& name) {
  std::string normalized = name;
  for (char& c : normalized) {
    c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (const char* flag :
       {"jwt-secret", "secret", "identifiers", "no-exp", "jwt-param", "verify"}) {
    if (EditDistance(normalized, flag) <= 2) return std::string("--") + flag;
  }
  if (normalized.find("secret") != std::string::npos) return std::string("--jwt-secret");
  return std::nullopt;
}

void AddIdentifier(ordered_json& identifiers, const std::string& name, const std::string& value,
                   const std::string& flag) {
  if (name.empty() || name.front() == '-') {
    throw UsageError("unexpected argument '" + flag + "'; identifiers are --name=value");
  }
  if (auto meant = LooksLikeMisspelledFlag(name)) {
    throw UsageError("--" + name + " looks like a misspelling of " + *meant +
                     "; to use it as an identifier, pass it in --identifiers");
  }
  identifiers[name] = IdentifierValue(value);
}

// Unknown flags left over by the parser, as identifier pairs.
void ParseIdentifierFlags(const std::vector<std::string>& extras, ordered_json& identifiers) {
  for (size_t i = 0; i < extras.size(); ++i) {
    const std::string& arg = extras[i];
    if (arg.rfind("--", 0) != 0) {
      throw UsageError("unexpected argument '" + arg + "'; identifiers are --name=value");
    }
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      AddIdentifier(identifiers, arg.substr(2, eq - 2), arg.substr(eq + 1), arg);
      continue;
    }
    if (i + 1 >= extras.size() || extras[i + 1].rfind("--", 0) == 0) {
      throw UsageError(arg + " needs a value (" + arg + "=VALUE)");
    }
    AddIdentifier(identifiers, arg.substr(2), extras[i + 1], arg);
    ++i;
  }
}

ordered_json ParseIdentifiersJson(const std::string& text) {
  ordered_json parsed = ordered_json::parse(text, nullptr, false);
  if (parsed.is_discarded()) {
    throw UsageError("--identifiers is not valid JSON; expected an object like '{\"user_id\":42}'");
  }
  if (!parsed.is_object()) {
    throw UsageError(std::string("--identifiers must be a JSON object, not ") + parsed.type_name() +
                     "; e.g. '{\"user_id\":42}'");
  }
  return parsed;
}

int64_t ParseTtl(const std::string& text) {
  int64_t ttl = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ttl);
  if (ec != std::errc() || end != text.data() + text.size() || ttl <= 0) {
    throw UsageError("--ttl must be a positive whole number of seconds, got '" + text + "'");
  }
  return ttl;
}

std::string FormatUtc(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  char buf[64];
  if (gmtime_r(&t, &tm) && std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0) {
    return buf;
  }
  return std::to_string(seconds);
}

// "59m", "2h 5m", "3d 4h", "12y 30d": precise enough for a human glance.
std::string FormatDuration(int64_t seconds) {
  constexpr int64_t kMinute = 60, kHour = 3600, kDay = 86400, kYear = 365 * kDay;
  auto two = [](int64_t big, const char* big_unit, int64_t small, const char* small_unit) {
    std::string s = std::to_string(big) + big_unit;
    if (small > 0) s += " " + std::to_string(small) + small_unit;
    return s;
  };
  if (seconds < kMinute) return std::to_string(seconds) + "s";
  if (seconds < kHour) return std::to_string(seconds / kMinute) + "m";
  if (seconds < kDay) return two(seconds / kHour, "h", seconds % kHour / kMinute, "m");
  if (seconds < kYear) return two(seconds / kDay, "d", seconds % kDay / kHour, "h");
  return two(seconds / kYear, "y", seconds % kYear / kDay, "d");
}

std::string WithQueryParam(const std::string& url, const std::string& param,
                           const std::string& token) {
  size_t fragment = url.find('#');
  std::string base = url.substr(0, fragment);
  std::string tail = fragment == std::string::npos ? "" : url.substr(fragment);
  char joiner = base.find('?') == std::string::npos ? '?' : '&';
  if (!base.empty() && (base.back() == '?' || base.back() == '&')) joiner = '\0';
  std::string out = base;
  if (joiner) out += joiner;
  // Tokens are url-safe base64 and dots: nothing to escape.
  return out + param + "=" + token + tail;
}

std::string ReadTokenFromStdin() {
  // Anything far beyond the verifier's limit is rejected there anyway.
  constexpr size_t kMaxRead = 4 * jwt::kMaxTokenSize;
  std::string text;
  char buf[4096];
  while (text.size() <= kMaxRead && std::cin.read(buf, sizeof buf).gcount() > 0) {
    text.append(buf, static_cast<size_t>(std::cin.gcount()));
  }
  const char* space = " \t\r\n";
  size_t begin = text.find_first_not_of(space);
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(space) - begin + 1);
}

int RunVerify(const TokenOptions& options, const std::string& secret) {
  std::string token = options.verify == "-" ? ReadTokenFromStdin() : options.verify;
  const int64_t now = std::time(nullptr);
  auto result = jwt::Verify(token, secret, now);
  if (!result.ok()) {
    if (options.json) {
      ordered_json out = {
          {"valid", false}, {"reason", result.error().code}, {"message", result.error().message}};
      std::cout << Dump(out) << "\n";
    } else {
      std::cout << "invalid: " << result.error().code << ": " << result.error().message << "\n";
    }
    return kExitFailure;
  }
  const jwt::VerifiedToken& verified = *result;
  if (options.json) {
    ordered_json identifiers = ordered_json::parse(verified.identifiers, nullptr, false);
    ordered_json out = {{"valid", true}};
    // ext is a JSON string by convention; show it parsed when it is one.
    out["identifiers"] =
        identifiers.is_discarded() ? ordered_json(verified.identifiers) : identifiers;
    out["ext"] = verified.identifiers;
    out["exp"] = verified.exp ? ordered_json(*verified.exp) : ordered_json(nullptr);
    out["expires_at"] =
        verified.exp ? ordered_json(FormatUtc(*verified.exp)) : ordered_json(nullptr);
    out["alg"] = std::string(jwt::AlgorithmName(verified.algorithm));
    std::cout << Dump(out) << "\n";
    return kExitOk;
  }
  std::cout << "valid: identifiers " << verified.identifiers;
  if (verified.exp) {
    std::cout << ", expires " << FormatUtc(*verified.exp) << " (in "
              << FormatDuration(*verified.exp - now) << ")";
  } else {
    std::cout << ", never expires";
  }
  std::cout << "\n";
  return kExitOk;
}

int RunEncode(const TokenOptions& options, const std::vector<std::string>& extras,
              const std::string& secret) {
  ordered_json identifiers = ordered_json::object();
  if (!options.identifiers.empty()) identifiers = ParseIdentifiersJson(options.identifiers);
  ParseIdentifierFlags(extras, identifiers);
  if (options.identifiers.empty() && identifiers.empty()) {
    throw UsageError(
        "no identifiers: pass them as --name=value (e.g. --user_id=42) or --identifiers JSON "
        "(use --identifiers '{}' for none)");
  }

  std::optional<int64_t> exp;
  if (!options.no_exp) {
    const int64_t ttl = ParseTtl(options.ttl);
    const int64_t now = std::time(nullptr);
    if (ttl > INT64_MAX - now) throw UsageError("--ttl is too large");
    exp = now + ttl;
  }
  auto alg = jwt::ParseAlgorithm(options.alg);
  if (!alg) throw UsageError("--alg must be HS256, HS384 or HS512");
  const std::string ext = Dump(identifiers);
  auto token = jwt::Encode(ext, secret, *alg, exp);
  if (!token.ok()) throw UsageError(token.error().message);

  if (options.jwt_param.empty()) throw UsageError("--jwt-param must not be empty");
  const std::string url =
      options.url.empty() ? "" : WithQueryParam(options.url, options.jwt_param, *token);
  if (options.json) {
    ordered_json out = {{"token", *token}, {"identifiers", identifiers}, {"ext", ext}};
    out["exp"] = exp ? ordered_json(*exp) : ordered_json(nullptr);
    out["alg"] = options.alg;
    if (!url.empty()) out["url"] = url;
    std::cout << Dump(out) << "\n";
  } else {
    std::cout << (url.empty() ? *token : url) << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddTokenCommand(CLI::App& root, Commands& commands) {
  auto* sub = root.add_subcommand("token", "Create or verify a JWT identification token");
  sub->footer(kFooter);
  // Unknown --name=value pairs are the identifiers.
  sub->allow_extras();
  auto options = std::make_shared<TokenOptions>();

  sub->add_option("--secret", options->secret,
                  "Common secret (ANYCABLE_SECRET), used when no JWT secret is set")
      ->type_name("SECRET");
  sub->add_option("--jwt-secret,--jwt_secret", options->jwt_secret,
                  "JWT secret (ANYCABLE_JWT_SECRET)")
      ->type_name("SECRET");
  auto* identifiers = sub->add_option("--identifiers", options->identifiers,
                                      "Identifiers as a JSON object, e.g. '{\"user_id\":42}'")
                          ->type_name("JSON");
  auto* ttl = sub->add_option("--ttl", options->ttl, "Seconds until the token expires")
                  ->type_name("SECONDS")
                  ->capture_default_str();
  auto* no_exp = sub->add_flag("--no-exp", options->no_exp, "Mint a token that never expires");
  auto* alg = sub->add_option("--alg", options->alg, "Signing algorithm")
                  ->transform(
                      [](std::string value) {
                        for (char& c : value) {
                          c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                        }
                        return value;
                      },
                      "", "upper")
                  ->check(CLI::IsMember({"HS256", "HS384", "HS512"}))
                  ->capture_default_str();
  auto* url = sub->add_option("--url", options->url,
                              "Print this WebSocket URL with the token as a query parameter")
                  ->type_name("URL");
  sub->add_option("--jwt-param,--jwt_param", options->jwt_param,
                  "Query parameter for --url (the server's --jwt_param)")
      ->type_name("NAME")
      ->capture_default_str();
  auto* verify = sub->add_option("--verify", options->verify,
                                 "Verify TOKEN instead of creating one ('-' reads it from stdin)")
                     ->type_name("TOKEN");
  sub->add_flag("--json", options->json, "Print JSON");

  ttl->excludes(no_exp);
  for (CLI::Option* o : {identifiers, ttl, no_exp, alg, url}) verify->excludes(o);

  commands[sub] = [sub, options] {
    const std::string secret = ResolveSecret(*options);
    if (sub->count("--verify") > 0) {
      if (!sub->remaining().empty()) {
        throw UsageError("identifier flags (" + sub->remaining().front() +
                         ") cannot be combined with --verify");
      }
      return RunVerify(*options, secret);
    }
    return RunEncode(*options, sub->remaining(), secret);
  };
}

}  // namespace cable::cli
