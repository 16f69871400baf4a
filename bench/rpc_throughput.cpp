// Measures how many anycable.RPC Command calls per second `cable rpc`
// answers: N concurrent callers (default 28, anycable-go's default
// --rpc_concurrency) perform BenchmarkChannel#echo in a loop over loopback
// through one gRPC channel, as anycable-go does.
//
//   rpc_throughput                          # in-process server with benchmark.yml
//   rpc_throughput --target 127.0.0.1:50051 # a running `cable rpc --channels benchmark`
//   rpc_throughput --callers 28 --seconds 10 --channels 1 --payload 200

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "anycable/rpc.grpc.pb.h"
#include "rpc/backend.h"
#include "rpc/builtin.h"
#include "rpc/grpc_server.h"

namespace {

struct Options {
  std::string target;
  int callers = 28;
  int seconds = 5;
  int channels = 1;
  int payload = 100;
};

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    std::string value = argv[i + 1];
    if (flag == "--target")
      o.target = value;
    else if (flag == "--callers")
      o.callers = std::max(1, std::atoi(value.c_str()));
    else if (flag == "--seconds")
      o.seconds = std::max(1, std::atoi(value.c_str()));
    else if (flag == "--channels")
      o.channels = std::max(1, std::atoi(value.c_str()));
    else if (flag == "--payload")
      o.payload = std::max(0, std::atoi(value.c_str()));
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      std::exit(2);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  using Clock = std::chrono::steady_clock;
  Options o = Parse(argc, argv);

  std::unique_ptr<cable::rpc::Backend> backend;
  std::unique_ptr<cable::rpc::GrpcServer> server;
  if (o.target.empty()) {
    auto src = cable::rpc::ResolveDefinition("benchmark");
    auto loaded = cable::rpc::Backend::LoadSources({*src});
    if (!loaded.ok()) return std::fprintf(stderr, "%s\n", loaded.error().message.c_str()), 1;
    backend = std::move(*loaded);
    cable::rpc::GrpcServerOptions so;
    so.host = "127.0.0.1:0";
    auto started = cable::rpc::GrpcServer::Start(*backend, so);
    if (!started.ok()) return std::fprintf(stderr, "%s\n", started.error().message.c_str()), 1;
    server = std::move(*started);
    o.target = "127.0.0.1:" + std::to_string(server->port());
  }

  std::vector<std::unique_ptr<anycable::RPC::Stub>> stubs;
  for (int i = 0; i < o.channels; ++i) {
    grpc::ChannelArguments args;
    // Distinct channels must not share one TCP connection.
    args.SetInt("cable.bench.channel", i);
    stubs.push_back(anycable::RPC::NewStub(
        grpc::CreateCustomChannel(o.target, grpc::InsecureChannelCredentials(), args)));
  }

  anycable::CommandMessage request;
  request.set_command("message");
  request.set_identifier(R"({"channel":"BenchmarkChannel"})");
  request.set_connection_identifiers("{}");
  request.set_data(R"({"action":"echo","payload":{"text":")" + std::string(o.payload, 'x') +
                   R"("}})");
  request.mutable_env()->set_url("http://localhost:8080/cable");
  (*request.mutable_env()->mutable_headers())["cookie"] = "session=abc";

  std::atomic<bool> stop{false};
  std::atomic<bool> measuring{false};
  std::atomic<long> errors{0};
  std::vector<std::vector<double>> latencies(o.callers);
  std::vector<std::thread> threads;
  for (int c = 0; c < o.callers; ++c) {
    threads.emplace_back([&, c] {
      auto& stub = *stubs[c % stubs.size()];
      auto& lat = latencies[c];
      lat.reserve(1 << 20);
      while (!stop.load(std::memory_order_relaxed)) {
        grpc::ClientContext ctx;
        ctx.AddMetadata("sid", "bench" + std::to_string(c));
        anycable::CommandResponse response;
        auto t0 = Clock::now();
        grpc::Status s = stub.Command(&ctx, request, &response);
        auto us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
        if (!s.ok() || response.status() != anycable::SUCCESS) {
          errors.fetch_add(1);
          continue;  // failed calls are not throughput
        }
        if (measuring.load(std::memory_order_relaxed)) lat.push_back(us);
      }
    });
  }

  std::this_thread::sleep_for(std::chrono::seconds(1));  // warm-up: connections, thread pools
  measuring = true;
  auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(o.seconds));
  measuring = false;
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  stop = true;
  for (auto& t : threads) t.join();

  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))];
  };
  std::printf(
      "rpc_throughput: %d callers, %d channel(s), %s, %.1f s: %.0f Command calls/s "
      "(p50 %.0f us, p99 %.0f us, errors %ld)\n",
      o.callers, o.channels, server ? "in-process server" : o.target.c_str(), elapsed,
      all.size() / elapsed, pct(0.50), pct(0.99), errors.load());
  if (server) server->Shutdown(std::chrono::milliseconds(100));
  return errors.load() == 0 ? 0 : 1;
}
