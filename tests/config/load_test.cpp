// Reading the file: defaults, every setting, types, unknown names, syntax errors, the file itself.
#include "config/config.hpp"
#include "config_test_support.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <future>

namespace gatehouse::config {
namespace {

using namespace std::chrono_literals;
using testing::all_problems;
using testing::load_ok;
using testing::minimal_toml;
using testing::single_error;
using testing::with;

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST(LoadConfig, DefaultsForEverythingOptional) {
  const Config c = load_ok(minimal_toml);
  EXPECT_EQ(c.server.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.server.public_origin, "https://app.example.com");
  EXPECT_EQ(c.server.redirect_uri(), "https://app.example.com/signin-oidc");
  EXPECT_FALSE(c.server.tls_cert);
  EXPECT_FALSE(c.server.tls_key);
  EXPECT_EQ(c.server.max_body, 1024u * 1024);
  EXPECT_EQ(c.server.read_timeout, 15s);
  EXPECT_EQ(c.server.idle_timeout, 60s);
  EXPECT_EQ(c.oidc.authority, "https://login.example.com/realms/app");
  EXPECT_EQ(c.oidc.client_id, "gatehouse");
  EXPECT_EQ(c.oidc.client_secret, "s3cr3t-value");
  EXPECT_EQ(c.oidc.scopes,
            (std::vector<std::string>{"openid", "profile", "email", "offline_access"}));
  EXPECT_EQ(c.oidc.token_auth, TokenAuth::client_secret_basic);
  EXPECT_EQ(c.oidc.clock_skew, 60s);
  EXPECT_EQ(c.session.store, StoreKind::sqlite);
  EXPECT_EQ(c.session.sqlite_path, "gatehouse-sessions.db");
  EXPECT_EQ(c.session.partition, "gatehouse");
  EXPECT_EQ(c.session.idle_timeout, 30min);
  EXPECT_EQ(c.session.max_lifetime, 8h);
  EXPECT_EQ(c.session.cleanup_interval, 10min);
  EXPECT_EQ(c.session.cleanup_batch, 1000);
  EXPECT_EQ(c.session.renew_after, 1min);
  EXPECT_EQ(c.session.cookie_name, "__Host-gatehouse");
  EXPECT_TRUE(c.session.cookie_host_prefixed());
  EXPECT_EQ(c.session.same_site, SameSite::lax);
  EXPECT_EQ(c.keys.path, "gatehouse-keys.json");
  EXPECT_FALSE(c.frontend.static_dir);
  EXPECT_TRUE(c.frontend.spa_fallback);
  EXPECT_EQ(c.bff.base_path, "/bff");
}

TEST(LoadConfig, EverySettingFromTheFile) {
  gatehouse::testing::TempDir dir;
  std::ofstream(dir.file("cert.pem")) << "cert";
  std::ofstream(dir.file("key.pem")) << "key";
  const std::string toml = R"(
[server]
listen = "0.0.0.0:8443"
public_origin = "https://app.example.com:8443"
tls_cert = ")" + dir.file("cert.pem") +
                           R"("
tls_key = ")" + dir.file("key.pem") +
                           R"("
max_body = "64KiB"
read_timeout = "5s"
idle_timeout = "2m"

[oidc]
authority = "http://localhost:8081/realms/dev"
client_id = "app"
client_secret = "x"
scopes = ["openid", "api"]
token_auth = "client_secret_post"
clock_skew = "30s"

[session]
store = "memory"
sqlite_path = "/var/lib/gatehouse/s.db"
partition = "shop"
idle_timeout = "20m"
max_lifetime = "1d"
cleanup_interval = "5m"
cleanup_batch = 500
renew_after = "30s"
cookie_name = "shop_session"
same_site = "strict"

[keys]
path = "/etc/gatehouse/keys.json"

[frontend]
static_dir = ")" + dir.path().string() +
                           R"("
spa_fallback = false

[bff]
base_path = "/api/bff"
)";
  const Config c = load_ok(toml);
  EXPECT_EQ(c.server.listen, "0.0.0.0:8443");
  EXPECT_EQ(c.server.redirect_uri(), "https://app.example.com:8443/signin-oidc");
  EXPECT_EQ(c.server.tls_cert, dir.path() / "cert.pem");
  EXPECT_EQ(c.server.tls_key, dir.path() / "key.pem");
  EXPECT_EQ(c.server.max_body, 64u * 1024);
  EXPECT_EQ(c.server.read_timeout, 5s);
  EXPECT_EQ(c.server.idle_timeout, 2min);
  EXPECT_EQ(c.oidc.authority, "http://localhost:8081/realms/dev");
  EXPECT_EQ(c.oidc.client_id, "app");
  EXPECT_EQ(c.oidc.client_secret, "x");
  EXPECT_EQ(c.oidc.scopes, (std::vector<std::string>{"openid", "api"}));
  EXPECT_EQ(c.oidc.token_auth, TokenAuth::client_secret_post);
  EXPECT_EQ(c.oidc.clock_skew, 30s);
  EXPECT_EQ(c.session.store, StoreKind::memory);
  EXPECT_EQ(c.session.sqlite_path, "/var/lib/gatehouse/s.db");
  EXPECT_EQ(c.session.partition, "shop");
  EXPECT_EQ(c.session.idle_timeout, 20min);
  EXPECT_EQ(c.session.max_lifetime, 24h);
  EXPECT_EQ(c.session.cleanup_interval, 5min);
  EXPECT_EQ(c.session.cleanup_batch, 500);
  EXPECT_EQ(c.session.renew_after, 30s);
  EXPECT_EQ(c.session.cookie_name, "shop_session");
  EXPECT_FALSE(c.session.cookie_host_prefixed());
  EXPECT_EQ(c.session.same_site, SameSite::strict);
  EXPECT_EQ(c.keys.path, "/etc/gatehouse/keys.json");
  EXPECT_EQ(c.frontend.static_dir, dir.path());
  EXPECT_FALSE(c.frontend.spa_fallback);
  EXPECT_EQ(c.bff.base_path, "/api/bff");
}

TEST(LoadConfig, SizeMayBeAPlainByteCount) {
  EXPECT_EQ(load_ok(with("server", "max_body = 2048")).server.max_body, 2048u);
}

TEST(LoadConfig, WrongTypesNameTheSettingAndLine) {
  const auto error = single_error(with("server", "listen = 8080"));
  EXPECT_EQ(error, "server.listen: must be a string, got an integer (at test.toml:3:10)");
  EXPECT_TRUE(contains(single_error(with("frontend", "spa_fallback = \"yes\"")),
                       "frontend.spa_fallback: must be true or false, got a string"));
  EXPECT_TRUE(contains(single_error(with("oidc", "scopes = \"openid\"")),
                       "oidc.scopes: must be an array of strings, got a string"));
  EXPECT_TRUE(contains(single_error(with("oidc", "scopes = [\"openid\", 3]")),
                       "oidc.scopes: must be an array of strings, but element 2 is an integer"));
  EXPECT_TRUE(contains(single_error(with("session", "cleanup_batch = \"10\"")),
                       "session.cleanup_batch: must be an integer, got a string"));
  EXPECT_TRUE(
      contains(single_error(with("session", "idle_timeout = 30")),
               "session.idle_timeout: must be a duration string with a unit, like \"30s\""));
  EXPECT_TRUE(contains(single_error(with("server", "max_body = -1")),
                       "server.max_body: must not be negative"));
  EXPECT_TRUE(
      contains(single_error(with("server", "max_body = 1.5")), "server.max_body: must be a size"));
  EXPECT_TRUE(contains(single_error(with("session", "store = \"mysql\"")),
                       "session.store: must be \"sqlite\", \"memory\", \"postgres\" or "
                       "\"redis\", got \"mysql\""));
  EXPECT_TRUE(contains(single_error(with("server", "read_timeout = \"15 seconds\"")),
                       "server.read_timeout: is not a duration"));
}

TEST(LoadConfig, UnknownKeySuggestsTheClosestSetting) {
  EXPECT_EQ(single_error(with("server", "lisen = \"0.0.0.0:80\"")),
            "test.toml:3:1: unknown setting server.lisen — did you mean server.listen?");
  EXPECT_TRUE(contains(single_error(with("session", "idle-timeout = \"5m\"")),
                       "did you mean session.idle_timeout?"));
  EXPECT_EQ(single_error(with("session", "zzzz = 1")),
            "test.toml:11:1: unknown setting session.zzzz");
}

TEST(LoadConfig, KeyInTheWrongSectionPointsToTheRightOne) {
  const auto error = single_error(with("server", "base_path = \"/x\""));
  EXPECT_TRUE(contains(error, "unknown setting server.base_path — did you mean bff.base_path?"))
      << error;
}

TEST(LoadConfig, KeyInSeveralOtherSectionsListsThemAll) {
  EXPECT_TRUE(contains(single_error(with("oidc", "idle_timeout = \"5m\"")),
                       "unknown setting oidc.idle_timeout — did you mean server.idle_timeout or "
                       "session.idle_timeout?"));
}

TEST(LoadConfig, StrangeKeysAreQuotedAndCut) {
  auto result = load_config_from_string(
      with("server", "\"a\\u0001b\" = 1\n\"" + std::string(5000, 'k') + "\" = 2"), {});
  ASSERT_EQ(result.errors.size(), 2u) << all_problems(result.errors);
  EXPECT_TRUE(contains(result.errors[0].message, "unknown setting server.\"a\\u0001b\""))
      << result.errors[0].message;
  EXPECT_LT(result.errors[1].message.size(), 200u);
}

TEST(LoadConfig, UnknownSectionAndTopLevelKeys) {
  EXPECT_TRUE(contains(single_error(std::string(minimal_toml) + "[sever]\nlisten = \"x\"\n"),
                       "unknown section [sever] — did you mean [server]?"));
  EXPECT_TRUE(contains(
      single_error("listen = \"x\"\n" + std::string(minimal_toml)),
      "unknown setting listen — did you mean server.listen, admin.listen or metrics.listen?"));
  EXPECT_TRUE(contains(single_error(std::string(minimal_toml) + "[server.tls]\ncert = \"x\"\n"),
                       "unknown setting server.tls"));
  EXPECT_TRUE(contains(single_error("keys = 3\n" + std::string(minimal_toml)),
                       "[keys] must be a section (a table), got an integer"));
}

TEST(LoadConfig, SyntaxErrorHasFileLineAndColumn) {
  auto result =
      load_config_from_string("[server]\nlisten = \"a\"\npublic_origin = \n", {}, "g.toml");
  ASSERT_EQ(result.errors.size(), 1u) << all_problems(result.errors);
  const auto text = result.errors[0].to_string();
  EXPECT_TRUE(text.starts_with("g.toml:3:")) << text;
  EXPECT_TRUE(contains(text, "TOML syntax error")) << text;
  EXPECT_FALSE(result.ok());
}

TEST(LoadConfig, DuplicateKeyIsASyntaxError) {
  auto result = load_config_from_string(with("server", "listen = \"a:1\"\nlisten = \"b:2\""), {});
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_TRUE(contains(result.errors[0].to_string(), "<string>:4:"))
      << result.errors[0].to_string();
}

TEST(LoadConfig, MissingRequiredSettingsAreAllReported) {
  auto result = load_config_from_string("", {});
  EXPECT_FALSE(result.ok());
  const auto text = all_problems(result.errors);
  EXPECT_EQ(result.errors.size(), 4u) << text;
  EXPECT_TRUE(contains(text,
                       "server.public_origin: is required: set public_origin in [server] "
                       "or GATEHOUSE_SERVER_PUBLIC_ORIGIN"));
  EXPECT_TRUE(contains(text, "oidc.authority: is required"));
  EXPECT_TRUE(contains(text, "oidc.client_id: is required"));
  EXPECT_TRUE(contains(text, "oidc.client_secret: is required"));
}

TEST(LoadConfig, ManyProblemsAreReportedTogetherInFileOrder) {
  const std::string toml = R"(
[server]
public_origin = "https://app.example.com/"
lisen = "x"
read_timeout = "soon"

[oidc]
authority = "foo"
client_id = "gatehouse"
client_secret = "s"
clock_skew = "1h"

[session]
cleanup_batch = 0
same_site = "none"
)";
  auto result = load_config_from_string(toml, {}, "test.toml");
  ASSERT_EQ(result.errors.size(), 7u) << all_problems(result.errors);
  const auto text = all_problems(result.errors);
  EXPECT_TRUE(contains(text, "server.public_origin: must not end with \"/\""));
  EXPECT_TRUE(contains(text, "unknown setting server.lisen"));
  EXPECT_TRUE(contains(text, "server.read_timeout: is not a duration"));
  EXPECT_TRUE(contains(text,
                       "oidc.authority: must be an absolute http(s) URL, got \"foo\" "
                       "(at test.toml:8:13)"));
  EXPECT_TRUE(contains(text, "oidc.clock_skew: must be at most \"5m\""));
  EXPECT_TRUE(contains(text, "session.cleanup_batch: must be between 1 and 100000, got 0"));
  EXPECT_TRUE(contains(text, "session.same_site: must be \"lax\" or \"strict\", got \"none\""));
  // Conversion errors come in file order (toml++ itself iterates alphabetically).
  EXPECT_LT(text.find("lisen"), text.find("read_timeout"));
}

TEST(LoadConfig, FileIsReadFromDisk) {
  gatehouse::testing::TempDir dir;
  std::ofstream(dir.file("g.toml")) << minimal_toml;
  std::filesystem::permissions(
      dir.file("g.toml"), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto result = load_config(dir.path() / "g.toml", {});
  EXPECT_TRUE(result.ok()) << all_problems(result.errors);
  EXPECT_TRUE(result.warnings.empty()) << all_problems(result.warnings);
}

TEST(LoadConfig, LocationsNameTheFile) {
  gatehouse::testing::TempDir dir;
  std::ofstream(dir.file("g.toml")) << with("server", "listen = 1");
  auto result = load_config(dir.path() / "g.toml", {});
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].location, dir.file("g.toml") + ":3:10");
}

TEST(LoadConfig, MissingFileIsAnErrorNamingThePath) {
  gatehouse::testing::TempDir dir;
  auto result = load_config(dir.path() / "nope.toml", {});
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].to_string(), dir.file("nope.toml") + ": config file not found");
  result = load_config(dir.path(), {});
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_TRUE(contains(result.errors[0].to_string(), "is a directory"));
}

// Each failure named, not guessed from a stat() that failed: a loop is not "not found".
TEST(LoadConfig, FileProblemsAreNamed) {
  gatehouse::testing::TempDir dir;
  std::filesystem::create_symlink("loop-b.toml", dir.path() / "loop-a.toml");
  std::filesystem::create_symlink("loop-a.toml", dir.path() / "loop-b.toml");
  std::filesystem::create_symlink("gone.toml", dir.path() / "dangling.toml");
  std::ofstream(dir.file("plain.toml")) << minimal_toml;
  const std::vector<std::pair<std::string, std::string>> expected = {
      {dir.file("loop-a.toml"), "config file cannot be opened: too many levels of symbolic links"},
      {dir.file("dangling.toml"), "config file is a symbolic link to a file that does not exist"},
      {dir.file("plain.toml") + "/x", "config file cannot be opened: not a directory"},
      {dir.path().string(), "config file is a directory, not a regular file"},
      {"/dev/null", "config file is a character device, not a regular file"},
  };
  for (const auto& [path, message] : expected) {
    auto result = load_config(path, {});
    ASSERT_EQ(result.errors.size(), 1u) << path;
    EXPECT_EQ(result.errors[0].to_string(), path + ": " + message);
  }
}

TEST(LoadConfig, SymlinkToAFileIsFollowed) {
  gatehouse::testing::TempDir dir;
  std::ofstream(dir.file("real.toml")) << minimal_toml;
  std::filesystem::create_symlink("real.toml", dir.path() / "link.toml");
  auto result = load_config(dir.path() / "link.toml", {});
  EXPECT_TRUE(result.ok()) << all_problems(result.errors);
}

// Opening a FIFO for reading waits for a writer: the loader must answer without one.
TEST(LoadConfig, FifoIsRefusedWithoutWaitingForAWriter) {
  gatehouse::testing::TempDir dir;
  const auto fifo = dir.file("fifo.toml");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  auto loading = std::async(std::launch::async, [&] { return load_config(fifo, {}); });
  if (loading.wait_for(5s) != std::future_status::ready) {
    const int writer = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);  // lets the loader finish
    loading.wait();
    if (writer >= 0) ::close(writer);
    FAIL() << "load_config blocked on a FIFO";
  }
  auto result = loading.get();
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].to_string(), fifo + ": config file is a FIFO, not a regular file");
}

TEST(LoadConfig, SocketIsRefused) {
  gatehouse::testing::TempDir dir;
  const auto path = dir.file("socket.toml");
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof address.sun_path);
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0)
      << std::strerror(errno);
  auto result = load_config(path, {});
  ::close(fd);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].to_string(), path + ": config file is a socket, not a regular file");
}

TEST(LoadConfig, UnreadableFileSaysPermissionDenied) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  gatehouse::testing::TempDir dir;
  std::ofstream(dir.file("secret.toml")) << minimal_toml;
  std::filesystem::permissions(dir.file("secret.toml"), std::filesystem::perms::none);
  auto result = load_config(dir.path() / "secret.toml", {});
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].to_string(),
            dir.file("secret.toml") + ": config file cannot be opened: permission denied");
}

TEST(LoadConfig, HugeFileIsRefused) {
  gatehouse::testing::TempDir dir;
  std::ofstream(dir.file("big.toml")) << std::string(2 * 1024 * 1024, '#');
  auto result = load_config(dir.path() / "big.toml", {});
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_TRUE(contains(result.errors[0].to_string(), "larger than 1 MiB"));
}

TEST(LoadConfig, SecretInAGroupReadableFileIsAWarning) {
  gatehouse::testing::TempDir dir;
  std::ofstream(dir.file("g.toml")) << minimal_toml;
  using P = std::filesystem::perms;
  std::filesystem::permissions(dir.file("g.toml"), P::owner_read | P::owner_write | P::group_read);
  auto result = load_config(dir.path() / "g.toml", {});
  EXPECT_TRUE(result.ok()) << all_problems(result.errors);
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_EQ(result.warnings[0].setting, "oidc.client_secret");
  EXPECT_TRUE(contains(result.warnings[0].to_string(), "readable by group or others"));
  EXPECT_FALSE(contains(result.warnings[0].to_string(), "s3cr3t-value"));
}

TEST(LoadConfig, WorldReadableFileWithoutSecretIsFine) {
  gatehouse::testing::TempDir dir;
  std::ofstream(dir.file("g.toml")) << "[server]\npublic_origin = \"https://a.example\"\n";
  using P = std::filesystem::perms;
  std::filesystem::permissions(dir.file("g.toml"), P::owner_all | P::group_read | P::others_read);
  const Environment env{{"GATEHOUSE_OIDC_AUTHORITY", "https://idp.example"},
                        {"GATEHOUSE_OIDC_CLIENT_ID", "c"},
                        {"GATEHOUSE_OIDC_CLIENT_SECRET", "s"}};
  auto result = load_config(dir.path() / "g.toml", env);
  EXPECT_TRUE(result.ok()) << all_problems(result.errors);
  EXPECT_TRUE(result.warnings.empty()) << all_problems(result.warnings);
}

TEST(LoadConfig, NoFileMeansEnvironmentOnly) {
  const Environment env{{"GATEHOUSE_SERVER_PUBLIC_ORIGIN", "https://a.example"},
                        {"GATEHOUSE_OIDC_AUTHORITY", "https://idp.example"},
                        {"GATEHOUSE_OIDC_CLIENT_ID", "c"},
                        {"GATEHOUSE_OIDC_CLIENT_SECRET", "s"}};
  auto result = load_config(std::nullopt, env);
  ASSERT_TRUE(result.ok()) << all_problems(result.errors);
  EXPECT_EQ(result.config->server.public_origin, "https://a.example");
}

TEST(LoadConfig, BinaryGarbageIsASyntaxErrorNotACrash) {
  const std::string garbage("\xff\xfe\x00[\x01", 5);
  auto result = load_config_from_string(garbage, {});
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_TRUE(contains(result.errors[0].to_string(), "TOML syntax error"));
}

TEST(LoadConfig, MaxPerUserIsANonNegativeBoundedInteger) {
  EXPECT_EQ(load_ok(minimal_toml).session.max_per_user, 0) << "no limit by default";
  EXPECT_EQ(load_ok(with("session", "max_per_user = 3")).session.max_per_user, 3);
  EXPECT_EQ(load_ok(minimal_toml, {{"GATEHOUSE_SESSION_MAX_PER_USER", "5"}}).session.max_per_user,
            5);
  EXPECT_TRUE(contains(single_error(with("session", "max_per_user = -1")),
                       "session.max_per_user: must be between 0 (no limit) and 10000, got -1"));
  EXPECT_TRUE(contains(single_error(with("session", "max_per_user = 10001")),
                       "session.max_per_user: must be between 0 (no limit) and 10000, got 10001"));
  EXPECT_TRUE(contains(single_error(with("session", "max_per_user = \"3\"")),
                       "session.max_per_user: must be an integer, got a string"));
}

}  // namespace
}  // namespace gatehouse::config
