#include "support/postgres_server.hpp"

#include <libpq-fe.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace gatehouse::testing {
namespace fs = std::filesystem;

namespace {

const std::string bindir = GATEHOUSE_POSTGRES_BINDIR;
const fs::path template_dir = GATEHOUSE_POSTGRES_TEMPLATE;

// PostgreSQL refuses to run as root: then it runs as `postgres` (Debian's package makes that
// user) or `nobody`.
struct ServerUser {
  bool switch_to = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

const ServerUser& server_user() {
  static const ServerUser user = [] {
    if (geteuid() != 0) return ServerUser{};
    for (const char* name : {"postgres", "nobody"})
      if (const passwd* pw = getpwnam(name)) return ServerUser{true, pw->pw_uid, pw->pw_gid};
    throw std::runtime_error("running as root, and no user 'postgres' or 'nobody' to run as");
  }();
  return user;
}

void give_to_server_user(const fs::path& path) {
  const auto& user = server_user();
  if (user.switch_to && chown(path.c_str(), user.uid, user.gid) != 0)
    throw std::runtime_error("cannot chown " + path.string());
}

// A server's data directory is a thousand files: on some disks creating them costs 0.7 s per
// test, in RAM 40 ms. So /dev/shm when it has room, unless TMPDIR says where.
fs::path temp_root() {
  struct statvfs shm {};
  if (!std::getenv("TMPDIR") && statvfs("/dev/shm", &shm) == 0 &&
      shm.f_bavail * shm.f_frsize > (std::uint64_t{1} << 30) && access("/dev/shm", W_OK) == 0)
    return "/dev/shm";
  return fs::temp_directory_path();
}

fs::path make_temp_dir(const std::string& prefix) {
  std::string pattern = (temp_root() / (prefix + "XXXXXX")).string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  fs::permissions(pattern, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  return pattern;
}

// What can be read of `path`; empty when it cannot be opened. A /proc file of a process that
// ends while it is read fails with ESRCH: what was read so far is returned (std::ifstream would
// throw from inside its iterator).
std::string read_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string out;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      out.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  ::close(fd);
  return out;
}

// Forks and execs `argv` (as the server user when asked), stdout and stderr appended to `log`.
// Only async-signal-safe calls after fork: the test process has threads.
pid_t spawn(const std::vector<std::string>& argv, bool as_server_user, const fs::path& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const auto user = server_user();
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    // Raw system calls: in the child this is the only thread, so they change its credentials.
    if (as_server_user && user.switch_to &&
        (syscall(SYS_setgroups, 0, nullptr) != 0 || syscall(SYS_setgid, user.gid) != 0 ||
         syscall(SYS_setuid, user.uid) != 0))
      _exit(126);
    execv(args[0], args.data());
    _exit(127);
  }
  ::close(out);
  ::close(in);
  if (pid < 0) throw std::runtime_error("fork failed");
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run(const std::vector<std::string>& argv, bool as_server_user, const fs::path& log) {
  return wait_for(spawn(argv, as_server_user, log));
}

// initdb once per build tree (0.5 s), copied for each server (40 ms). Several test processes
// may start together: the first makes it under a lock, the others wait.
void ensure_template() {
  if (fs::exists(template_dir / "PG_VERSION")) return;
  fs::create_directories(template_dir.parent_path());
  const auto lock_path = template_dir.string() + ".lock";
  const int lock = ::open(lock_path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (lock < 0 || flock(lock, LOCK_EX) != 0) throw std::runtime_error("cannot lock " + lock_path);
  std::unique_ptr<int, void (*)(int*)> unlock(new int(lock), [](int* fd) {
    flock(*fd, LOCK_UN);
    ::close(*fd);
    delete fd;
  });
  if (fs::exists(template_dir / "PG_VERSION")) return;
  // initdb runs as the server user, so it works in the temp dir (the build tree's parents may be
  // closed to that user); root copies the result into the build tree, keeping its owner.
  const auto work = make_temp_dir("gatehouse-initdb-");
  give_to_server_user(work);
  const auto log = work / "initdb.log";
  const int status =
      run({bindir + "/initdb", "-D", (work / "data").string(), "-A", "trust", "-U", "postgres",
           "-E", "UTF8", "--locale=C", "--wal-segsize=1", "--no-sync", "--no-instructions"},
          true, log);
  const auto output = read_file(log);
  const auto staging = template_dir.string() + ".staging";
  fs::remove_all(staging);
  if (status != 0 || run({"/bin/cp", "-a", (work / "data").string(), staging}, false, log) != 0) {
    fs::remove_all(work);
    throw std::runtime_error("initdb failed: " + output);
  }
  fs::remove_all(work);
  fs::rename(staging, template_dir);
}

int free_loopback_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  if (::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    ::close(s);
    throw std::runtime_error("no free loopback port");
  }
  ::close(s);
  return ntohs(addr.sin_port);
}

// The postmaster's children (backends and helpers); each is a session leader of its own, so
// only their parent id finds them.
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::istringstream stat(read_file(entry.path() / "stat"));
    std::string pid, comm, state;
    pid_t ppid = 0;
    if (stat >> pid >> comm >> state >> ppid && ppid == parent) out.push_back(std::stoi(pid));
  }
  return out;
}

bool gone(pid_t pid) {
  const auto stat = read_file(fs::path("/proc") / std::to_string(pid) / "stat");
  const auto close_paren = stat.rfind(')');
  return stat.empty() || (close_paren != std::string::npos && stat.size() > close_paren + 2 &&
                          stat[close_paren + 2] == 'Z');
}

// Runs when the test process ends in any way (its end of the pipe closes): stops the server
// and removes its directory. $1: data directory, $2: the whole directory.
constexpr const char* watchdog_script = R"sh(
read -r _
pid=$(head -n 1 "$1/postmaster.pid" 2>/dev/null)
alive() { [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat")" != Z ]; }
if [ -n "$pid" ] && alive "$pid"; then
  kill -CONT "$pid" 2>/dev/null
  kill -QUIT "$pid" 2>/dev/null
  i=0
  while alive "$pid" && [ "$i" -lt 100 ]; do sleep 0.05; i=$((i+1)); done
  for s in /proc/[0-9]*/stat; do
    read -r p _ _ pp _ < "$s" 2>/dev/null && [ "$pp" = "$pid" ] && kill -KILL "$p" 2>/dev/null
  done
  kill -KILL "$pid" 2>/dev/null
fi
rm -rf "$2"
)sh";

}  // namespace

PostgresServer::PostgresServer() {
  ensure_template();
  root_ = make_temp_dir("gatehouse-pg-");
  give_to_server_user(root_);
  start_watchdog();  // from here on the directory goes away with this process
  data_ = root_ / "data";
  socket_ = root_ / "socket";
  fs::create_directory(socket_);
  give_to_server_user(socket_);
  if (run({"/bin/cp", "-a", template_dir.string(), data_.string()}, false, root_ / "setup.log") !=
      0)
    throw std::runtime_error("cannot copy the template data directory");
  // Durability still means what it says for kill -9: a commit writes its WAL before it is
  // acknowledged (synchronous_commit stays on) and the page cache survives the processes;
  // only fsync, which guards against power loss, is off to keep the tests fast.
  std::ofstream(data_ / "postgresql.conf", std::ios::app)
      << "\nlisten_addresses = '127.0.0.1'\n"
      << "unix_socket_directories = '" << socket_.string() << "'\n"
      << "max_connections = 200\nshared_buffers = 16MB\nfsync = off\n"
      << "log_min_messages = warning\nlog_connections = off\n";
  // One role signs in with a password (the tests of URL, passfile and PGPASSWORD); the rest is
  // trusted on loopback.
  std::ofstream(data_ / "pg_hba.conf", std::ios::trunc)
      << "local all all trust\n"
      << "host all gatehouse_password 127.0.0.1/32 scram-sha-256\n"
      << "host all all 127.0.0.1/32 trust\n";
  for (int attempt = 0; attempt < 5; ++attempt)
    if (start_on(free_loopback_port())) return;
  throw std::runtime_error("PostgreSQL did not start: " + log_tail());
}

PostgresServer::~PostgresServer() {
  if (postmaster_ > 0) {
    if (paused_) resume();
    kill(postmaster_, SIGQUIT);  // immediate shutdown: the data is thrown away anyway
    wait_for(postmaster_);
  }
  ::close(watchdog_pipe_);  // the watchdog removes the directory
  wait_for(watchdog_);
}

PostgresServer& PostgresServer::shared() {
  static PostgresServer server;
  return server;
}

void PostgresServer::start_watchdog() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  const std::string data = (root_ / "data").string(), root = root_.string();
  const pid_t pid = fork();
  if (pid == 0) {
    setsid();  // a kill of the test's process group leaves it alive to clean up
    dup2(fds[0], 0);
    execl("/bin/sh", "sh", "-c", watchdog_script, "watchdog", data.c_str(), root.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  ::close(fds[0]);
  if (pid < 0) throw std::runtime_error("fork failed");
  watchdog_ = pid;
  watchdog_pipe_ = fds[1];
}

bool PostgresServer::start_on(int port) {
  port_ = port;
  postmaster_ = spawn({bindir + "/postgres", "-D", data_.string(), "-p", std::to_string(port)},
                      true, root_ / "server.log");
  const auto conninfo = url();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (PQping(conninfo.c_str()) == PQPING_OK) return true;
    int status = 0;
    if (waitpid(postmaster_, &status, WNOHANG) == postmaster_) {  // it gave up (port taken?)
      postmaster_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(postmaster_, SIGKILL);
  wait_for(postmaster_);
  postmaster_ = -1;
  return false;
}

void PostgresServer::start() {
  if (postmaster_ > 0) return;
  if (!start_on(port_)) throw std::runtime_error("PostgreSQL did not start again: " + log_tail());
}

void PostgresServer::stop() {
  if (postmaster_ <= 0) return;
  if (paused_) resume();
  kill(postmaster_, SIGINT);  // fast shutdown: sessions are ended, the data is checkpointed
  wait_for(postmaster_);
  postmaster_ = -1;
}

void PostgresServer::kill_hard() {
  if (postmaster_ <= 0) return;
  // Frozen first, so it can neither fork a new backend nor restart the ones that die.
  kill(postmaster_, SIGSTOP);
  const auto children = children_of(postmaster_);
  for (pid_t child : children) kill(child, SIGKILL);
  kill(postmaster_, SIGKILL);
  wait_for(postmaster_);
  postmaster_ = -1;
  paused_ = false;
  for (pid_t child : children)
    while (!gone(child)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

void PostgresServer::pause() {
  if (postmaster_ <= 0) return;
  kill(postmaster_, SIGSTOP);
  for (pid_t child : children_of(postmaster_)) kill(child, SIGSTOP);
  paused_ = true;
}

void PostgresServer::resume() {
  if (postmaster_ <= 0) return;
  for (pid_t child : children_of(postmaster_)) kill(child, SIGCONT);
  kill(postmaster_, SIGCONT);
  paused_ = false;
}

std::string PostgresServer::enable_tls() {
  const auto cert = root_ / "server.crt", key = root_ / "server.key";
  if (!fs::exists(cert)) {
    const int status = run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                            "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                            "-keyout", key.string(), "-out", cert.string()},
                           false, root_ / "setup.log");
    if (status != 0) throw std::runtime_error("openssl failed: " + read_file(root_ / "setup.log"));
    fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write);
    give_to_server_user(key);
    give_to_server_user(cert);
  }
  // One statement each: ALTER SYSTEM refuses to run inside the transaction of a multi-statement.
  query("ALTER SYSTEM SET ssl_cert_file = '" + cert.string() + "'");
  query("ALTER SYSTEM SET ssl_key_file = '" + key.string() + "'");
  query("ALTER SYSTEM SET ssl = on");
  query("SELECT pg_reload_conf()");
  // The reload is asynchronous: wait until new sessions can use TLS.
  for (int i = 0; i < 200 && query("SHOW ssl") != "on"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return cert.string();
}

std::string PostgresServer::url(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::create_database() {
  static std::atomic<int> counter{0};
  const auto name = "gatehouse_test_" + std::to_string(++counter);
  query("CREATE DATABASE " + name);
  return url(name);
}

std::string PostgresServer::query(const std::string& sql, const std::string& database) const {
  return query_url(sql, url(database));
}

std::string PostgresServer::query_url(const std::string& sql, const std::string& target) const {
  std::unique_ptr<PGconn, decltype(&PQfinish)> c(PQconnectdb(target.c_str()), &PQfinish);
  if (PQstatus(c.get()) != CONNECTION_OK)
    throw std::runtime_error(std::string("cannot connect: ") + PQerrorMessage(c.get()));
  PQsetNoticeProcessor(
      c.get(), [](void*, const char*) {}, nullptr);
  std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(c.get(), sql.c_str()), &PQclear);
  const auto status = PQresultStatus(r.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK)
    throw std::runtime_error(sql + ": " + PQresultErrorMessage(r.get()));
  std::string out;
  for (int row = 0; row < PQntuples(r.get()); ++row) {
    if (row) out += ",";
    for (int column = 0; column < PQnfields(r.get()); ++column) {
      if (column) out += "|";
      out += PQgetisnull(r.get(), row, column) ? "NULL" : PQgetvalue(r.get(), row, column);
    }
  }
  return out;
}

std::string PostgresServer::log_tail() const {
  const auto log = read_file(root_ / "server.log");
  return log.size() > 4000 ? log.substr(log.size() - 4000) : log;
}

}  // namespace gatehouse::testing
