// What hostile load does to the `cable serve` process as a whole, measured
// from outside (/proc, stderr) against the real binary:
// - out of file descriptors, the server keeps serving the sessions it has,
//   pauses accepting instead of spinning on accept(), logs the episode
//   once, and accepts again when descriptors free up;
// - its log cannot be used against it: control characters in client text
//   are escaped (no forged lines), one client's bad input is logged a few
//   times and then counted, and a log sink that stops reading does not
//   stop the server;
// - memory taken by a flood of connections is given back once they leave.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "server/raw_http.h"
#include "server/server_test_helpers.h"

extern char** environ;

namespace cable::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// `text` with control characters other than newlines as \xNN, safe to
// print in a failure message.
std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n') || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

size_t CountLinesWith(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (const auto& line : Lines(text)) n += line.find(needle) != std::string::npos;
  return n;
}

size_t OpenDescriptors(pid_t pid) {
  size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

// User plus system CPU time of the whole process (all threads).
std::chrono::duration<double> CpuTime(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may hold
  // spaces: state is field 3, utime 14, stime 15.
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return std::chrono::duration<double>(static_cast<double>(utime + stime) /
                                       static_cast<double>(sysconf(_SC_CLK_TCK)));
}

// Connects to 127.0.0.1:port and waits for the welcome.
Result<ws::Client> ConnectWelcomedOn(int port) {
  ws::ConnectOptions o;
  o.port = port;
  auto client = ws::Client::Connect(o);
  if (!client.ok()) return client.error();
  auto welcome = NextMessage(*client);
  if (!welcome.ok()) return Error{"no_welcome", welcome.error().message};
  if (!MatchesSubset(*welcome, {{"type", "welcome"}})) {
    return Error{"no_welcome", "first message is " + welcome->dump()};
  }
  return std::move(client.value());
}

ServeOptions TestChannels(std::vector<std::string> args = {}) {
  ServeOptions options;
  options.backend = AnytWithTestChannels();
  options.args = std::move(args);
  return options;
}

// -------------------------------------------------- descriptor exhaustion

TEST(DescriptorExhaustionTest, AtTheLimitTheServerServesItsSessionsIdlesAndRecovers) {
  CableServer server(TestChannels());
  const pid_t pid = server.process().pid();
  std::vector<ws::Client> sessions;
  for (int i = 0; i < 3; ++i) {
    auto client = ConnectWelcomed(server);
    ASSERT_TRUE(client.ok()) << client.error().message;
    sessions.push_back(std::move(client.value()));
  }
  // Room for kRoom more descriptors, whatever the server holds open at
  // start. The first kRoom extra clients are accepted (and wait for a
  // request head); the rest wait in the kernel's backlog. Closing them all
  // frees more descriptors than the backlog holds clients, so the episode
  // ends once.
  constexpr int kRoom = 30;
  constexpr int kExtra = 50;
  const rlim_t limit = OpenDescriptors(pid) + kRoom;
  rlimit lowered{limit, limit};
  if (::prlimit(pid, RLIMIT_NOFILE, &lowered, nullptr) != 0) {
    GTEST_SKIP() << "cannot lower the server's descriptor limit: " << std::strerror(errno);
  }

  // Far more clients than descriptors; the kernel completes their
  // handshakes, the server cannot accept them.
  std::vector<RawConnection> extra;
  for (int i = 0; i < kExtra; ++i) {
    extra.emplace_back(server.port());
    ASSERT_TRUE(extra.back().ok()) << "extra connection " << i;
  }
  ASSERT_TRUE(server.process().WaitForOutput("accept failed", 5s))
      << "the server never ran out of descriptors (limit " << limit << ")";

  for (size_t i = 0; i < sessions.size(); ++i) {
    EXPECT_TRUE(Pongs(sessions[i])) << "welcomed session " << i << " at the descriptor limit";
  }
  // Spinning on accept() would burn a core here.
  const auto cpu_before = CpuTime(pid);
  std::this_thread::sleep_for(1s);
  const auto cpu = CpuTime(pid) - cpu_before;
  EXPECT_LT(cpu.count(), 0.3) << "CPU seconds used over one second at the descriptor limit";
  for (size_t i = 0; i < sessions.size(); ++i) {
    EXPECT_TRUE(Pongs(sessions[i])) << "welcomed session " << i << " a second later";
  }
  const std::string at_limit = server.process().Stderr();
  EXPECT_EQ(CountLinesWith(at_limit, "accept failed"), 1u)
      << "one line per episode, not one per attempt:\n"
      << at_limit.substr(0, 2000);

  extra.clear();
  ASSERT_CONNECTED(late, ConnectWelcomed(server));
  EXPECT_TRUE(Pongs(late)) << "a new client once descriptors are free";
  EXPECT_TRUE(server.process().WaitForOutput("accepting connections again after", 5s))
      << "the end of the episode is logged with a count";
  const std::string all = server.process().Stderr();
  EXPECT_EQ(CountLinesWith(all, "accept failed"), 1u) << "one episode:\n" << all.substr(0, 3000);
  EXPECT_EQ(CountLinesWith(all, "accepting connections again"), 1u) << all.substr(0, 3000);
}

// ------------------------------------------------------------------ logs

// Text that would pass for a line of its own if written as it is.
constexpr const char* kForgedLine = "2026-01-01T00:00:00.000Z ERROR forged by a client";

TEST(LogTest, ControlCharactersFromClientsAreEscapedSoNoLineCanBeForged) {
  CableServer server(TestChannels());
  ASSERT_CONNECTED(client, ConnectWelcomed(server));
  const std::string identifier = std::string("x\n") + kForgedLine + "\r\x1b[2K\x07";
  ASSERT_TRUE(client.SendText(UnsubscribeCommand(identifier)).ok());
  ASSERT_TRUE(client.SendText(PerformCommand(identifier, {{"action", "x"}})).ok());
  ASSERT_TRUE(Pongs(client));
  ASSERT_TRUE(server.process().WaitForOutput("forged by a client", 5s))
      << "the warnings about the unknown identifier were not logged";

  const std::string err = server.process().Stderr();
  for (const auto& line : Lines(err)) {
    EXPECT_NE(line.rfind("2026-01-01T00:00:00.000Z", 0), 0u) << "forged line: " << Printable(line);
    EXPECT_EQ(line.find_first_of("\r\x1b\x07"), std::string::npos)
        << "raw control character in: " << Printable(line);
  }
  EXPECT_NE(err.find(std::string("x\\n") + kForgedLine + "\\r\\x1b[2K\\x07"), std::string::npos)
      << "the identifier appears escaped:\n"
      << Printable(err);
}

TEST(LogTest, ALongClientStringIsCutIn4KiBLines) {
  CableServer server(TestChannels());
  ASSERT_CONNECTED(client, ConnectWelcomed(server, "/cable", {{"X-Request-ID", "long-id"}}));
  ASSERT_TRUE(client.SendText(UnsubscribeCommand(std::string(60000, 'L'))).ok());
  ASSERT_TRUE(Pongs(client));
  // The whole line, not just its start: a 4 KiB line may reach the pipe in
  // two reads.
  ASSERT_TRUE(server.process().WaitForOutput("bytes)", 5s)) << server.process().Stderr();
  for (const auto& line : Lines(server.process().Stderr())) {
    if (line.find("sid=long-id") == std::string::npos) continue;
    EXPECT_LE(line.size(), 4096u + 200u) << "a log line of " << line.size() << " bytes";
    EXPECT_NE(line.find("bytes)"), std::string::npos)
        << "the cut is marked with the original size: ..." << line.substr(line.size() - 80);
  }
}

TEST(LogTest, OneClientsBadInputIsLoggedFiveTimesThenCounted) {
  CableServer server(TestChannels());
  ASSERT_CONNECTED(noisy, ConnectWelcomed(server, "/cable", {{"X-Request-ID", "binary-noise"}}));
  std::string frames;
  for (int i = 0; i < 200; ++i) frames += MaskedFrame(0x2, "\x01\x02\x03");
  ASSERT_TRUE(noisy.SendRaw(frames).ok());
  ASSERT_TRUE(Pongs(noisy)) << "200 binary frames are ignored";
  ASSERT_TRUE(noisy.SendClose(1000).ok());
  EXPECT_TRUE(ReceivesClose(noisy, 1000));
  ASSERT_TRUE(server.process().WaitForOutput("more lines about its input were not logged", 5s))
      << "the suppressed warnings are summed up when the session ends:\n"
      << server.process().Stderr().substr(0, 3000);

  const std::string err = server.process().Stderr();
  size_t about_it = 0;
  std::string summary;
  for (const auto& line : Lines(err)) {
    if (line.find("sid=binary-noise") == std::string::npos || line.find(" WARN ") == line.npos) {
      continue;
    }
    if (line.find("more lines") != std::string::npos) {
      summary = line;
    } else {
      ++about_it;
    }
  }
  EXPECT_LE(about_it, 5u) << "warning lines about one client's input:\n" << err.substr(0, 3000);
  EXPECT_GE(about_it, 1u) << "the first ones are logged";
  EXPECT_NE(summary.find("sid=binary-noise: 195 more lines"), std::string::npos) << summary;
}

// `cable serve` with its stderr connected to a pipe that is full before
// the server starts and that nobody reads: its first write to stderr, and
// every one after, would block for ever.
class StalledStderrServer {
 public:
  explicit StalledStderrServer(const std::vector<std::string>& extra_args) {
    port_ = FreePort();
    broadcast_port_ = FreePort();
    std::vector<std::string> argv = {CableBinary(),
                                     "serve",
                                     "--host",
                                     "127.0.0.1",
                                     "--port",
                                     std::to_string(port_),
                                     "--http_broadcast_port",
                                     std::to_string(broadcast_port_),
                                     "--broadcast_adapter",
                                     "http",
                                     "--backend",
                                     AnytWithTestChannels()};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
      if (std::strncmp(*e, "ANYCABLE_", 9) != 0 && std::strncmp(*e, "REDIS_URL=", 10) != 0) {
        env.emplace_back(*e);
      }
    }
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);

    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    read_end_ = fds[0];
    // Fill the pipe through a second, non-blocking open file description of
    // its write end; the server's stderr (the first one) stays blocking.
    const int filler =
        ::open(("/proc/self/fd/" + std::to_string(fds[1])).c_str(), O_WRONLY | O_NONBLOCK);
    if (filler < 0) throw std::runtime_error("cannot reopen the pipe's write end");
    const std::string chunk(4096, '#');
    while (::write(filler, chunk.data(), chunk.size()) > 0) {
    }
    while (::write(filler, chunk.data(), 1) > 0) {
    }
    ::close(filler);
    filled_ = queued();

    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::dup2(null, STDIN_FILENO);
      ::dup2(null, STDOUT_FILENO);
      ::dup2(fds[1], STDERR_FILENO);
      ::execve(args[0], args.data(), envp.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    ::close(null);
    if (!WaitForPort(port_) || !WaitForPort(broadcast_port_)) {
      throw std::runtime_error("cable serve with a stalled stderr did not start");
    }
  }
  ~StalledStderrServer() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    ::close(read_end_);
  }
  StalledStderrServer(const StalledStderrServer&) = delete;
  StalledStderrServer& operator=(const StalledStderrServer&) = delete;

  int port() const { return port_; }
  int broadcast_port() const { return broadcast_port_; }
  bool running() const { return ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  // Bytes in the pipe: what the test put there, as nobody reads it and no
  // writer can add to it.
  size_t queued() const {
    int n = 0;
    ::ioctl(read_end_, FIONREAD, &n);
    return static_cast<size_t>(n);
  }
  size_t filled() const { return filled_; }

 private:
  pid_t pid_ = -1;
  int read_end_ = -1;
  size_t filled_ = 0;
  int port_ = 0;
  int broadcast_port_ = 0;
};

// One client that makes the server log: a connection, `commands` rejected
// subscriptions whose identifiers fill a log line each, a disconnection.
::testing::AssertionResult MakeLogNoise(int port, int commands) {
  auto client = ConnectWelcomedOn(port);
  if (!client.ok()) {
    return ::testing::AssertionFailure() << "connect: " << client.error().message;
  }
  // `$pubsub` without --public_streams is refused, with a debug line that
  // quotes the identifier (cut at 4 KiB).
  const std::string identifier = Identifier("$pubsub", {{"stream_name", std::string(4000, 'n')}});
  std::string frames;
  for (int i = 0; i < commands; ++i) frames += MaskedFrame(0x1, SubscribeCommand(identifier));
  if (!client->SendRaw(frames).ok()) return ::testing::AssertionFailure() << "send failed";
  for (int i = 0; i < commands; ++i) {
    auto result = ReceivesMessage(*client, RejectMessage(identifier));
    if (!result) return result << " (reject " << i << ")";
  }
  client->Close();
  return ::testing::AssertionSuccess();
}

TEST(LogTest, AStalledLogSinkDoesNotStallTheServer) {
  StalledStderrServer server({"--log_level", "debug"});
  ASSERT_GT(server.filled(), 0u);
  ASSERT_CONNECTED(subscriber, ConnectWelcomedOn(server.port()));
  const auto id = StreamIdentifier("stalled-log");
  ASSERT_TRUE(Subscribes(subscriber, id));
  // Each round logs ~100 KB (connects, 25 rejected subscriptions quoting
  // 4 KB identifiers, disconnects); over the rounds that is more than the
  // server's log queue holds, so it also has to drop lines.
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(MakeLogNoise(server.port(), 25)) << "round " << i;
    ASSERT_EQ(HttpPost(server.broadcast_port(), "/_broadcast",
                       Publication("stalled-log", {{"n", i}}).dump()),
              201)
        << "broadcast " << i;
    ASSERT_TRUE(ReceivesMessage(subscriber, DataMessage(id, {{"n", i}}))) << "broadcast " << i;
  }
  EXPECT_TRUE(Pongs(subscriber));
  EXPECT_EQ(server.queued(), server.filled()) << "the pipe stayed full and unread throughout";
  EXPECT_TRUE(server.running());
}

// ------------------------------------------------------- memory after a flood

TEST(FloodTest, MemoryTakenByAFloodOfConnectionsIsReturnedAfterItLeaves) {
  constexpr int kConnections = 5000;
  rlimit nofile{};
  ::getrlimit(RLIMIT_NOFILE, &nofile);
  if (nofile.rlim_cur < kConnections + 200 && nofile.rlim_max >= kConnections + 200) {
    nofile.rlim_cur = kConnections + 200;
    ::setrlimit(RLIMIT_NOFILE, &nofile);  // also inherited by the server
  }
  if (nofile.rlim_cur < kConnections + 200) {
    GTEST_SKIP() << "needs " << kConnections + 200 << " descriptors; ulimit -n is "
                 << nofile.rlim_cur;
  }
  // Disconnect calls owed to the backend are pending work that drains at
  // --disconnect_rate (100/s), not memory left behind; this flood owes none.
  CableServer server(TestChannels({"--disconnect_mode", "never"}));
  const pid_t pid = server.process().pid();
  // A few connections first, so that code and buffers touched by the first
  // connection of a process do not count as what the flood added.
  for (int i = 0; i < 50; ++i) {
    RawConnection warm(server.port());
    ASSERT_TRUE(warm.Send(UpgradeRequest("/cable")));
    ASSERT_EQ(warm.ReadResponse().status, 101) << "warm-up connection " << i;
  }
  ASSERT_CONNECTED(warm_client, ConnectWelcomed(server));
  ASSERT_TRUE(Pongs(warm_client));
  const size_t before = ResidentBytes(pid);
  ASSERT_GT(before, 0u);

  // Opens kConnections WebSocket connections and returns the RSS with all
  // of them open.
  auto flood_once = [&](std::vector<RawConnection>& flood) -> size_t {
    flood.reserve(kConnections);
    constexpr int kBatch = 250;  // well inside the listen backlog
    for (int start = 0; start < kConnections; start += kBatch) {
      for (int i = start; i < start + kBatch; ++i) {
        flood.emplace_back(server.port());
        EXPECT_TRUE(flood.back().ok()) << "connection " << i;
        EXPECT_TRUE(flood.back().Send(UpgradeRequest("/cable"))) << "connection " << i;
      }
      for (int i = start; i < start + kBatch; ++i) {
        const RawResponse response = flood[i].ReadResponse();
        EXPECT_EQ(response.status, 101) << "connection " << i << ": " << response.error;
      }
    }
    return ResidentBytes(pid);
  };

  std::vector<RawConnection> flood;
  const size_t peak = flood_once(flood);
  const size_t added = peak > before ? peak - before : 0;
  // About 0.7 KB a connection (upgraded, unsubscribed) — 3.5 MB here.
  ASSERT_GT(added, 2u << 20) << "the flood should take memory: RSS " << before / 1024 << " -> "
                             << peak / 1024 << " KiB";
  flood.clear();

  // Not all of it can come back: Boost.Asio keeps a record per socket it
  // has seen for reuse, and those records pin most of the pages the
  // sessions shared with them. Measured: 25-35% of the flood comes back
  // after the trim, none without it (glibc keeps freed pages mapped), so
  // an eighth tells the two apart without riding on the allocator's luck.
  const size_t target = peak - added / 8;
  const auto deadline = Clock::now() + 15s;
  size_t now = ResidentBytes(pid);
  while (now > target && Clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
    now = ResidentBytes(pid);
  }
  EXPECT_LE(now, target) << "RSS before the flood " << before / 1024 << " KiB, at its peak "
                         << peak / 1024 << " KiB, 15 s after it left " << now / 1024 << " KiB";

  // What stays is reused: a second flood of the same size does not take
  // the memory again.
  std::vector<RawConnection> second;
  const size_t second_peak = flood_once(second);
  EXPECT_LE(second_peak, peak + added / 4)
      << "first flood peaked at " << peak / 1024 << " KiB, the second at " << second_peak / 1024
      << " KiB";
  second.clear();
  ASSERT_CONNECTED(client, ConnectWelcomed(server));
  EXPECT_TRUE(Pongs(client)) << "the server serves after the flood";
}

}  // namespace
}  // namespace cable::testing
