#include "api/server.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <thread>

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/net.h>
#include <spdlog/spdlog.h>

#include "api/deadline_watcher.hpp"
#include "api/errors.hpp"
#include "api/handler_pool.hpp"
#include "api/middleware.hpp"
#include "api/router.hpp"
#include "observability/logging.hpp"

namespace gotrue::api {
namespace {

namespace Http = Pistache::Http;

// A response header with any name (Pistache's addRaw() headers are not written, toolchain
// notes §2.2).
class DynamicHeader final : public Http::Header::Header {
public:
    DynamicHeader(std::string name, std::string value)
        : name_(std::move(name)), value_(std::move(value)) {}

    [[nodiscard]] const char* name() const override { return name_.c_str(); }

    void write(std::ostream& os) const override { os << value_; }

    [[nodiscard]] uint64_t hash() const override { return 0; }

private:
    std::string name_;
    std::string value_;
};

// Copies what the handler needs out of Pistache's request, which is reused after onRequest.
Request ToRequest(const Http::Request& incoming) {
    Request request;
    request.method = Http::methodString(incoming.method());
    request.path = incoming.resource();
    for (auto it = incoming.query().parameters_begin(); it != incoming.query().parameters_end();
         ++it) {
        request.query[UrlDecode(it->first)] = UrlDecode(it->second);
    }
    for (const auto& header : incoming.headers().list()) {
        std::ostringstream value;
        header->write(value);
        request.headers.Set(header->name(), value.str());
    }
    for (const auto& [name, raw] : incoming.headers().rawList()) {
        request.headers.Set(raw.name(), raw.value());
    }
    request.body = incoming.body();
    request.remote_address = incoming.address().host();
    return request;
}

// Owns the writer of one request and makes sure exactly one response is sent: either the
// handler's or the deadline's 504, whichever comes first.
class Responder final {
public:
    Responder(Http::ResponseWriter writer, bool drop_connection_close)
        : writer_(std::move(writer)) {
        if (drop_connection_close) {
            // Pistache 0.0.5 adds "Connection: Close" but keeps the socket open; clients then
            // reconnect per request. Keep-alive is HTTP/1.1's default anyway.
            writer_.headers().remove<Http::Header::Connection>();
        }
    }

    // False when a response was already sent.
    bool Send(const Response& response) {
        if (sent_.exchange(true)) {
            return false;
        }
        std::string content_type = "application/json";
        for (const auto& [name, value] : response.headers.All()) {
            if (name == "Content-Type" || name == "content-type") {
                content_type = value;
                continue;
            }
            writer_.headers().add(std::make_shared<DynamicHeader>(name, value));
        }
        const auto code = static_cast<Http::Code>(response.status);
        // The returned promise is dropped on purpose: the reactor thread settles it, and
        // attaching a continuation from this thread races with that (Pistache's promises are
        // not thread-safe; ThreadSanitizer shows it). A failed write means the client left.
        if (response.body.empty() && response.status == 204) {
            static_cast<void>(writer_.send(code));
        } else {
            static_cast<void>(
                writer_.send(code, response.body, Http::Mime::MediaType::fromString(content_type))
            );
        }
        return true;
    }

private:
    Http::ResponseWriter writer_;
    std::atomic<bool> sent_{false};
};

}  // namespace

// Shared by every reactor thread's handler clone.
class Dispatcher final {
public:
    Dispatcher(const conf::ApiConfig& config, Handler handler)
        : config_(config),
          handler_(std::move(handler)),
          pool_(config.handler_threads, static_cast<std::size_t>(config.handler_queue_size)) {}

    void Dispatch(Request request, const std::shared_ptr<Responder>& responder) {
        request.request_id = RequestIdFor(request, config_.request_id_header);
        if (draining_.load()) {
            responder->Send(RenderError(ServiceUnavailable("Server is shutting down"), request));
            return;
        }
        BeginRequest();
        // What an error response written outside the handler needs (format, id, log fields).
        Request context;
        context.headers = request.headers;
        context.request_id = request.request_id;
        context.method = request.method;
        context.path = request.path;
        DeadlineWatcher::Id watch = 0;
        if (config_.max_request_duration.count() > 0) {
            watch = watcher_.Watch(
                request.received_at + config_.max_request_duration,
                [responder, context] {
                    const HttpError timeout(
                        504,
                        kRequestTimeout,
                        "Processing this request timed out, please retry after a moment."
                    );
                    if (responder->Send(RenderError(timeout, context))) {
                        spdlog::warn(
                            "request timed out component=api method={} path={} status=504 "
                            "request_id={}",
                            context.method,
                            observability::Quote(context.path),
                            context.request_id
                        );
                    }
                }
            );
        }
        const bool queued =
            pool_.TryPost([this, request = std::move(request), responder, watch]() mutable {
                const Response response = CallHandler(handler_, request);
                if (watch != 0) {
                    watcher_.Cancel(watch);
                }
                if (!responder->Send(response)) {
                    spdlog::info(
                        "late response dropped component=api status={} request_id={}",
                        response.status,
                        request.request_id
                    );
                }
                EndRequest();
            });
        if (!queued) {
            if (watch != 0) {
                watcher_.Cancel(watch);
            }
            responder->Send(RenderError(
                ServiceUnavailable("Server is busy, please retry", "handler queue full"), context
            ));
            spdlog::warn(
                "handler queue full component=api status=503 request_id={}", context.request_id
            );
            EndRequest();
        }
    }

    bool Drain(std::chrono::milliseconds timeout) {
        draining_.store(true);
        std::unique_lock lock(mutex_);
        return idle_.wait_for(lock, timeout, [this] { return in_flight_ == 0; });
    }

    int InFlight() {
        const std::scoped_lock lock(mutex_);
        return in_flight_;
    }

    void Stop() {
        watcher_.Stop();
        pool_.Stop();
    }

private:
    void BeginRequest() {
        const std::scoped_lock lock(mutex_);
        ++in_flight_;
    }

    void EndRequest() {
        {
            const std::scoped_lock lock(mutex_);
            --in_flight_;
        }
        idle_.notify_all();
    }

    const conf::ApiConfig& config_;
    const Handler handler_;
    std::atomic<bool> draining_{false};
    std::mutex mutex_;
    std::condition_variable idle_;
    int in_flight_ = 0;  // Guarded by mutex_.
    DeadlineWatcher watcher_;
    HandlerPool pool_;  // declared last: its threads stop before the members they use go away
};

namespace {

class PistacheHandler final : public Http::Handler {
public:
    HTTP_PROTOTYPE(PistacheHandler)

    explicit PistacheHandler(std::shared_ptr<Dispatcher> dispatcher)
        : dispatcher_(std::move(dispatcher)) {}

    void onRequest(const Http::Request& incoming, Http::ResponseWriter writer) override {
        const bool drop_connection_close =
            incoming.version() == Http::Version::Http11 && !incoming.headers().has("Connection");
        auto responder = std::make_shared<Responder>(std::move(writer), drop_connection_close);
        Request request;
        try {
            request = ToRequest(incoming);
        } catch (const std::exception& error) {
            spdlog::warn(
                "unreadable request component=api error={}", observability::Quote(error.what())
            );
            responder->Send(RenderError(BadRequest(kValidationFailed, "Malformed request"), request)
            );
            return;
        }
        dispatcher_->Dispatch(std::move(request), responder);
    }

private:
    std::shared_ptr<Dispatcher> dispatcher_;
};

}  // namespace

class Server::Impl {
public:
    Impl(const conf::ApiConfig& config, Handler handler)
        : config_(config), dispatcher_(std::make_shared<Dispatcher>(config, std::move(handler))) {}

    void Start() {
        const std::string host = config_.host.empty() ? "0.0.0.0" : config_.host;
        endpoint_ = std::make_unique<Pistache::Http::Endpoint>(
            Pistache::Address(host, Pistache::Port(static_cast<uint16_t>(config_.port)))
        );
        auto options =
            Pistache::Http::Endpoint::options()
                .threads(config_.reactor_threads)
                .threadsName("http")
                .flags(Pistache::Tcp::Options::ReuseAddr | Pistache::Tcp::Options::NoDelay)
                .backlog(1024)
                // Room for a body just over the 1 MiB limit plus headers, so the
                // limit is answered with GoTrue's JSON 413 (middleware.hpp).
                .maxRequestSize(2 * kMaxBodyBytes + 64 * 1024)
                .headerTimeout(std::chrono::seconds(10))
                .bodyTimeout(std::chrono::seconds(30))
                .keepaliveTimeout(std::chrono::seconds(75));
        endpoint_->init(options);
        endpoint_->setHandler(Pistache::Http::make_handler<PistacheHandler>(dispatcher_));
        endpoint_->serveThreaded();
    }

    [[nodiscard]] std::uint16_t Port() const {
        return endpoint_ ? static_cast<std::uint16_t>(endpoint_->getPort()) : 0;
    }

    bool Drain(std::chrono::milliseconds timeout) { return dispatcher_->Drain(timeout); }

    int InFlight() { return dispatcher_->InFlight(); }

    void Stop() {
        if (stopped_) {
            return;
        }
        stopped_ = true;
        dispatcher_->Stop();
        if (endpoint_) {
            // Let the reactors flush the last responses queued by handler threads.
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            endpoint_->shutdown();
        }
    }

private:
    const conf::ApiConfig& config_;
    std::shared_ptr<Dispatcher> dispatcher_;
    std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
    bool stopped_ = false;
};

Server::Server(const conf::ApiConfig& config, Handler handler)
    : impl_(std::make_unique<Impl>(config, std::move(handler))) {}

Server::~Server() {
    impl_->Stop();
}

void Server::Start() {
    impl_->Start();
}

std::uint16_t Server::Port() const {
    return impl_->Port();
}

bool Server::Drain(std::chrono::milliseconds timeout) {
    return impl_->Drain(timeout);
}

int Server::InFlight() const {
    return impl_->InFlight();
}

void Server::Stop() {
    impl_->Stop();
}

}  // namespace gotrue::api
