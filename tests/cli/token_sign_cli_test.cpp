// `cable token` and `cable sign` as users run them: the real binary, real
// environment variables, stdin, and independent checks with Node and Python.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/auth/base64.h"
#include "common/auth/jwt.h"
#include "common/auth/message_verifier.h"
#include "support/auth_vectors.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace cable {
namespace {

using testing::CableBinary;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::RunResult;
using testing::SpawnOptions;
using testing::TempDir;

namespace jwt = auth::jwt;

const std::vector<std::string> kSecretVars = {"ANYCABLE_SECRET", "ANYCABLE_JWT_SECRET",
                                              "ANYCABLE_STREAMS_SECRET",
                                              "ANYCABLE_TURBO_STREAMS_SECRET"};

// A clean environment: only the secrets a test sets are visible to cable.
SpawnOptions Env(std::map<std::string, std::string> env = {}, std::string stdin_data = "") {
  SpawnOptions options;
  for (const auto& name : kSecretVars) {
    if (!env.count(name)) options.unset_env.push_back(name);
  }
  options.env = std::move(env);
  options.stdin_data = std::move(stdin_data);
  return options;
}

RunResult Cable(std::vector<std::string> args, const SpawnOptions& options = Env()) {
  args.insert(args.begin(), CableBinary());
  return testing::Run(args, options);
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// Verifies with the library, independently of the CLI's own --verify.
Result<jwt::VerifiedToken> VerifyWith(const std::string& token, const std::string& secret) {
  return jwt::Verify(Trim(token), secret, std::time(nullptr));
}

std::string HeaderOf(const std::string& token) {
  return auth::Base64UrlDecode(token.substr(0, token.find('.'))).value_or("?");
}

bool OnPath(const std::string& program) {
  return testing::Run({"/bin/sh", "-c", "command -v " + program}).exit_code == 0;
}

// ---------------------------------------------------------------- token

TEST(TokenCli, PrintsATokenThatVerifiesWithTheSecret) {
  auto r = Cable({"token", "--user_id=42", "--secret", "s3cret"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), 1u);
  auto verified = VerifyWith(r.out, "s3cret");
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->identifiers, R"({"user_id":42})");
  ASSERT_TRUE(verified->exp.has_value());
  EXPECT_NEAR(static_cast<double>(*verified->exp), std::time(nullptr) + 3600.0, 5);
  EXPECT_EQ(HeaderOf(r.out), R"({"alg":"HS256","typ":"JWT"})");
}

TEST(TokenCli, RoundTripsThroughVerifyOnStdin) {
  auto minted = Cable({"token", "--user_id=42", "--secret=s3cret"});
  ASSERT_EQ(minted.exit_code, 0) << minted.err;
  auto checked = Cable({"token", "--verify", "-", "--secret=s3cret"}, Env({}, minted.out));
  ASSERT_EQ(checked.exit_code, 0) << checked.out << checked.err;
  EXPECT_THAT(Trim(checked.out),
              MatchesRegex(R"(valid: identifiers \{"user_id":42\}, expires )"
                           R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z )"
                           R"(\(in (59m|1h)\))"));
}

TEST(TokenCli, VerifiesATokenGivenAsArgument) {
  auto minted = Cable({"token", "--user_id=7", "--no-exp", "--secret=k"});
  ASSERT_EQ(minted.exit_code, 0) << minted.err;
  auto checked = Cable({"token", "--verify", Trim(minted.out), "--secret=k"});
  ASSERT_EQ(checked.exit_code, 0) << checked.err;
  EXPECT_EQ(Trim(checked.out), R"(valid: identifiers {"user_id":7}, never expires)");
}

TEST(TokenCli, IdentifierFlagsKeepOrderAndIntegersBecomeNumbers) {
  auto r = Cable({"token", "--user_id=42", "--name", "alice", "--neg", "-7", "--zip=007",
                  "--admin=true", "--ratio=1.5", "--empty=", "--secret=k", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto out = nlohmann::ordered_json::parse(r.out);
  EXPECT_EQ(out["ext"], R"({"user_id":42,"name":"alice","neg":-7,"zip":"007","admin":"true",)"
                        R"("ratio":"1.5","empty":""})");
  auto verified = VerifyWith(out["token"], "k");
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(verified->identifiers, out["ext"]);
}

TEST(TokenCli, IdentifiersJsonIsExtendedByFlags) {
  auto r = Cable({"token", "--identifiers", R"({"user_id":1,"tags":["a"],"org":{"id":2}})",
                  "--user_id=5", "--room=lobby", "--secret=k", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto out = nlohmann::ordered_json::parse(r.out);
  EXPECT_EQ(out["ext"], R"({"user_id":5,"tags":["a"],"org":{"id":2},"room":"lobby"})");
}

TEST(TokenCli, JsonOutputShape) {
  const auto before = std::time(nullptr);
  auto r = Cable({"token", "--user_id=42", "--secret=k", "--json", "--ttl=60"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), 1u);
  auto out = nlohmann::ordered_json::parse(r.out);
  ASSERT_TRUE(out.is_object());
  std::vector<std::string> keys;
  for (auto& [k, v] : out.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"token", "identifiers", "ext", "exp", "alg"}));
  EXPECT_EQ(out["identifiers"], nlohmann::ordered_json::parse(R"({"user_id":42})"));
  EXPECT_EQ(out["alg"], "HS256");
  EXPECT_GE(out["exp"].get<int64_t>(), before + 60);
  EXPECT_LE(out["exp"].get<int64_t>(), std::time(nullptr) + 60);
}

TEST(TokenCli, NoExpMintsTokensWithoutExp) {
  auto r = Cable({"token", "--user_id=42", "--secret=k", "--no-exp", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto out = nlohmann::json::parse(r.out);
  EXPECT_TRUE(out["exp"].is_null());
  auto verified = VerifyWith(out["token"], "k");
  ASSERT_TRUE(verified.ok());
  EXPECT_FALSE(verified->exp.has_value());
}

TEST(TokenCli, EveryAlgorithm) {
  for (const auto& [flag, name] : std::vector<std::pair<std::string, std::string>>{
           {"HS256", "HS256"}, {"HS384", "HS384"}, {"hs512", "HS512"}}) {
    auto r = Cable({"token", "--user_id=1", "--secret=k", "--alg", flag});
    ASSERT_EQ(r.exit_code, 0) << flag << r.err;
    EXPECT_EQ(HeaderOf(r.out), R"({"alg":")" + name + R"(","typ":"JWT"})");
    auto verified = VerifyWith(r.out, "k");
    ASSERT_TRUE(verified.ok()) << flag;
    EXPECT_EQ(jwt::AlgorithmName(verified->algorithm), name);
  }
  auto bad = Cable({"token", "--user_id=1", "--secret=k", "--alg", "RS256"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--alg"));
}

TEST(TokenCli, UrlGetsTheTokenAsQueryParameter) {
  auto plain = Cable({"token", "--user_id=1", "--secret=k", "--url", "ws://localhost:8080/cable"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_THAT(Trim(plain.out), MatchesRegex(R"(ws://localhost:8080/cable\?jid=[-_.A-Za-z0-9]+)"));
  const std::string token = Trim(plain.out).substr(Trim(plain.out).find("jid=") + 4);
  EXPECT_TRUE(VerifyWith(token, "k").ok());

  auto query = Cable({"token", "--user_id=1", "--secret=k", "--url", "wss://h/cable?x=1"});
  EXPECT_THAT(Trim(query.out), MatchesRegex(R"(wss://h/cable\?x=1&jid=[-_.A-Za-z0-9]+)"));

  auto param = Cable({"token", "--user_id=1", "--secret=k", "--url", "ws://h/cable", "--jwt_param",
                      "token", "--json"});
  ASSERT_EQ(param.exit_code, 0) << param.err;
  auto out = nlohmann::json::parse(param.out);
  EXPECT_EQ(out["url"], "ws://h/cable?token=" + out["token"].get<std::string>());
}

TEST(TokenCli, MissingSecretIsAUsageError) {
  auto r = Cable({"token", "--user_id=42"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  EXPECT_THAT(r.err, HasSubstr("no JWT secret"));
  EXPECT_THAT(r.err, HasSubstr("ANYCABLE_JWT_SECRET"));
  auto verify = Cable({"token", "--verify", "x.y.z"});
  EXPECT_EQ(verify.exit_code, 2);
}

TEST(TokenCli, BadIdentifiersJsonIsAUsageErrorNamingTheFlag) {
  for (const char* bad : {"{user_id:42}", "[1,2]", "42", "", "{\"a\":"}) {
    auto r = Cable({"token", "--identifiers", bad, "--secret=k"});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
    EXPECT_THAT(r.err, HasSubstr("--identifiers")) << bad;
  }
}

TEST(TokenCli, BadTtlIsAUsageError) {
  for (const char* bad : {"abc", "0", "-5", "1.5", "10s", "99999999999999999999"}) {
    auto r = Cable({"token", "--user_id=1", "--secret=k", "--ttl", bad});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_THAT(r.err, HasSubstr("--ttl")) << bad;
  }
  auto both = Cable({"token", "--user_id=1", "--secret=k", "--ttl=5", "--no-exp"});
  EXPECT_EQ(both.exit_code, 2);
}

TEST(TokenCli, MalformedIdentifierFlagsAreUsageErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string mentions;
  };
  const std::vector<Case> cases = {
      {{"--user_id"}, "--user_id needs a value"},
      {{"--user_id", "--json"}, "--user_id needs a value"},
      {{"stray"}, "stray"},
      {{"-u", "1"}, "-u"},
      {{"--=1"}, "--=1"},
      {{"--jwt-secrt=oops"}, "misspelling of --jwt-secret"},
      {{"--secert", "oops"}, "misspelling of --secret"},
      {{"--identifers={}"}, "misspelling of --identifiers"},
      {{"--no_exp=1"}, "misspelling of --no-exp"},
      {{"--app_secret_key=oops"}, "misspelling of --jwt-secret"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"token", "--secret=k"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto r = Cable(args);
    EXPECT_EQ(r.exit_code, 2) << c.mentions;
    EXPECT_THAT(r.err, HasSubstr(c.mentions));
  }
  // Ordinary identifier names are not mistaken for flags.
  auto plain = Cable({"token", "--secret=k", "--id=1", "--uid=2", "--account_id=3", "--tenant=a",
                      "--session_id=b", "--role=c", "--email=d", "--verified=e", "--json"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(nlohmann::json::parse(plain.out)["identifiers"].size(), 8u);

  auto none = Cable({"token", "--secret=k"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.err, HasSubstr("no identifiers"));
  auto empty = Cable({"token", "--secret=k", "--identifiers", "{}"});
  EXPECT_EQ(empty.exit_code, 0) << empty.err;
}

TEST(TokenCli, VerifyExcludesMintingFlags) {
  EXPECT_EQ(Cable({"token", "--secret=k", "--verify", "a.b.c", "--user_id=1"}).exit_code, 2);
  EXPECT_EQ(Cable({"token", "--secret=k", "--verify", "a.b.c", "--ttl=5"}).exit_code, 2);
}

TEST(TokenCli, SecretPrecedence) {
  auto mint = [](std::vector<std::string> flags, std::map<std::string, std::string> env) {
    std::vector<std::string> args = {"token", "--user_id=1"};
    args.insert(args.end(), flags.begin(), flags.end());
    return Cable(args, Env(std::move(env)));
  };
  struct Case {
    std::vector<std::string> flags;
    std::map<std::string, std::string> env;
    std::string expected_secret;
  };
  const std::vector<Case> cases = {
      {{}, {{"ANYCABLE_SECRET", "common-env"}}, "common-env"},
      {{}, {{"ANYCABLE_JWT_SECRET", "jwt-env"}}, "jwt-env"},
      {{}, {{"ANYCABLE_SECRET", "common-env"}, {"ANYCABLE_JWT_SECRET", "jwt-env"}}, "jwt-env"},
      {{"--secret=common-flag"}, {{"ANYCABLE_SECRET", "common-env"}}, "common-flag"},
      {{"--jwt-secret=jwt-flag"}, {{"ANYCABLE_JWT_SECRET", "jwt-env"}}, "jwt-flag"},
      {{"--jwt_secret=jwt-flag"}, {{"ANYCABLE_SECRET", "common-env"}}, "jwt-flag"},
      {{"--secret=common-flag", "--jwt-secret=jwt-flag"}, {}, "jwt-flag"},
      // Per setting the flag wins; between settings the JWT secret wins.
      {{"--secret=common-flag"}, {{"ANYCABLE_JWT_SECRET", "jwt-env"}}, "jwt-env"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.expected_secret);
    auto r = mint(c.flags, c.env);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(VerifyWith(r.out, c.expected_secret).ok());
  }
  auto noted = mint({"--secret=common-flag"}, {{"ANYCABLE_JWT_SECRET", "jwt-env"}});
  EXPECT_THAT(noted.err, HasSubstr("note: using ANYCABLE_JWT_SECRET"));
  auto none = mint({"--jwt-secret=none", "--secret=x"}, {});
  EXPECT_EQ(none.exit_code, 2);
}

TEST(TokenCli, VerifyRejectionsGiveTheReason) {
  const auto& vectors = testing::AuthVectors();
  for (const auto& v : vectors["rejections"]) {
    SCOPED_TRACE(v["note"].get<std::string>());
    std::string expect = v["expect"] == "error_no_ext" ? "no_ext" : v["expect"].get<std::string>();
    auto human = Cable({"token", "--verify", v["token"], "--secret", v["secret"]});
    EXPECT_EQ(human.exit_code, 1);
    EXPECT_THAT(human.out, HasSubstr("invalid: " + expect + ": "));
    auto json = Cable({"token", "--verify", v["token"], "--secret", v["secret"], "--json"});
    EXPECT_EQ(json.exit_code, 1);
    auto out = nlohmann::json::parse(json.out);
    EXPECT_EQ(out["valid"], false);
    EXPECT_EQ(out["reason"], expect);
    EXPECT_FALSE(out["message"].get<std::string>().empty());
  }
}

TEST(TokenCli, VerifyJsonShape) {
  auto v = testing::AuthVectors()["jwt"][2];  // HS384 with exp in 2100
  auto r = Cable({"token", "--verify", v["token"], "--jwt-secret", v["secret"], "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto out = nlohmann::ordered_json::parse(r.out);
  EXPECT_EQ(out["valid"], true);
  EXPECT_EQ(out["identifiers"], nlohmann::ordered_json::parse(v["identifiers"].get<std::string>()));
  EXPECT_EQ(out["ext"], v["identifiers"]);
  EXPECT_EQ(out["exp"], 4102444800);
  EXPECT_EQ(out["expires_at"], "2100-01-01T00:00:00Z");
  EXPECT_EQ(out["alg"], "HS384");
}

TEST(TokenCli, HelpHasExamples) {
  auto r = Cable({"token", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("cable token --user_id=42"));
  EXPECT_THAT(r.out, HasSubstr("ANYCABLE_JWT_SECRET"));
}

TEST(TokenCli, MultiCallThroughASymlink) {
  TempDir dir;
  std::string link = dir.Link(CableBinary(), "cable-token");
  ASSERT_FALSE(link.empty());
  auto r = testing::Run({link, "--user_id=9", "--secret=k"}, Env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto verified = VerifyWith(r.out, "k");
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(verified->identifiers, R"({"user_id":9})");
}

// Node's own crypto, sharing no code with ours.
TEST(TokenCli, NodeCryptoVerifiesTheToken) {
  if (!OnPath("node")) GTEST_SKIP() << "node is not on PATH: skipping the Node cross-check";
  const char* script = R"JS(
const crypto = require('crypto');
const [token, secret] = process.argv.slice(1);
const [h, p, s] = token.split('.');
const header = JSON.parse(Buffer.from(h, 'base64url').toString());
const algs = {HS256: 'sha256', HS384: 'sha384', HS512: 'sha512'};
const mac = crypto.createHmac(algs[header.alg], secret).update(h + '.' + p).digest();
if (!crypto.timingSafeEqual(mac, Buffer.from(s, 'base64url'))) { console.log('BAD SIGNATURE'); process.exit(1); }
const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
console.log(JSON.stringify({alg: header.alg, typ: header.typ, ext: payload.ext, ttl: payload.exp - Math.floor(Date.now() / 1000)}));
)JS";
  for (const std::string alg : {"HS256", "HS384", "HS512"}) {
    SCOPED_TRACE(alg);
    auto minted = Cable({"token", "--user_id=42", "--name=Фёдор", "--secret=s3cЯeT", "--alg", alg});
    ASSERT_EQ(minted.exit_code, 0) << minted.err;
    auto node = testing::Run({"node", "-e", script, Trim(minted.out), "s3cЯeT"}, Env());
    ASSERT_EQ(node.exit_code, 0) << node.out << node.err;
    auto out = nlohmann::json::parse(node.out);
    EXPECT_EQ(out["alg"], alg);
    EXPECT_EQ(out["typ"], "JWT");
    EXPECT_EQ(out["ext"], R"({"user_id":42,"name":"Фёдор"})");
    EXPECT_NEAR(out["ttl"].get<double>(), 3600, 5);
  }
}

// ---------------------------------------------------------------- sign

TEST(SignCli, SignsTheSpecExample) {
  auto r = Cable({"sign", "chat/2023", "--secret", "s3Krit"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "ImNoYXQvMjAyMyI=--2b2e054b6413bf3bc7e8bbad2f68962aa2ba19821800ccbd8de6fd7314e8320c\n");
}

TEST(SignCli, SignsSeveralNamesOnePerLine) {
  auto r = Cable({"sign", "chat/1", "комната/1", "a\"quote", "--streams-secret=k"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], *auth::SignStream("chat/1", "k"));
  EXPECT_EQ(lines[1], *auth::SignStream("комната/1", "k"));
  EXPECT_EQ(lines[2], *auth::SignStream("a\"quote", "k"));
}

TEST(SignCli, ReadsNamesFromStdin) {
  auto r = Cable({"sign", "first", "-", "--secret=k"}, Env({}, "chat/1\r\n\nchat/2\nchat/3"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(*auth::VerifyStream(lines[0], "k"), "first");
  EXPECT_EQ(*auth::VerifyStream(lines[1], "k"), "chat/1");
  EXPECT_EQ(*auth::VerifyStream(lines[2], "k"), "chat/2");
  EXPECT_EQ(*auth::VerifyStream(lines[3], "k"), "chat/3");
  auto empty = Cable({"sign", "-", "--secret=k"});
  EXPECT_EQ(empty.exit_code, 2);
}

TEST(SignCli, VerifyPrintsTheNameOrTheReason) {
  const std::string signed_name = *auth::SignStream("chat/42", "k");
  auto ok = Cable({"sign", "--verify", signed_name, "--secret=k"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "chat/42\n");

  auto wrong = Cable({"sign", "--verify", signed_name, "--secret=other"});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(wrong.out, HasSubstr("invalid: signature_mismatch: "));

  auto garbage = Cable({"sign", "--verify", "nonsense", "--secret=k"});
  EXPECT_EQ(garbage.exit_code, 1);
  EXPECT_THAT(garbage.out, HasSubstr("invalid: invalid_format: "));

  auto json = Cable({"sign", "--verify", signed_name, "--secret=other", "--json"});
  EXPECT_EQ(json.exit_code, 1);
  auto out = nlohmann::json::parse(json.out);
  EXPECT_EQ(out["valid"], false);
  EXPECT_EQ(out["reason"], "signature_mismatch");
}

TEST(SignCli, VerifiesRailsSignedNames) {
  auto section = testing::AuthVectors()["rails_message_verifier"];
  std::string all;
  for (const auto& v : section["signed"]) all += v["signed"].get<std::string>() + "\n";
  auto r = Cable({"sign", "--verify", "-", "--secret", section["secret"], "--json"}, Env({}, all));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), section["signed"].size());
  for (size_t i = 0; i < lines.size(); ++i) {
    auto out = nlohmann::json::parse(lines[i]);
    EXPECT_EQ(out["valid"], true);
    EXPECT_EQ(out["stream"], section["signed"][i]["stream"]);
  }
}

TEST(SignCli, JsonLines) {
  auto r = Cable({"sign", "a", "b", "--secret=k", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  auto first = nlohmann::ordered_json::parse(lines[0]);
  EXPECT_EQ(first, nlohmann::ordered_json::parse(R"({"stream":"a","signed":")" +
                                                 *auth::SignStream("a", "k") + "\"}"));
}

TEST(SignCli, UnknownFlagIsAUsageErrorNamingIt) {
  auto r = Cable({"sign", "chat/1", "--secret=k", "--bogus-flag"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--bogus-flag"));
  EXPECT_EQ(r.out, "");
}

TEST(SignCli, MissingSecretOrNamesAreUsageErrors) {
  auto r = Cable({"sign", "chat/1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("no streams secret"));
  EXPECT_EQ(Lines(r.err).size(), 1u);
  auto turbo = Cable({"sign", "--turbo", "chat/1"});
  EXPECT_EQ(turbo.exit_code, 2);
  EXPECT_THAT(turbo.err, HasSubstr("ANYCABLE_TURBO_STREAMS_SECRET"));
  auto nothing = Cable({"sign", "--secret=k"});
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_THAT(nothing.err, HasSubstr("nothing to sign"));
}

TEST(SignCli, SecretPrecedence) {
  struct Case {
    std::vector<std::string> flags;
    std::map<std::string, std::string> env;
    std::string expected_secret;
  };
  const std::vector<Case> cases = {
      {{}, {{"ANYCABLE_SECRET", "common-env"}}, "common-env"},
      {{},
       {{"ANYCABLE_SECRET", "common-env"}, {"ANYCABLE_STREAMS_SECRET", "streams-env"}},
       "streams-env"},
      {{"--secret=common-flag"}, {{"ANYCABLE_SECRET", "common-env"}}, "common-flag"},
      {{"--streams_secret=streams-flag"},
       {{"ANYCABLE_STREAMS_SECRET", "streams-env"}},
       "streams-flag"},
      {{"--streams-secret=streams-flag", "--secret=common-flag"}, {}, "streams-flag"},
      // Without --turbo the Turbo secret is not used.
      {{},
       {{"ANYCABLE_SECRET", "common-env"}, {"ANYCABLE_TURBO_STREAMS_SECRET", "turbo-env"}},
       "common-env"},
      {{"--turbo"}, {{"ANYCABLE_SECRET", "common-env"}}, "common-env"},
      {{"--turbo"}, {{"ANYCABLE_STREAMS_SECRET", "streams-env"}}, "streams-env"},
      {{"--turbo"},
       {{"ANYCABLE_STREAMS_SECRET", "streams-env"}, {"ANYCABLE_TURBO_STREAMS_SECRET", "turbo-env"}},
       "turbo-env"},
      {{"--turbo", "--turbo_streams_secret=turbo-flag"},
       {{"ANYCABLE_TURBO_STREAMS_SECRET", "turbo-env"}},
       "turbo-flag"},
      {{"--turbo", "--turbo-streams-secret=turbo-flag", "--streams-secret=s"}, {}, "turbo-flag"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.expected_secret);
    std::vector<std::string> args = {"sign", "chat/1"};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    auto r = Cable(args, Env(c.env));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto verified = auth::VerifyStream(Trim(r.out), c.expected_secret);
    EXPECT_TRUE(verified.ok()) << r.out;
  }
  // A Turbo secret without --turbo is almost certainly a mistake.
  EXPECT_EQ(Cable({"sign", "chat/1", "--secret=k", "--turbo-streams-secret=t"}).exit_code, 2);
}

TEST(SignCli, MultiCallThroughASymlink) {
  TempDir dir;
  std::string link = dir.Link(CableBinary(), "cable-sign");
  ASSERT_FALSE(link.empty());
  auto r = testing::Run({link, "chat/2023", "--secret=s3Krit"}, Env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Trim(r.out),
            "ImNoYXQvMjAyMyI=--2b2e054b6413bf3bc7e8bbad2f68962aa2ba19821800ccbd8de6fd7314e8320c");
}

// Python's hmac/hashlib/base64/json, sharing no code with ours.
TEST(SignCli, PythonVerifiesTheSignedNames) {
  if (!OnPath("python3")) GTEST_SKIP() << "python3 is not on PATH: skipping the Python cross-check";
  const char* script = R"PY(
import base64, hashlib, hmac, json, sys
secret = sys.argv[1].encode()
for line in sys.stdin.read().splitlines():
    data, digest = line.split('--')
    expected = hmac.new(secret, data.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, digest):
        print('BAD SIGNATURE'); sys.exit(1)
    # What Ruby's JSON.dump would have produced for the decoded name.
    name = json.loads(base64.b64decode(data, validate=True))
    assert json.dumps(name, ensure_ascii=False) == base64.b64decode(data).decode(), line
    print(json.dumps(name))
)PY";
  const std::vector<std::string> names = {"chat/42", "комната/1", "a\"quote", "tab\there",
                                          "notifications:user:1"};
  std::vector<std::string> args = {"sign"};
  args.insert(args.end(), names.begin(), names.end());
  args.push_back("--secret=s3cЯeT");
  auto signed_names = Cable(args);
  ASSERT_EQ(signed_names.exit_code, 0) << signed_names.err;
  auto python = testing::Run({"python3", "-c", script, "s3cЯeT"}, Env({}, signed_names.out));
  ASSERT_EQ(python.exit_code, 0) << python.out << python.err;
  auto lines = Lines(python.out);
  ASSERT_EQ(lines.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(nlohmann::json::parse(lines[i]), names[i]);
}

}  // namespace
}  // namespace cable
