#pragma once

// The first reader of a connection's bytes, ahead of Pistache's parser. Pistache 0.0.5 trusts its
// input too much: a negative or huge Content-Length is a 500 with C++ text (or an abort), some
// typed header parsers throw or read uninitialised memory, 40,000 headers are parsed at quadratic
// cost on a reactor thread, a bare-LF request hangs until the timeout, a second request in one
// packet is dropped. The framer makes all of that unreachable: it parses each request head itself
// under strict bounds, answers what is malformed or too large with a 4xx before the body is even
// read, and hands Pistache only a head it rebuilt (request line, Content-Length, Connection) plus
// the body, one message at a time. Chunked bodies are de-chunked here, so Pistache only ever sees
// Content-Length. The headers handlers see come from the framer, not from Pistache.
//
// No Pistache and no I/O here (server.cpp feeds it): it is unit-tested and fuzzed on its own.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/error_codes.hpp"

namespace gotrue::http {

struct FramerLimits {
    std::size_t max_head_bytes = 32 * 1024;  // request line and header lines together
    std::size_t max_header_count = 100;
    std::size_t max_body_bytes = 1 << 20;  // larger announced or chunked bodies: 413
};

// One request head as the client sent it, validated.
struct RequestHead {
    std::string method;   // upper-case token, e.g. "POST"
    std::string target;   // the request-target as sent (printable ASCII), e.g. "/verify?x=1"
    std::string version;  // "HTTP/1.1" or "HTTP/1.0"
    // In order, names as sent; of repeated names only the first is kept (Go's Header.Get).
    // Values have surrounding blanks trimmed and may hold any byte but control characters.
    std::vector<std::pair<std::string, std::string>> headers;
    std::size_t content_length = 0;  // of the body handed on (de-chunked size for chunked)
    bool chunked = false;
    std::optional<bool> keep_alive;  // from a Connection header: close -> false, keep-alive -> true
};

// Why a connection must be answered with an error and closed.
struct FramingError {
    int status;
    ErrorCode code;
    std::string message;
};

class RequestFramer final {
public:
    class Sink {
    public:
        virtual ~Sink() = default;
        // A head was read; `bytes_to_buffer` is what holding the message will cost (head and
        // body). False refuses the message: the framer then reports 503.
        virtual bool OnHead(const RequestHead& head, std::size_t bytes_to_buffer) = 0;
        // Bytes for the HTTP parser: a rebuilt head, then the body, in order.
        virtual void OnForward(std::string_view bytes) = 0;
        // Every byte of the current message has been forwarded.
        virtual void OnMessageEnd() = 0;
    };

    explicit RequestFramer(FramerLimits limits = {}) : limits_(limits) {}

    // Consumes the bytes that arrived (`input`). An error means: answer it and close the
    // connection; the framer then ignores everything else it is fed.
    [[nodiscard]] std::optional<FramingError> Feed(std::string_view input, Sink& sink);

    // The head being read or last read (partly filled when it was refused).
    [[nodiscard]] const RequestHead& CurrentHead() const { return head_; }

private:
    enum class State { kHead, kBody, kChunkSize, kChunkData, kChunkDataEnd, kTrailer, kFailed };

    std::optional<FramingError> ReadHead(std::string_view& input, Sink& sink);
    std::optional<FramingError> StartMessage(const std::vector<std::string>& lines, Sink& sink);
    std::optional<FramingError> ReadChunked(std::string_view& input, Sink& sink);

    struct LineRead {
        enum class Status { kIncomplete, kLine, kTooLong, kNotCrlf } status;
        std::string line;  // kLine: without its CRLF
    };

    // Takes one line out of pending_ + input: a line longer than `limit`, or one not ended by
    // CRLF (a bare CR or LF anywhere), is an error.
    LineRead TakeLine(std::string_view& input, std::size_t limit);
    void FinishChunked(Sink& sink);
    void EndMessage(Sink& sink);

    FramerLimits limits_;
    State state_ = State::kHead;
    std::string pending_;                  // bytes of an unfinished line
    std::vector<std::string> head_lines_;  // lines of the head being read
    std::size_t head_bytes_ = 0;           // bytes of the head being read, CRLFs included
    RequestHead head_;
    std::size_t body_left_ = 0;  // kBody: bytes still to forward; kChunkData: of this chunk
    std::string chunked_body_;   // de-chunked body collected before it is forwarded
    std::size_t trailer_lines_ = 0;
};

// A header field value a peer may send or we may write: visible ASCII, blanks and bytes >= 0x80
// (obs-text), no control character (a CR or LF would split the header).
[[nodiscard]] bool IsFieldValue(std::string_view value);

// The head as Pistache should see it: request line, Content-Length when there is a body, and
// Connection when the client sent close or keep-alive. Nothing else reaches Pistache's parsers.
[[nodiscard]] std::string RebuiltHead(const RequestHead& head);

}  // namespace gotrue::http
