#include "http/server.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/net.h>
#include <pistache/peer.h>
#include <pistache/transport.h>
#include <sys/socket.h>

#include "apitask/apitask.hpp"
#include "apitask/commit_gate.hpp"
#include "http/deadline_watcher.hpp"
#include "http/errors.hpp"
#include "http/handler_pool.hpp"
#include "http/intake.hpp"
#include "http/middleware.hpp"
#include "http/request_framer.hpp"
#include "http/router.hpp"
#include "logs/logs.hpp"

namespace gotrue::http {
namespace {

constexpr logs::Logger kLog{"api"};

namespace Http = Pistache::Http;

// How long Pistache keeps an idle connection, and one whose response is still being prepared
// (ParsingHandler::onRequest): 75 s, and longer than the request deadline so that the deadline's
// 504 always comes first. Without a deadline a response may take up to 75 s.
std::chrono::milliseconds KeepAliveTimeout(std::chrono::milliseconds request_deadline) {
    return std::max<std::chrono::milliseconds>(
        std::chrono::seconds(75), request_deadline + std::chrono::seconds(15)
    );
}

// A response header with any name: Pistache 0.0.5 never writes headers added with addRaw().
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

// The request a handler sees: method, target and headers as the framer read them (Pistache's
// typed header parsers never run), the body Pistache collected, the peer's address. Every string
// is made safe text here (http.hpp ToSafeText).
Request ToRequest(const RequestHead& head, const Http::Request& incoming) {
    Request request;
    request.method = head.method;
    std::string_view target = head.target;
    if (target.front() != '/' && target != "*") {  // absolute form: http://host/path?query
        const auto authority = target.find("//") + 2;
        const auto path = target.find_first_of("/?", authority);
        target = path == std::string_view::npos ? std::string_view("/") : target.substr(path);
    }
    target = target.substr(0, target.find('#'));
    const auto question = target.find('?');
    request.path = std::string(target.substr(0, question));
    if (request.path.empty() || request.path.front() != '/') {
        request.path.insert(0, "/");
    }
    if (question != std::string_view::npos) {
        request.query = ParseQuery(target.substr(question + 1));
    }
    for (const auto& [name, value] : head.headers) {
        request.headers.Add(name, ToSafeText(value));
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
            if (!IsFieldValue(value)) {
                // A control character would split the header (response splitting): a bug
                // upstream of here, never a reason to write it.
                kLog.Error("unsafe response header dropped", {{"name", name}});
                continue;
            }
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
    Dispatcher(const conf::ApiConfig& config, Handler handler, HashingLane lane)
        : config_(config),
          handler_(std::move(handler)),
          selects_hashing_(std::move(lane.selects)),
          hashing_pool_(selects_hashing_ ? lane.threads : 0, lane.queue_size),
          pool_(config.handler_threads, static_cast<std::size_t>(config.handler_queue_size)) {}

    // `hold` (the request's share of the intake budget) is released when the handler is done.
    void Dispatch(
        Request request, const std::shared_ptr<Responder>& responder, std::shared_ptr<void> hold
    ) {
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
        std::shared_ptr<apitask::CommitGate> gate;
        if (config_.max_request_duration.count() > 0) {
            gate = std::make_shared<apitask::CommitGate>();
            request.tasks = request.tasks.WithCommitGate(gate);
            watch = watcher_.Watch(
                request.received_at + config_.max_request_duration,
                [this, responder, context, gate] { OnDeadline(*responder, context, gate); }
            );
        }
        const bool hashing = selects_hashing_ && selects_hashing_(request);
        HandlerPool& pool = hashing ? hashing_pool_ : pool_;
        const bool queued = pool.TryPost(
            [this, request = std::move(request), responder, watch, gate, hold = std::move(hold)](
            ) mutable {
                if (gate && gate->IsClosed()) {
                    // Answered 504 while queued: nothing of it may commit now, so it does not run.
                    hold.reset();
                    EndRequest();
                    return;
                }
                Response response = CallHandler(handler_, request);
                if (watch != 0) {
                    watcher_.Cancel(watch);
                }
                hold.reset();
                if (WaitsForTasks(request)) {
                    // Request-scoped tasks: this thread goes back to the pool now.
                    AwaitTasks(request.tasks, responder, std::move(response), request.request_id);
                    return;
                }
                Finish(responder, std::move(response), request.request_id);
            }
        );
        if (!queued) {
            if (watch != 0) {
                watcher_.Cancel(watch);
            }
            HttpError busy = ServiceUnavailable("Server is busy, please retry", "queue full");
            if (hashing) {
                busy = HttpError(
                    503, kOverRequestRateLimit, "Server is busy, please retry after a moment"
                );
                busy.WithHeader("Retry-After", "1");
            }
            responder->Send(RenderError(busy, context));
            kLog.Warn(
                hashing ? "hashing queue full" : "handler queue full",
                {{"status", 503}, {"request_id", context.request_id}}
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

    // After Drain. Responses still waiting for tasks are written now (the tasks detach), so no
    // task's thread calls into this object once Stop returns.
    void Stop() {
        hashing_pool_.Stop();
        pool_.Stop();  // no handler runs any more: no new waits
        std::vector<apitask::Context> waiting;
        {
            const std::scoped_lock lock(mutex_);
            for (const auto& [key, entry] : waiting_) {
                waiting.push_back(entry.tasks);
            }
        }
        for (const auto& tasks : waiting) {
            apitask::ExpireWait(tasks);
        }
        {
            std::unique_lock lock(mutex_);
            idle_.wait(lock, [this] { return completing_ == 0; });
        }
        watcher_.Stop();
    }

    [[nodiscard]] ServerStats Stats() {
        ServerStats stats;
        stats.handler_threads = pool_.Threads();
        stats.hashing_threads = hashing_pool_.Threads();
        stats.hashing_queue = selects_hashing_ ? hashing_pool_.Capacity() : 0;
        const std::scoped_lock lock(mutex_);
        stats.in_flight = in_flight_;
        stats.waiting_for_tasks = waiting_.size();
        return stats;
    }

    [[nodiscard]] const conf::ApiConfig& Config() const { return config_; }

private:
    // On the watcher's thread, at GOTRUE_API_MAX_REQUEST_DURATION. The 504 goes out only if it
    // closes the request's commit gate before any transaction passed it, so a 504 means nothing
    // was committed (apitask/commit_gate.hpp); the statement running then is cancelled from a
    // handler thread (a round trip to the database; skipped when that queue is full: the gate
    // refuses the commit anyway). A request that already committed is answered by its handler
    // when it is done: the deadline no longer bounds it.
    void OnDeadline(
        Responder& responder,
        const Request& context,
        const std::shared_ptr<apitask::CommitGate>& gate
    ) {
        if (!gate->Close()) {
            kLog.Info(
                "request past its deadline after its commit: the handler answers",
                {{"method", context.method},
                 {"path", context.path},
                 {"request_id", context.request_id}}
            );
            return;
        }
        if (responder.Send(RenderError(RequestTimeout(), context))) {
            kLog.Warn(
                "request timed out",
                {{"method", context.method},
                 {"path", context.path},
                 {"status", 504},
                 {"request_id", context.request_id}}
            );
        }
        static_cast<void>(pool_.TryPost([gate] { gate->CancelRunning(); }));
    }

    // A response waiting for its request's tasks; keyed by AwaitTasks.
    struct Waiting {
        apitask::Context tasks;  // what ExpireWait needs at the deadline
        DeadlineWatcher::Id watch = 0;
    };

    // The completion path (README "Architecture"): the response is written by whichever thread
    // ends the wait, the pool thread of the last task or the watcher at the task deadline;
    // apitask guarantees exactly one of them runs the continuation.
    void AwaitTasks(
        const apitask::Context& tasks,
        const std::shared_ptr<Responder>& responder,
        Response response,
        const std::string& request_id
    ) {
        std::uint64_t key = 0;
        {
            const std::scoped_lock lock(mutex_);
            key = next_wait_key_++;
            waiting_.emplace(key, Waiting{tasks, 0});
            ++completing_;
        }
        apitask::WaitThen(
            tasks,
            [this,
             key,
             responder,
             done = std::make_shared<Response>(std::move(response)),
             request_id] {
                StopWatching(key);
                try {
                    RunCompletionSteps(*done);
                } catch (...) {  // a log line or padding lost, never the response
                    kLog.Error("response completion step failed", {{"request_id", request_id}});
                }
                Finish(responder, std::move(*done), request_id);
                const std::scoped_lock lock(mutex_);
                --completing_;
                idle_.notify_all();  // under the lock: Stop may destroy this right after
            }
        );
        const auto deadline = tasks.Deadline();
        if (!deadline) {
            return;
        }
        const std::scoped_lock lock(mutex_);
        const auto it = waiting_.find(key);
        if (it != waiting_.end()) {  // else the tasks were already done
            it->second.watch = watcher_.Watch(*deadline, [this, key] { ExpireWaiting(key); });
        }
    }

    void StopWatching(std::uint64_t key) {
        const std::scoped_lock lock(mutex_);
        const auto it = waiting_.find(key);
        if (it == waiting_.end()) {
            return;
        }
        if (it->second.watch != 0) {
            watcher_.Cancel(it->second.watch);
        }
        waiting_.erase(it);
    }

    // On the watcher's thread: the task deadline passed.
    void ExpireWaiting(std::uint64_t key) {
        apitask::Context tasks;
        {
            const std::scoped_lock lock(mutex_);
            const auto it = waiting_.find(key);
            if (it == waiting_.end()) {
                return;
            }
            tasks = it->second.tasks;
        }
        apitask::ExpireWait(tasks);
    }

    // Writes `response`, or, for timing equalisation, has the watcher write it at not_before:
    // the wait is on the watcher's clock, not on a thread.
    void Finish(
        const std::shared_ptr<Responder>& responder,
        Response response,
        const std::string& request_id
    ) {
        if (response.not_before && *response.not_before > std::chrono::steady_clock::now()) {
            auto delayed = std::make_shared<Response>(std::move(response));
            watcher_.Watch(*delayed->not_before, [this, responder, delayed, request_id] {
                Deliver(*responder, *delayed, request_id);
            });
            return;
        }
        Deliver(*responder, response, request_id);
    }

    void Deliver(Responder& responder, const Response& response, const std::string& request_id) {
        if (!responder.Send(response)) {
            kLog.Info(
                "late response dropped", {{"status", response.status}, {"request_id", request_id}}
            );
        }
        EndRequest();
    }

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
    int in_flight_ = 0;                         // Guarded by mutex_.
    std::map<std::uint64_t, Waiting> waiting_;  // Guarded by mutex_; responses waiting for tasks.
    std::uint64_t next_wait_key_ = 1;           // Guarded by mutex_.
    std::size_t completing_ = 0;  // Guarded by mutex_; AwaitTasks whose continuation has not ended.
    DeadlineWatcher watcher_;
    std::function<bool(const Request&)> selects_hashing_;
    HandlerPool hashing_pool_;  // the hashing lane (server.hpp); no threads without a lane
    HandlerPool pool_;  // declared last: its threads stop before the members they use go away
};

namespace {

// Pistache's own request parser, fed by GatedHandler with rebuilt heads and bodies only. It
// frames the body, hands the request over here, and writes responses.
class ParsingHandler final : public Http::Handler {
public:
    HTTP_PROTOTYPE(ParsingHandler)

    explicit ParsingHandler(std::shared_ptr<Dispatcher> dispatcher)
        : dispatcher_(std::move(dispatcher)) {}

    // The connection whose bytes GatedHandler is feeding right now (reactor thread only).
    struct Current {
        const RequestHead* head = nullptr;
        std::shared_ptr<void>* reservation = nullptr;
    } current;

    void onRequest(const Http::Request& incoming, Http::ResponseWriter writer) override {
        const bool drop_connection_close =
            incoming.version() == Http::Version::Http11 && !incoming.headers().has("Connection");
        const std::shared_ptr<Pistache::Tcp::Peer> peer = writer.peer();
        auto responder = std::make_shared<Responder>(std::move(writer), drop_connection_close);

        if (current.head == nullptr) {  // cannot happen: only GatedHandler feeds this parser
            responder->Send(RenderError(UnexpectedFailure(), Request{}));
            return;
        }
        // Nothing may escape to Pistache, which would answer 500 with the exception's text.
        try {
            dispatcher_->Dispatch(
                ToRequest(*current.head, incoming), responder, std::move(*current.reservation)
            );
        } catch (const std::exception& error) {
            kLog.Error("request not dispatched", {{"error", error.what()}});
            responder->Send(RenderError(UnexpectedFailure(), Request{}));
        }
        // Pistache 0.0.5 times a connection that is not idle by its header timeout, counted from
        // the dispatch, and answers 408 and closes it: a response still waiting for its tasks
        // after 10 s would be cut off. The request is complete, so the connection counts as idle
        // (its keep-alive timeout, longer than the request deadline, applies) until the response
        // is written; the framer still bounds the next request's head.
        if (peer) {
            peer->setIdle(true);
        }
    }

private:
    std::shared_ptr<Dispatcher> dispatcher_;
};

// What one client connection holds, kept in Pistache's per-peer data. Its destructor runs when
// Pistache drops the peer (also after a timeout, which skips onDisconnection) and gives back
// the connection's place and budget.
class Connection final {
public:
    Connection(std::shared_ptr<Intake> intake, bool counted, FramerLimits limits)
        : framer(limits), intake_(std::move(intake)), counted_(counted) {}

    ~Connection() {
        if (counted_) {
            intake_->CloseConnection();
        }
    }

    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    RequestFramer framer;
    RequestHead head;                   // of the message being received
    std::shared_ptr<void> reservation;  // its bytes in the intake budget, until a handler is done
    bool closed = false;                // answered with an error and shut down: input is dropped

private:
    std::shared_ptr<Intake> intake_;
    bool counted_;
};

constexpr const char* kConnectionData = "gotrue.connection";

// The handler Pistache's reactors call: every byte a client sends goes through a RequestFramer
// (request_framer.hpp) before Pistache's own parser, in ParsingHandler, sees it. Each reactor
// thread gets its own copy, with its own ParsingHandler.
class GatedHandler final : public Http::Handler, public std::enable_shared_from_this<GatedHandler> {
public:
    HTTP_PROTOTYPE(GatedHandler)

    GatedHandler(
        std::shared_ptr<Dispatcher> dispatcher, std::shared_ptr<Intake> intake, FramerLimits limits
    )
        : dispatcher_(std::move(dispatcher)),
          intake_(std::move(intake)),
          limits_(limits),
          parser_(std::make_shared<ParsingHandler>(dispatcher_)) {}

    GatedHandler(const GatedHandler& other)
        : Http::Handler(other),
          std::enable_shared_from_this<GatedHandler>(other),  // copies no weak this
          dispatcher_(other.dispatcher_),
          intake_(other.intake_),
          limits_(other.limits_),
          parser_(std::make_shared<ParsingHandler>(dispatcher_)) {
        parser_->setMaxRequestSize(other.getMaxRequestSize());
    }

    GatedHandler& operator=(const GatedHandler&) = delete;
    ~GatedHandler() override = default;

    void onConnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override {
        ShareTransportWithParser();
        static_cast<Pistache::Tcp::Handler&>(*parser_).onConnection(peer);
        const bool admitted = intake_->TryOpenConnection();
        auto connection = std::make_shared<Connection>(intake_, admitted, limits_);
        peer->putData(kConnectionData, connection);
        if (!admitted) {
            Refuse(
                *peer,
                *connection,
                {503, kUnexpectedFailure, "Too many open connections, please retry"},
                Reading::kStopReading
            );
        }
    }

    void onInput(
        const char* buffer, size_t length, const std::shared_ptr<Pistache::Tcp::Peer>& peer
    ) override {
        const auto connection =
            std::static_pointer_cast<Connection>(peer->tryGetData(kConnectionData));
        if (!connection || connection->closed) {
            return;
        }
        ForwardingSink sink(*this, *connection, peer);
        parser_->current = {&connection->head, &connection->reservation};
        const auto error = connection->framer.Feed(std::string_view(buffer, length), sink);
        parser_->current = {};
        if (error) {
            Refuse(*peer, *connection, *error, Reading::kDrain);
        }
    }

    void onRequest(const Http::Request& /*request*/, Http::ResponseWriter /*writer*/) override {
        // Never called: requests are parsed by parser_.
    }

private:
    class ForwardingSink final : public RequestFramer::Sink {
    public:
        ForwardingSink(
            GatedHandler& owner,
            Connection& connection,
            const std::shared_ptr<Pistache::Tcp::Peer>& peer
        )
            : owner_(owner), connection_(connection), peer_(peer) {}

        bool OnHead(const RequestHead& head, std::size_t bytes_to_buffer) override {
            connection_.reservation = owner_.intake_->TryReserve(bytes_to_buffer);
            connection_.head = head;
            return connection_.reservation != nullptr;
        }

        void OnForward(std::string_view bytes) override {
            static_cast<Pistache::Tcp::Handler&>(*owner_.parser_)
                .onInput(bytes.data(), bytes.size(), peer_);
        }

        void OnMessageEnd() override {
            connection_.reservation.reset();  // already handed to the handler, normally
        }

    private:
        GatedHandler& owner_;
        Connection& connection_;
        const std::shared_ptr<Pistache::Tcp::Peer>& peer_;
    };

    // The parser writes responses through the reactor's transport, which Pistache only hands to
    // the handler it was built with (Tcp::Handler::associateTransport is private to Transport);
    // Transport::init is public, so point the transport at the parser once, then back here.
    void ShareTransportWithParser() {
        if (parser_has_transport_) {
            return;
        }
        Pistache::Tcp::Transport* const reactor_transport = transport();
        const std::shared_ptr<Pistache::Tcp::Handler> self = shared_from_this();
        reactor_transport->init(parser_);
        reactor_transport->init(self);
        parser_has_transport_ = true;
    }

    // Writes GoTrue's JSON error straight to the socket and shuts it down for writing; later
    // input is dropped. kStopReading: also stop reading, so Pistache closes the socket at once.
    enum class Reading { kDrain, kStopReading };

    void Refuse(
        Pistache::Tcp::Peer& peer,
        Connection& connection,
        const FramingError& error,
        Reading reading
    ) {
        const bool close_read = reading == Reading::kStopReading;
        connection.closed = true;
        connection.reservation.reset();
        Request context;  // what RenderError reads: the error format header and the request id
        for (const auto& [name, value] : connection.framer.CurrentHead().headers) {
            context.headers.Add(name, ToSafeText(value));
        }
        context.request_id = RequestIdFor(context, dispatcher_->Config().request_id_header);
        HttpError refusal(error.status, error.code, error.message);
        if (error.status == 503) {
            refusal.WithHeader("Retry-After", "1");
        }
        const Response response = RenderError(refusal, context);
        std::string wire = "HTTP/1.1 " + std::to_string(response.status) + " " +
                           Http::codeString(static_cast<Http::Code>(response.status)) + "\r\n";
        for (const auto& [name, value] : response.headers.All()) {
            wire.append(name).append(": ").append(value).append("\r\n");
        }
        wire.append("Content-Length: ")
            .append(std::to_string(response.body.size()))
            .append("\r\nConnection: close\r\n\r\n")
            .append(response.body);
        const int fd = peer.fd();
        static_cast<void>(::send(fd, wire.data(), wire.size(), MSG_NOSIGNAL | MSG_DONTWAIT));
        ::shutdown(fd, close_read ? SHUT_RDWR : SHUT_WR);
        kLog.Info(
            "request refused",
            {{"status", error.status},
             {"error", error.message},
             {"remote_addr", peer.address().host()},
             {"request_id", context.request_id}}
        );
    }

    std::shared_ptr<Dispatcher> dispatcher_;
    std::shared_ptr<Intake> intake_;
    FramerLimits limits_;
    std::shared_ptr<ParsingHandler> parser_;
    bool parser_has_transport_ = false;
};

}  // namespace

class Server::Impl {
public:
    Impl(const conf::ApiConfig& config, Handler handler, HashingLane lane)
        : config_(config),
          dispatcher_(std::make_shared<Dispatcher>(config, std::move(handler), std::move(lane))),
          intake_(std::make_shared<Intake>(
              static_cast<std::size_t>(config.max_connections),
              static_cast<std::size_t>(config.max_buffered_bytes)
          )) {}

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
                // The framer lets through at most a 1 MiB body behind a rebuilt head of
                // a few hundred bytes (request_framer.hpp); this is a backstop.
                .maxRequestSize(kMaxBodyBytes + 64 * 1024)
                .headerTimeout(std::chrono::seconds(10))
                .bodyTimeout(std::chrono::seconds(30))
                .keepaliveTimeout(KeepAliveTimeout(config_.max_request_duration));
        endpoint_->init(options);
        FramerLimits limits;
        limits.max_body_bytes = kMaxBodyBytes;
        endpoint_->setHandler(
            Pistache::Http::make_handler<GatedHandler>(dispatcher_, intake_, limits)
        );
        endpoint_->serveThreaded();
    }

    [[nodiscard]] std::uint16_t Port() const {
        return endpoint_ ? static_cast<std::uint16_t>(endpoint_->getPort()) : 0;
    }

    bool Drain(std::chrono::milliseconds timeout) { return dispatcher_->Drain(timeout); }

    int InFlight() { return dispatcher_->InFlight(); }

    ServerStats Stats() { return dispatcher_->Stats(); }

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
    std::shared_ptr<Intake> intake_;
    std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
    bool stopped_ = false;
};

HashingLane HashingLane::For(std::function<bool(const Request&)> selects, int concurrent_hashes) {
    HashingLane lane;
    lane.selects = std::move(selects);
    lane.threads = 4 * concurrent_hashes;
    lane.queue_size = 32 * static_cast<std::size_t>(concurrent_hashes);
    return lane;
}

Server::Server(const conf::ApiConfig& config, Handler handler, HashingLane lane)
    : impl_(std::make_unique<Impl>(config, std::move(handler), std::move(lane))) {}

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

ServerStats Server::Stats() const {
    return impl_->Stats();
}

void Server::Stop() {
    impl_->Stop();
}

}  // namespace gotrue::http
