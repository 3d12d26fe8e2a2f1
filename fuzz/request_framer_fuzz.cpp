// Fuzzes the request framer (http/request_framer.hpp) and the conversion of what it reads into
// what handlers see (http::ToSafeText, http::ParseQuery). The first byte of the input chooses
// where to split the rest into two reads, the way bytes arrive over TCP.
//
// Checked besides "no crash, leak, UB or hang": the framer's decisions do not depend on how the
// bytes were split (the same events for one read, two reads, and a byte at a time); every head
// it hands on is one it rebuilt, with a known method and version; no message body handed on is
// larger than the limit; every error status is a 4xx or 5xx it documents. Everything a handler
// reads is valid UTF-8 without NUL.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/http.hpp"
#include "http/request_framer.hpp"

namespace {

using gotrue::http::FramerLimits;
using gotrue::http::FramingError;
using gotrue::http::RequestFramer;
using gotrue::http::RequestHead;

[[noreturn]] void Fail(const char* what) {
    static_cast<void>(std::fprintf(stderr, "request_framer_fuzz: %s\n", what));
    std::abort();
}

FramerLimits SmallLimits() {
    FramerLimits limits;
    limits.max_head_bytes = 2048;
    limits.max_header_count = 16;
    limits.max_body_bytes = 4096;
    return limits;
}

struct Recorder final : RequestFramer::Sink {
    std::string events;  // a transcript: every decision and every forwarded byte
    std::size_t body_in_message = 0;
    bool in_body = false;

    bool OnHead(const RequestHead& head, std::size_t bytes_to_buffer) override {
        events += "head " + head.method + " " + head.target + " " +
                  std::to_string(bytes_to_buffer) + "\n";
        CheckHead(head);
        return head.target.size() % 7 != 3;  // refuse some, as an exhausted budget would
    }

    void OnForward(std::string_view bytes) override {
        if (!in_body) {
            if (bytes.rfind("GET ", 0) != 0 && bytes.rfind("POST ", 0) != 0 &&
                bytes.find(" HTTP/1.") == std::string_view::npos) {
                Fail("a forwarded head does not start with a request line");
            }
            in_body = true;
            body_in_message = 0;
        } else {
            body_in_message += bytes.size();
            if (body_in_message > SmallLimits().max_body_bytes) {
                Fail("a body larger than the limit was handed on");
            }
        }
        events.append(bytes);
    }

    void OnMessageEnd() override {
        in_body = false;
        events += "\nend\n";
    }

    static void CheckHead(const RequestHead& head) {
        if (head.version != "HTTP/1.1" && head.version != "HTTP/1.0") {
            Fail("a head with an unknown version was accepted");
        }
        for (const auto& [name, value] : head.headers) {
            const std::string safe = gotrue::http::ToSafeText(value);
            if (safe.find('\0') != std::string::npos || gotrue::http::ToSafeText(safe) != safe) {
                Fail("a header value is not made safe");
            }
        }
        const auto question = head.target.find('?');
        if (question != std::string::npos) {
            for (const auto& [key, value] :
                 gotrue::http::ParseQuery(head.target.substr(question + 1))) {
                if (gotrue::http::ToSafeText(key) != key ||
                    gotrue::http::ToSafeText(value) != value) {
                    Fail("a query parameter is not valid UTF-8");
                }
            }
        }
    }
};

std::string Run(const std::vector<std::string_view>& reads) {
    RequestFramer framer(SmallLimits());
    Recorder recorder;
    for (const auto read : reads) {
        if (const auto error = framer.Feed(read, recorder)) {
            const int status = error->status;
            if (status != 400 && status != 405 && status != 413 && status != 431 && status != 501 &&
                status != 503 && status != 505) {
                Fail("an undocumented status");
            }
            recorder.events += "error " + std::to_string(status) + "\n";
            break;
        }
    }
    return recorder.events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::size_t split = bytes.empty() ? 0 : data[0] % (bytes.size() + 1);
    const std::string whole = Run({bytes});
    if (Run({bytes.substr(0, split), bytes.substr(split)}) != whole) {
        Fail("two reads are framed differently from one");
    }
    if (bytes.size() <= 512) {
        std::vector<std::string_view> single;
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            single.push_back(bytes.substr(i, 1));
        }
        if (Run(single) != whole) {
            Fail("a byte at a time is framed differently from one read");
        }
    }
    const std::string safe = gotrue::http::ToSafeText(bytes);
    if (gotrue::http::ToSafeText(safe) != safe || safe.find('\0') != std::string::npos) {
        Fail("ToSafeText is not idempotent or leaves a NUL");
    }
    return 0;
}
