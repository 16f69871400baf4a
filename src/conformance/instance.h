#pragma once
// One server under test and its `cable rpc` backend: started on their own
// ports (placeholders in the command), probed until they accept
// connections, restarted on request, stopped at the end.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "conformance/process.h"
#include "conformance/target.h"

namespace cable::conformance {

struct InstanceOptions {
  std::vector<std::string> command;  // words with {port}-style placeholders; empty: external
  std::string target_url = "ws://127.0.0.1:8080/cable";
  std::string broadcast_url;              // empty: derived from the target and key
  std::string api_url;                    // REST API base; empty: <target origin>/api
  std::string api_key;                    // Bearer key for the API; empty: none
  broadcast::PublisherConfig publishing;  // key, Redis and NATS settings; adapter per step
  std::string default_adapter = "http";
  bool start_rpc = false;
  std::string rpc_listen;  // empty: a free port when the command uses {rpc_host}, else :50051
  // The backend serves HTTP RPC at http://{rpc_host}/_anycable instead of gRPC.
  bool rpc_http = false;
  std::vector<std::string> backends;
  std::string self_exe;  // the cable binary, for `cable rpc`
  std::string secret;
  // wss:// targets (and https:// broadcasts): trust this PEM; skip checks.
  std::string tls_ca_file;
  bool tls_insecure = false;
  double timeout_scale = 1.0;
  std::string log_dir;  // child output goes to files here; empty: inherited
  std::chrono::milliseconds start_timeout{10000};
  std::chrono::milliseconds stop_grace{3000};
};

// Placeholders a command, target URL or broadcast URL may contain.
inline constexpr const char* kPlaceholders[] = {"{port}",     "{broadcast_port}", "{api_port}",
                                                "{rpc_host}", "{rpc_port}",       "{secret}"};

class Instance : public Target {
 public:
  Instance(InstanceOptions options, int index);
  ~Instance() override;

  Status Start();
  void Stop();

  Endpoint endpoint() const override { return endpoint_; }
  HttpApi api() const override { return {api_url_, options_.api_key}; }
  broadcast::PublisherConfig Publishing(const std::string& adapter) const override;
  bool can_restart() const override { return !options_.command.empty(); }
  Status Restart() override;

  // After a scenario: starts again whatever died during it, and says what
  // happened (empty when everything was still running).
  std::string EnsureAlive();
  std::string Describe() const;
  int index() const { return index_; }

 private:
  Status Allocate();
  std::string Expand(const std::string& s) const;
  Status StartRpc();
  Status StartServer();
  Status WaitReady(Process& p, const std::string& what, const std::string& log,
                   const std::vector<std::pair<std::string, int>>& ports);
  std::string LogPath(const std::string& role) const;

  InstanceOptions options_;
  int index_;
  std::map<std::string, std::string> values_;  // placeholder -> value
  Endpoint endpoint_;
  std::string broadcast_url_;
  std::string api_url_;
  std::string rpc_host_;
  std::unique_ptr<Process> rpc_, server_;
  std::mutex mu_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
Result<int> FreePort();

}  // namespace cable::conformance
