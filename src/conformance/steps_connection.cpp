// Steps that open, use and close the connection, and the ones that only
// coordinate time: connect, send, close, drop, sleep, wait_all.

#include <thread>

#include "common/auth/jwt.h"
#include "common/strings.h"
#include "conformance/client_runner.h"

namespace cable::conformance {
namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

ClientRunner::Outcome ClientRunner::Do(const Step& s, const ConnectStep& a) {
  if (conn_.connected() && conn_.open()) conn_.Drop();
  Endpoint ep = run_.target().endpoint();
  ws::ConnectOptions o;
  o.host = ep.host;
  o.port = ep.port;
  o.tls = ep.tls;
  o.tls_ca_file = ep.tls_ca_file;
  o.tls_verify = ep.tls_verify;
  std::string path = ep.path;
  if (a.path) {
    auto p = a.path->RenderText(*this);
    if (!p.ok()) return Failed(s, p.error().message);
    path = *p;
  }
  std::string query = ep.query;
  auto add = [&](const std::string& k, const std::string& v) {
    query += (query.empty() ? "" : "&") + PercentEncode(k) + "=" + PercentEncode(v);
  };
  for (const auto& [k, v] : a.query) {
    auto r = v.Render(*this);
    if (!r.ok()) return Failed(s, r.error().message);
    add(k, AsText(*r));
  }
  if (a.raw_query) {
    auto r = a.raw_query->RenderText(*this);
    if (!r.ok()) return Failed(s, r.error().message);
    query += (query.empty() ? "" : "&") + *r;
  }
  o.subprotocols = a.subprotocols.value_or(std::vector<std::string>{"actioncable-v1-json"});
  for (const auto& [k, v] : a.headers) {
    auto r = v.RenderText(*this);
    if (!r.ok()) return Failed(s, r.error().message);
    o.headers.emplace_back(k, *r);
  }
  if (!a.cookies.empty()) {
    std::string cookie;
    for (const auto& [k, v] : a.cookies) {
      auto r = v.RenderText(*this);
      if (!r.ok()) return Failed(s, r.error().message);
      cookie += (cookie.empty() ? "" : "; ") + k + "=" + *r;
    }
    o.headers.emplace_back("Cookie", cookie);
  }
  if (a.token) {
    const TokenSpec& t = *a.token;
    std::string token;
    if (t.raw) {
      auto r = t.raw->RenderText(*this);
      if (!r.ok()) return Failed(s, r.error().message);
      token = *r;
    } else {
      auto ids = t.identifiers->Render(*this);
      if (!ids.ok()) return Failed(s, ids.error().message);
      std::string secret = run_.settings().jwt_secret;
      if (t.secret) {
        auto r = t.secret->RenderText(*this);
        if (!r.ok()) return Failed(s, r.error().message);
        secret = *r;
      }
      if (secret.empty()) return Failed(s, "no JWT secret to sign the token (pass --secret)");
      std::optional<int64_t> exp;
      if (t.expires_in) {
        exp = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count() +
              *t.expires_in;
      }
      auto alg = auth::jwt::ParseAlgorithm(t.algorithm);
      auto minted = auth::jwt::Encode(ids->is_string() ? ids->get<std::string>() : Dump(*ids),
                                      secret, *alg, exp);
      if (!minted.ok()) return Failed(s, "cannot mint the token: " + minted.error().message);
      token = *minted;
    }
    switch (t.place) {
      case TokenPlace::kQuery:
        add(t.param, token);
        break;
      case TokenPlace::kHeader:
        o.headers.emplace_back("X-" + Upper(t.param), token);
        break;
      case TokenPlace::kSubprotocol:
        o.subprotocols.push_back("anycable-token." + token);
        break;
    }
  }
  o.target = path + (query.empty() ? "" : "?" + query);
  o.timeout = run_.Scaled(a.timeout.value_or(run_.scenario().timeout));

  auto client = ws::Client::Connect(o);
  if (!client.ok()) {
    if (a.status != 101 && client.error().HttpStatus() == a.status) return Ok();
    return Failed(s, "cannot connect to " + std::string(o.tls ? "wss://" : "ws://") + o.host + ":" +
                         std::to_string(o.port) + o.target + ": " + client.error().message);
  }
  if (a.status != 101) {
    return Failed(s, "the upgrade was accepted; expected HTTP " + std::to_string(a.status));
  }
  std::string negotiated = client->subprotocol();
  conn_.Attach(std::move(*client));
  if (a.subprotocol && negotiated != *a.subprotocol) {
    return Failed(s, "negotiated subprotocol \"" + negotiated + "\"; expected " +
                         (a.subprotocol->empty() ? "none" : "\"" + *a.subprotocol + "\""));
  }
  if (!a.welcome) return Ok();
  auto next = conn_.Take(Deadline(a.timeout));
  std::string expected = Describe(*a.welcome, *this);
  if (next.event != Connection::Event::kMessage) {
    return Unexpected(s, next, "the welcome message", expected);
  }
  auto m = Match(*a.welcome, next.message.json, false, *this);
  if (!m.ok) {
    return Failed(s, "the first message is not the expected welcome (" + m.why + ")", expected,
                  {next.message.text});
  }
  run_.Bind(m.captures);
  return Ok();
}

ClientRunner::Outcome ClientRunner::Do(const Step& s, const SendStep& a) {
  Status st;
  switch (a.kind) {
    case SendStep::Kind::kText:
    case SendStep::Kind::kBinary: {
      auto v = a.value.Render(*this);
      if (!v.ok()) return Failed(s, v.error().message);
      std::string one = AsText(*v), payload;
      payload.reserve(one.size() * static_cast<size_t>(a.repeat));
      for (int i = 0; i < a.repeat; ++i) payload += one;
      st = a.kind == SendStep::Kind::kText ? conn_.SendText(payload) : conn_.SendBinary(payload);
      break;
    }
    case SendStep::Kind::kJson: {
      auto v = a.value.Render(*this);
      if (!v.ok()) return Failed(s, v.error().message);
      st = conn_.SendText(Dump(*v));
      break;
    }
    case SendStep::Kind::kBytes:
      st = conn_.SendRaw(a.bytes);
      break;
  }
  if (!st.ok()) return Failed(s, "cannot send: " + st.error().message);
  return Ok();
}

ClientRunner::Outcome ClientRunner::Do(const Step& s, const CloseStep& a) {
  if (!conn_.connected()) return Failed(s, "the client is not connected");
  conn_.CloseGracefully(static_cast<uint16_t>(a.code), DeadlineFor(std::chrono::seconds(1)));
  return Ok();
}

ClientRunner::Outcome ClientRunner::Do(const Step& s, const DropStep&) {
  if (!conn_.connected()) return Failed(s, "the client is not connected");
  conn_.Drop();
  return Ok();
}

ClientRunner::Outcome ClientRunner::Do(const Step& s, const SleepStep& a) {
  auto until = DeadlineFor(a.duration);
  while (Clock::now() < until) {
    if (run_.aborted().load()) return Aborted();
    std::this_thread::sleep_for(
        std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(50)));
  }
  return Ok();
}

ClientRunner::Outcome ClientRunner::Do(const Step& s, const WaitAllStep& a) {
  int arrived = 0, expected = 0;
  switch (run_.barrier().ArriveAndWait(Deadline(a.timeout), run_.aborted(), &arrived, &expected)) {
    case Barrier::Outcome::kPassed:
      return Ok();
    case Barrier::Outcome::kAborted:
      return Aborted();
    case Barrier::Outcome::kTimeout:
      return Failed(s, "wait_all timed out: " + std::to_string(arrived) + " of " +
                           std::to_string(expected) + " clients arrived");
  }
  return Ok();
}

}  // namespace cable::conformance
