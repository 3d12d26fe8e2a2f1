#include "http/request_framer.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include "http/http.hpp"
#include "text/ascii.hpp"

namespace gotrue::http {
namespace {

using text::EqualsIgnoreCase;
using text::StartsWithIgnoreCase;

constexpr std::size_t kMaxChunkLineBytes = 1024;
constexpr std::size_t kMaxContentLengthDigits = 18;  // fits in 64 bits; anything near is 413

constexpr std::array<std::string_view, 9> kKnownMethods{
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};

FramingError Malformed(std::string message) {
    return {400, kValidationFailed, "Malformed HTTP request: " + std::move(message)};
}

FramingError HeadTooLarge() {
    return {431, kValidationFailed, "Request header fields too large"};
}

// RFC 9110 tchar: the characters of a method or header name.
bool IsTokenChar(char c) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
        return true;
    }
    return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool IsToken(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), IsTokenChar);
}

std::string_view TrimBlanks(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

std::optional<FramingError> ParseRequestLine(std::string_view line, RequestHead& head) {
    const auto first = line.find(' ');
    const auto second = first == std::string_view::npos ? first : line.find(' ', first + 1);
    if (second == std::string_view::npos || line.find(' ', second + 1) != std::string_view::npos) {
        return Malformed("invalid request line");
    }
    head.method = std::string(line.substr(0, first));
    head.target = std::string(line.substr(first + 1, second - first - 1));
    head.version = std::string(line.substr(second + 1));
    if (!IsToken(head.method)) {
        return Malformed("invalid method");
    }
    if (std::find(kKnownMethods.begin(), kKnownMethods.end(), head.method) == kKnownMethods.end()) {
        return FramingError{405, kMethodNotAllowed, "Method Not Allowed"};
    }
    const bool printable =
        !head.target.empty() && std::all_of(head.target.begin(), head.target.end(), [](char c) {
            return c > 0x20 && c < 0x7F;
        });
    const bool known_form = printable && (head.target.front() == '/' || head.target == "*" ||
                                          StartsWithIgnoreCase(head.target, "http://") ||
                                          StartsWithIgnoreCase(head.target, "https://"));
    if (!printable || !known_form) {
        return Malformed("invalid request target");
    }
    if (head.version != "HTTP/1.1" && head.version != "HTTP/1.0") {
        const bool other_version = head.version.size() == 8 &&
                                   head.version.rfind("HTTP/", 0) == 0 &&
                                   text::IsDigit(head.version[5]) && head.version[6] == '.' &&
                                   text::IsDigit(head.version[7]);
        if (other_version) {
            return FramingError{505, kValidationFailed, "HTTP version not supported"};
        }
        return Malformed("invalid HTTP version");
    }
    return std::nullopt;
}

// Content-Length, Transfer-Encoding and Connection decide how the bytes are framed; each is
// checked strictly because two readers that frame a stream differently is request smuggling.
std::optional<FramingError> ApplyFramingHeader(
    std::string_view name,
    std::string_view value,
    RequestHead& head,
    bool& saw_length,
    bool& saw_encoding
) {
    if (EqualsIgnoreCase(name, "Content-Length")) {
        const bool digits = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
            return c >= '0' && c <= '9';
        });
        if (!digits || value.size() > kMaxContentLengthDigits) {
            return Malformed("invalid Content-Length");
        }
        const std::size_t length = std::stoull(std::string(value));
        if (saw_length && length != head.content_length) {
            return Malformed("conflicting Content-Length headers");
        }
        saw_length = true;
        head.content_length = length;
    } else if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
        if (saw_encoding) {
            return Malformed("repeated Transfer-Encoding");
        }
        saw_encoding = true;
        if (!EqualsIgnoreCase(value, "chunked")) {
            return FramingError{501, kValidationFailed, "Unsupported Transfer-Encoding"};
        }
        head.chunked = true;
    } else if (EqualsIgnoreCase(name, "Connection")) {
        std::size_t start = 0;
        while (start <= value.size()) {
            const auto comma = value.find(',', start);
            const auto token = TrimBlanks(value.substr(
                start, comma == std::string_view::npos ? std::string_view::npos : comma - start
            ));
            if (EqualsIgnoreCase(token, "close")) {
                head.keep_alive = false;
            } else if (EqualsIgnoreCase(token, "keep-alive") && head.keep_alive != false) {
                head.keep_alive = true;
            }
            if (comma == std::string_view::npos) {
                break;
            }
            start = comma + 1;
        }
    }
    return std::nullopt;
}

std::optional<FramingError> ParseHead(
    const std::vector<std::string>& lines, const FramerLimits& limits, RequestHead& head
) {
    head = RequestHead{};
    if (auto error = ParseRequestLine(lines.front(), head)) {
        return error;
    }
    bool saw_length = false;
    bool saw_encoding = false;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const std::string_view line = lines[i];
        if (line.front() == ' ' || line.front() == '\t') {
            return Malformed("obsolete line folding");
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
            return Malformed("invalid header line");
        }
        const std::string_view name = line.substr(0, colon);
        const std::string_view value = TrimBlanks(line.substr(colon + 1));
        if (!IsFieldValue(value)) {
            return Malformed("control character in header " + std::string(name));
        }
        if (auto error = ApplyFramingHeader(name, value, head, saw_length, saw_encoding)) {
            return error;
        }
        const bool repeated =
            std::any_of(head.headers.begin(), head.headers.end(), [name](const auto& header) {
                return EqualsIgnoreCase(header.first, name);
            });
        if (!repeated) {
            head.headers.emplace_back(std::string(name), std::string(value));
        }
    }
    if (head.chunked && saw_length) {
        return Malformed("both Content-Length and Transfer-Encoding");
    }
    if (head.chunked && head.version == "HTTP/1.0") {
        return Malformed("Transfer-Encoding in an HTTP/1.0 request");
    }
    if (head.content_length > limits.max_body_bytes) {
        return FramingError{
            413,
            kRequestEntityTooLarge,
            "Request body too large (max " + std::to_string(limits.max_body_bytes) + " bytes)",
        };
    }
    return std::nullopt;
}

std::optional<std::size_t> ParseChunkSize(std::string_view line, std::size_t max) {
    const auto extension = line.find(';');
    const std::string_view digits = TrimBlanks(line.substr(0, extension));
    if (digits.empty() || digits.size() > 8 ||
        !std::all_of(digits.begin(), digits.end(), text::IsHexDigit)) {
        return std::nullopt;
    }
    const std::size_t size = std::stoul(std::string(digits), nullptr, 16);
    return size <= max ? std::optional<std::size_t>(size) : std::optional<std::size_t>(max + 1);
}

}  // namespace

bool IsFieldValue(std::string_view value) {
    return std::all_of(value.begin(), value.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte == '\t' || (byte >= 0x20 && byte != 0x7F);
    });
}

std::string RebuiltHead(const RequestHead& head) {
    std::string out = head.method + " " + head.target + " " + head.version + "\r\n";
    if (head.content_length > 0) {
        out += "Content-Length: " + std::to_string(head.content_length) + "\r\n";
    }
    if (head.keep_alive) {
        out += *head.keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    }
    out += "\r\n";
    return out;
}

RequestFramer::LineRead RequestFramer::TakeLine(std::string_view& input, std::size_t limit) {
    using Status = LineRead::Status;
    const auto newline = input.find('\n');
    const std::size_t take = newline == std::string_view::npos ? input.size() : newline + 1;
    if (pending_.size() + take > limit + 2) {
        return {Status::kTooLong, {}};
    }
    pending_.append(input.substr(0, take));
    input.remove_prefix(take);
    if (newline == std::string_view::npos) {
        return {Status::kIncomplete, {}};
    }
    LineRead read{Status::kLine, {}};
    read.line.swap(pending_);
    read.line.pop_back();  // '\n'
    if (read.line.empty() || read.line.back() != '\r' ||
        read.line.find('\r') != read.line.size() - 1) {
        return {Status::kNotCrlf, {}};
    }
    read.line.pop_back();  // '\r'
    return read;
}

std::optional<FramingError> RequestFramer::Feed(std::string_view input, Sink& sink) {
    while (!input.empty() && state_ != State::kFailed) {
        std::optional<FramingError> error;
        switch (state_) {
            case State::kHead:
                error = ReadHead(input, sink);
                break;
            case State::kBody: {
                const std::size_t take = std::min(body_left_, input.size());
                sink.OnForward(input.substr(0, take));
                input.remove_prefix(take);
                body_left_ -= take;
                if (body_left_ == 0) {
                    EndMessage(sink);
                }
                break;
            }
            default:
                error = ReadChunked(input, sink);
                break;
        }
        if (error) {
            state_ = State::kFailed;
            pending_.clear();
            chunked_body_.clear();
            return error;
        }
    }
    return std::nullopt;
}

std::optional<FramingError> RequestFramer::ReadHead(std::string_view& input, Sink& sink) {
    while (!input.empty()) {
        const std::size_t before = input.size();
        LineRead read = TakeLine(input, limits_.max_head_bytes);
        head_bytes_ += before - input.size();
        if (read.status == LineRead::Status::kTooLong || head_bytes_ > limits_.max_head_bytes + 2) {
            return HeadTooLarge();
        }
        if (read.status == LineRead::Status::kIncomplete) {
            return std::nullopt;
        }
        if (read.status == LineRead::Status::kNotCrlf) {
            return Malformed("lines must end with CRLF");
        }
        std::string& line = read.line;
        if (line.empty()) {
            if (head_lines_.empty()) {
                continue;  // blank lines before a request line are ignored (RFC 9112 2.2)
            }
            std::vector<std::string> lines;
            lines.swap(head_lines_);
            return StartMessage(lines, sink);
        }
        head_lines_.push_back(std::move(line));
        if (head_lines_.size() > limits_.max_header_count + 1) {
            return HeadTooLarge();
        }
    }
    return std::nullopt;
}

std::optional<FramingError> RequestFramer::StartMessage(
    const std::vector<std::string>& lines, Sink& sink
) {
    if (auto error = ParseHead(lines, limits_, head_)) {
        return error;
    }
    const std::size_t body = head_.chunked ? limits_.max_body_bytes : head_.content_length;
    if (!sink.OnHead(head_, head_bytes_ + body)) {
        return FramingError{503, kUnexpectedFailure, "Server is busy, please retry"};
    }
    if (head_.chunked) {
        chunked_body_.clear();
        trailer_lines_ = 0;
        state_ = State::kChunkSize;
        return std::nullopt;
    }
    sink.OnForward(RebuiltHead(head_));
    if (head_.content_length == 0) {
        EndMessage(sink);
    } else {
        body_left_ = head_.content_length;
        state_ = State::kBody;
    }
    return std::nullopt;
}

std::optional<FramingError> RequestFramer::ReadChunked(std::string_view& input, Sink& sink) {
    const FramingError too_large{
        413,
        kRequestEntityTooLarge,
        "Request body too large (max " + std::to_string(limits_.max_body_bytes) + " bytes)",
    };
    if (state_ == State::kChunkData) {
        const std::size_t take = std::min(body_left_, input.size());
        chunked_body_.append(input.substr(0, take));
        input.remove_prefix(take);
        body_left_ -= take;
        if (body_left_ == 0) {
            state_ = State::kChunkDataEnd;
        }
        return std::nullopt;
    }
    const std::size_t limit =
        state_ == State::kTrailer ? limits_.max_head_bytes : kMaxChunkLineBytes;
    LineRead read = TakeLine(input, limit);
    if (read.status == LineRead::Status::kTooLong) {
        return state_ == State::kTrailer ? HeadTooLarge() : Malformed("chunk line too long");
    }
    if (read.status == LineRead::Status::kIncomplete) {
        return std::nullopt;
    }
    if (read.status == LineRead::Status::kNotCrlf) {
        return Malformed("lines must end with CRLF");
    }
    std::string& line = read.line;
    switch (state_) {
        case State::kChunkSize: {
            const auto size = ParseChunkSize(line, limits_.max_body_bytes - chunked_body_.size());
            if (!size) {
                return Malformed("invalid chunk size");
            }
            if (*size > limits_.max_body_bytes - chunked_body_.size()) {
                return too_large;
            }
            body_left_ = *size;
            state_ = *size == 0 ? State::kTrailer : State::kChunkData;
            return std::nullopt;
        }
        case State::kChunkDataEnd:
            if (!line.empty()) {
                return Malformed("chunk data longer than its size");
            }
            state_ = State::kChunkSize;
            return std::nullopt;
        default:  // kTrailer: trailer fields are read and dropped
            if (line.empty()) {
                FinishChunked(sink);
                return std::nullopt;
            }
            if (++trailer_lines_ > limits_.max_header_count || !IsFieldValue(line)) {
                return trailer_lines_ > limits_.max_header_count ? HeadTooLarge()
                                                                 : Malformed("invalid trailer");
            }
            return std::nullopt;
    }
}

void RequestFramer::FinishChunked(Sink& sink) {
    head_.content_length = chunked_body_.size();
    head_.chunked = false;
    sink.OnForward(RebuiltHead(head_));
    if (!chunked_body_.empty()) {
        sink.OnForward(chunked_body_);
    }
    chunked_body_.clear();
    chunked_body_.shrink_to_fit();
    EndMessage(sink);
}

void RequestFramer::EndMessage(Sink& sink) {
    state_ = State::kHead;
    body_left_ = 0;
    head_bytes_ = 0;
    sink.OnMessageEnd();
}

}  // namespace gotrue::http
