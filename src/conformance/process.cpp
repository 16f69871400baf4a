#include "conformance/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

extern char** environ;

namespace cable::conformance {
namespace {

std::mutex g_registry_mu;
std::atomic<bool> g_interrupted{false};
std::set<pid_t> g_registry;
std::string g_cleanup_dir;  // guarded by g_registry_mu

void Unregister(pid_t pid) {
  std::lock_guard lock(g_registry_mu);
  g_registry.erase(pid);
}

// The thread every fork happens on: it lives as long as the process, so
// the children's parent-death signal fires only when the runner dies.
class Spawner {
 public:
  static Spawner& Get() {
    static Spawner* s = new Spawner();  // never destroyed: children reference its thread
    return *s;
  }
  void Run(std::function<void()> fn) {
    std::unique_lock lock(mu_);
    bool done = false;
    queue_.push_back([&] {
      fn();
      std::lock_guard inner(mu_);
      done = true;
      cv_.notify_all();
    });
    cv_.notify_all();
    cv_.wait(lock, [&] { return done; });
  }

 private:
  Spawner() {
    std::thread([this] {
      std::unique_lock lock(mu_);
      while (true) {
        cv_.wait(lock, [&] { return !queue_.empty(); });
        auto job = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        job();
        lock.lock();
      }
    }).detach();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
};

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

Result<std::unique_ptr<Process>> Process::Spawn(const std::vector<std::string>& argv,
                                                const std::string& log_path) {
  if (argv.empty() || argv[0].empty()) return Error{"spawn", "empty command"};
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int out_fd = -1;
  if (!log_path.empty()) {
    out_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (out_fd < 0) return Error{"spawn", "cannot open " + log_path + ": " + std::strerror(errno)};
  }
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  // exec failures travel back over a close-on-exec pipe: EOF means success.
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    if (out_fd >= 0) close(out_fd);
    if (null_fd >= 0) close(null_fd);
    return Error{"spawn", std::string("pipe: ") + std::strerror(errno)};
  }
  pid_t pid = -1;
  int fork_errno = 0;
  const pid_t parent = getpid();
  bool refused = false;
  Spawner::Get().Run([&] {
    // Held across fork and registration: once the watcher has taken its
    // snapshot of the children, no new one may appear behind its back.
    std::lock_guard lock(g_registry_mu);
    if (g_interrupted.load()) {
      refused = true;
      return;
    }
    pid = fork();
    if (pid < 0) {
      fork_errno = errno;
      return;
    }
    if (pid == 0) {
      // Only async-signal-safe calls until exec.
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      signal(SIGPIPE, SIG_DFL);
      if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
      if (out_fd >= 0) {
        dup2(out_fd, STDOUT_FILENO);
        dup2(out_fd, STDERR_FILENO);
      }
      execvp(args[0], args.data());
      int e = errno;
      ssize_t ignored = write(report[1], &e, sizeof e);
      (void)ignored;
      _exit(127);
    }
    // Registered before anyone can observe the pid, so a signal arriving
    // right now still stops this child.
    setpgid(pid, pid);
    g_registry.insert(pid);
  });
  close(report[1]);
  if (out_fd >= 0) close(out_fd);
  if (null_fd >= 0) close(null_fd);
  if (refused) {
    close(report[0]);
    return Error{"spawn", "interrupted"};
  }
  if (pid < 0) {
    close(report[0]);
    return Error{"spawn", std::string("fork: ") + std::strerror(fork_errno)};
  }
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(report[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  std::unique_ptr<Process> p(new Process(pid));
  if (n == sizeof child_errno) {
    p->Reap(true);
    return Error{"spawn", "cannot run " + argv[0] + ": " + std::strerror(child_errno)};
  }
  return p;
}

Process::~Process() {
  if (!exit_code_) Stop(std::chrono::seconds(3));
}

bool Process::Reap(bool block) {
  if (exit_code_) return true;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exit_code_ = DecodeStatus(status);
  } else if (r < 0 && errno == ECHILD) {
    exit_code_ = -1;  // reaped elsewhere (the signal watcher)
  } else {
    return false;
  }
  // The leader is gone; whatever it started in its group goes with it.
  kill(-pid_, SIGKILL);
  Unregister(pid_);
  return true;
}

bool Process::Running() {
  return !Reap(false);
}

int Process::Stop(std::chrono::milliseconds grace) {
  if (exit_code_) return *exit_code_;
  kill(-pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Reap(false)) return *exit_code_;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(-pid_, SIGKILL);
  Reap(true);
  return *exit_code_;
}

std::string Process::StatusText() {
  if (Running()) return "running";
  int code = *exit_code_;
  if (code > 128) return "killed by signal " + std::to_string(code - 128);
  return "exited with code " + std::to_string(code);
}

void InstallSignalWatcher() {
  static sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([] {
    int sig = 0;
    sigwait(&set, &sig);
    const char msg[] = "\ncable conformance: interrupted; stopping the processes it started\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    std::set<pid_t> pids;
    {
      std::lock_guard lock(g_registry_mu);
      g_interrupted.store(true);
      pids = g_registry;
    }
    for (pid_t p : pids) kill(-p, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (!pids.empty() && std::chrono::steady_clock::now() < deadline) {
      for (auto it = pids.begin(); it != pids.end();) {
        int status;
        pid_t r = waitpid(*it, &status, WNOHANG);
        if (r == *it || (r < 0 && errno == ECHILD))
          it = pids.erase(it);
        else
          ++it;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    {
      std::lock_guard lock(g_registry_mu);
      for (pid_t p : g_registry) kill(-p, SIGKILL);
    }
    for (pid_t p : pids) waitpid(p, nullptr, 0);
    std::string dir;
    {
      std::lock_guard lock(g_registry_mu);
      dir = g_cleanup_dir;
    }
    if (!dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
    _exit(128 + sig);
  }).detach();
}

void AwaitInterruptExit() {
  if (!g_interrupted.load()) return;
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

void RemoveOnInterrupt(const std::string& dir) {
  std::lock_guard lock(g_registry_mu);
  g_cleanup_dir = dir;
}

std::string FileTail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {};
  auto size = static_cast<size_t>(in.tellg());
  size_t start = size > max_bytes ? size - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(start));
  std::string out(size - start, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  return out;
}

}  // namespace cable::conformance
