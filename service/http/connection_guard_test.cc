// The connection guard on a real cpp-httplib TLS listener (certificates made
// by the openssl CLI), against raw TCP clients that trickle a TLS record
// header one byte at a time and never finish it — the slow loris that held
// every thread of the relying-party endpoint (connection_guard.h).
#include "service/http/connection_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/metrics.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "service/http/http_listener.h"
#include "tests/swtpm/subprocess.h"
#include "tests/swtpm/tls_files.h"

namespace vigil::service {
namespace {

using ::vigil::testing::TempDir;

// A client on its own thread that connects from `source` and sends a TLS
// record header announcing 16,383 bytes, then one more byte every 300 ms
// (each resets cpp-httplib's read timeout), until the server closes the
// connection or the loris is destroyed.
class Loris {
 public:
  Loris(const std::string& source, int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    inet_pton(AF_INET, source.c_str(), &from.sin_addr);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    connected_ =
        bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof(from)) == 0 &&
        connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof(to)) == 0;
    thread_ = std::thread([this] { Trickle(); });
  }
  ~Loris() {
    stop_.Notify();
    thread_.join();
    close(fd_);
  }

  bool connected() const { return connected_; }
  // Whether the server closed the connection, waiting up to `wait`.
  bool ClosedWithin(absl::Duration wait) {
    return closed_.WaitForNotificationWithTimeout(wait);
  }

 private:
  void Trickle() {
    // A handshake record of 16,383 bytes (under TLS's 2^14 limit, so OpenSSL
    // waits for all of it).
    static constexpr char kHeader[] = {0x16, 0x03, 0x01, 0x3f, '\xff'};
    for (size_t sent = 0; connected_; ++sent) {
      const char byte = sent < sizeof(kHeader) ? kHeader[sent] : 0;
      if (send(fd_, &byte, 1, MSG_NOSIGNAL) != 1) break;
      // Anything the server sends back means it is closing (an alert) or
      // has closed (0).
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 0) == 1) {
        char buffer[256];
        if (recv(fd_, buffer, sizeof(buffer), 0) <= 0) break;
      }
      if (stop_.WaitForNotificationWithTimeout(absl::Milliseconds(300))) {
        return;
      }
    }
    closed_.Notify();
  }

  int fd_ = -1;
  bool connected_ = false;
  absl::Notification stop_;
  absl::Notification closed_;
  std::thread thread_;
};

class ConnectionGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(TempDir d, TempDir::Create("vigil-guard"));
    dir_.emplace(std::move(d));
    ASSERT_OK(::vigil::testing::MakeCaFiles(*dir_, "ca"));
    ASSERT_OK(::vigil::testing::IssueFiles(*dir_, "ca", "server",
                                           ::vigil::testing::kLoopbackSan));
  }

  void Start(const ConnectionLimits& limits) {
    HttpListenerOptions o;
    o.setting = "http_listen";
    o.address = "127.0.0.1:0";
    o.tls_cert_file = dir_->Join("server.pem");
    o.tls_key_file = dir_->Join("server.key");
    o.limits = limits;
    o.closed_connections = &closed_;
    ASSERT_OK_AND_ASSIGN(listener_, HttpListener::Create(o));
    listener_->server().Get(
        "/healthz", [](const httplib::Request&, httplib::Response& res) {
          res.set_content("ok\n", "text/plain");
        });
    ASSERT_OK(listener_->Start());
    ASSERT_NE(listener_->guard(), nullptr);
  }

  std::unique_ptr<httplib::SSLClient> Client() {
    auto c =
        std::make_unique<httplib::SSLClient>("127.0.0.1", listener_->port());
    c->set_ca_cert_path(dir_->Join("ca.pem"));
    c->enable_server_certificate_verification(true);
    c->set_connection_timeout(8, 0);
    c->set_read_timeout(8, 0);
    return c;
  }

  // The series the guard counts in, as the verifier's metrics show them.
  uint64_t Closed(absl::string_view reason) {
    return closed_.With({"http_listen", reason}).Value();
  }

  std::optional<TempDir> dir_;
  metrics::Registry registry_;
  metrics::CounterFamily& closed_ = registry_.AddCounterFamily(
      "vigil_http_connections_closed_total", "test", {"listener", "reason"});
  std::unique_ptr<HttpListener> listener_;
};

// Two lorises on a two-thread listener: without the guard both threads
// stay blocked on them (cpp-httplib's read timeout, 5 s on this listener,
// restarts with each byte) and /healthz is never answered; with it they
// are closed after request_timeout and a relying party is served.
TEST_F(ConnectionGuardTest, SlowClientsAreClosedAndOthersServed) {
  ConnectionLimits limits;
  limits.threads = 2;
  limits.max_connections_per_client = 0;
  limits.request_timeout = absl::Seconds(2);
  ASSERT_NO_FATAL_FAILURE(Start(limits));
  std::vector<std::unique_ptr<Loris>> lorises;
  for (int i = 0; i < 2; ++i) {
    lorises.push_back(std::make_unique<Loris>("127.0.0.1", listener_->port()));
    ASSERT_TRUE(lorises.back()->connected());
  }
  absl::SleepFor(absl::Milliseconds(300));  // both threads taken
  httplib::Result r = Client()->Get("/healthz");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  for (auto& l : lorises) EXPECT_TRUE(l->ClosedWithin(absl::Seconds(5)));
  EXPECT_EQ(listener_->guard()->cut_off(), 2);
  EXPECT_EQ(listener_->guard()->refused(), 0);
  EXPECT_EQ(Closed("timeout"), 2u);
}

// One client address may hold max_connections_per_client threads; its
// further connections are refused at once, and other clients are served.
TEST_F(ConnectionGuardTest, OneClientCannotTakeEveryThread) {
  ConnectionLimits limits;
  limits.threads = 4;
  limits.max_connections_per_client = 2;
  limits.request_timeout = absl::Minutes(5);  // nothing is cut off here
  ASSERT_NO_FATAL_FAILURE(Start(limits));
  std::vector<std::unique_ptr<Loris>> lorises;
  for (int i = 0; i < 4; ++i) {
    // 127.0.0.2 is on the loopback interface too: another client address.
    lorises.push_back(std::make_unique<Loris>("127.0.0.2", listener_->port()));
    if (!lorises.back()->connected()) {
      GTEST_SKIP() << "cannot connect from 127.0.0.2 on this host";
    }
  }
  std::vector<std::unique_ptr<Loris>> held;
  for (auto& l : lorises) {
    if (!l->ClosedWithin(absl::Seconds(2))) held.push_back(std::move(l));
  }
  EXPECT_EQ(held.size(), 2u);
  EXPECT_EQ(listener_->guard()->refused(), 2);
  EXPECT_EQ(Closed("client_limit"), 2u);
  httplib::Result r = Client()->Get("/healthz");  // from 127.0.0.1
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  // The client's places come back when its connections end.
  held.clear();
  absl::SleepFor(absl::Milliseconds(500));  // the server sees them close
  Loris again_a("127.0.0.2", listener_->port());
  Loris again_b("127.0.0.2", listener_->port());
  EXPECT_FALSE(again_a.ClosedWithin(absl::Seconds(1)));
  EXPECT_FALSE(again_b.ClosedWithin(absl::Milliseconds(100)));
  EXPECT_EQ(listener_->guard()->refused(), 2);
  EXPECT_EQ(listener_->guard()->cut_off(), 0);
}

// The deadline is per request: a keep-alive client whose requests span
// more than request_timeout in all is not cut off between them.
TEST_F(ConnectionGuardTest, EachResponseStartsTheNextRequestsDeadline) {
  ConnectionLimits limits;
  limits.request_timeout = absl::Seconds(2);
  ASSERT_NO_FATAL_FAILURE(Start(limits));
  std::unique_ptr<httplib::SSLClient> c = Client();
  c->set_keep_alive(true);
  for (int i = 0; i < 4; ++i) {  // cpp-httplib serves 5 per connection
    httplib::Result r = c->Get("/healthz");
    ASSERT_TRUE(r) << i << ": " << httplib::to_string(r.error());
    EXPECT_EQ(r->status, 200);
    absl::SleepFor(absl::Milliseconds(700));  // 2.8 s in all
  }
  EXPECT_EQ(listener_->guard()->cut_off(), 0);
}

// Stopping the listener (the verifier shutting down) shuts down what it
// still serves: cpp-httplib's stop() only closes the listening socket, and
// its thread would otherwise serve a slow client until its deadline.
TEST_F(ConnectionGuardTest, StoppingClosesWhatItStillServes) {
  ConnectionLimits limits;
  limits.request_timeout = absl::Minutes(5);
  ASSERT_NO_FATAL_FAILURE(Start(limits));
  auto loris = std::make_unique<Loris>("127.0.0.1", listener_->port());
  ASSERT_TRUE(loris->connected());
  absl::SleepFor(absl::Milliseconds(300));  // being served
  absl::Notification stopped;
  std::thread stopper([&] {
    listener_.reset();
    stopped.Notify();
  });
  EXPECT_TRUE(stopped.WaitForNotificationWithTimeout(absl::Seconds(5)))
      << "the listener waited for its slow client";
  EXPECT_TRUE(loris->ClosedWithin(absl::Seconds(5)));
  loris.reset();  // lets a listener that waited finish
  stopper.join();
}

}  // namespace
}  // namespace vigil::service
