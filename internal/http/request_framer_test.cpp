#include "http/request_framer.hpp"

#include <string>
#include <vector>

#include <doctest/doctest.h>

using gotrue::http::FramerLimits;
using gotrue::http::FramingError;
using gotrue::http::RequestFramer;
using gotrue::http::RequestHead;

namespace {

struct RecordingSink final : RequestFramer::Sink {
    std::vector<RequestHead> heads;
    std::vector<std::size_t> reservations;
    std::string forwarded;
    int ends = 0;
    bool admit = true;

    bool OnHead(const RequestHead& head, std::size_t bytes_to_buffer) override {
        heads.push_back(head);
        reservations.push_back(bytes_to_buffer);
        return admit;
    }

    void OnForward(std::string_view bytes) override { forwarded += bytes; }

    void OnMessageEnd() override { ++ends; }
};

// Feeds `raw` in pieces of `step` bytes; returns the first error.
std::optional<FramingError> FeedAll(
    RequestFramer& framer, RecordingSink& sink, const std::string& raw, std::size_t step = 0
) {
    if (step == 0) {
        return framer.Feed(raw, sink);
    }
    for (std::size_t at = 0; at < raw.size(); at += step) {
        if (auto error = framer.Feed(std::string_view(raw).substr(at, step), sink)) {
            return error;
        }
    }
    return std::nullopt;
}

int StatusOf(const std::string& raw) {
    RequestFramer framer;
    RecordingSink sink;
    const auto error = FeedAll(framer, sink, raw);
    return error ? error->status : 0;
}

}  // namespace

TEST_SUITE("request framer") {
    TEST_CASE("a GET is forwarded as a rebuilt head and its headers are kept for the handler") {
        RequestFramer framer;
        RecordingSink sink;
        const std::string raw =
            "GET /health?x=1 HTTP/1.1\r\nHost: example\r\nUser-Agent: t\r\nDate: garbage\r\n\r\n";
        CHECK_FALSE(FeedAll(framer, sink, raw));
        CHECK(sink.forwarded == "GET /health?x=1 HTTP/1.1\r\n\r\n");
        CHECK(sink.ends == 1);
        REQUIRE(sink.heads.size() == 1);
        CHECK(sink.heads[0].method == "GET");
        CHECK(sink.heads[0].target == "/health?x=1");
        REQUIRE(sink.heads[0].headers.size() == 3);
        CHECK(sink.heads[0].headers[2].second == "garbage");
    }

    TEST_CASE("a body split into single bytes arrives whole, after a head with Content-Length") {
        for (const std::size_t step : {1U, 3U, 7U, 0U}) {
            RequestFramer framer;
            RecordingSink sink;
            const std::string raw =
                "POST /signup HTTP/1.1\r\nContent-Length: 11\r\nConnection: keep-alive\r\n\r\n"
                "{\"a\":\"bc\"}\n";
            CHECK_FALSE(FeedAll(framer, sink, raw, step));
            CHECK(
                sink.forwarded ==
                "POST /signup HTTP/1.1\r\nContent-Length: 11\r\nConnection: keep-alive\r\n\r\n"
                "{\"a\":\"bc\"}\n"
            );
            CHECK(sink.ends == 1);
            CHECK(sink.reservations.at(0) > 11);
        }
    }

    TEST_CASE("two requests in one packet are handed on one after the other") {
        RequestFramer framer;
        RecordingSink sink;
        const std::string raw =
            "POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiGET /b HTTP/1.1\r\n\r\n\r\nGET /c "
            "HTTP/1.0\r\n\r\n";
        CHECK_FALSE(FeedAll(framer, sink, raw));
        CHECK(sink.ends == 3);
        CHECK(
            sink.forwarded ==
            "POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiGET /b HTTP/1.1\r\n\r\nGET /c "
            "HTTP/1.0\r\n\r\n"
        );
    }

    TEST_CASE("a chunked body is de-chunked and handed on with Content-Length") {
        for (const std::size_t step : {1U, 5U, 0U}) {
            RequestFramer framer;
            RecordingSink sink;
            const std::string raw =
                "POST /x HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"
                "4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Trailer: y\r\n\r\n";
            CHECK_FALSE(FeedAll(framer, sink, raw, step));
            CHECK(sink.forwarded == "POST /x HTTP/1.1\r\nContent-Length: 9\r\n\r\nWikipedia");
            CHECK(sink.ends == 1);
        }
    }

    TEST_CASE("what Pistache mishandles is answered before it gets there") {
        CHECK(StatusOf("POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n") == 400);
        CHECK(StatusOf("POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n") == 413);
        CHECK(
            StatusOf("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n") == 400
        );
        CHECK(StatusOf("POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n") == 400);
        CHECK(StatusOf("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") == 400);
        CHECK(StatusOf("POST / HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n") == 413);
        CHECK(
            StatusOf("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
            ) == 400
        );
        CHECK(StatusOf("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n") == 501);
        CHECK(StatusOf("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n") == 400);
        CHECK(StatusOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n") == 400);
        CHECK(StatusOf("GET / HTTP/1.1\nHost: x\n\n") == 400);
        CHECK(StatusOf("GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n") == 400);
        CHECK(StatusOf("GET / HTTP/1.1\r\nA: b\r\n continued\r\n\r\n") == 400);
        CHECK(StatusOf("GET / HTTP/1.1\r\nNoColon\r\n\r\n") == 400);
        CHECK(StatusOf("GET / HTTP/1.1\r\nHost : x\r\n\r\n") == 400);
        CHECK(StatusOf(std::string("GET / HTTP/1.1\r\nA: b\0c\r\n\r\n", 26)) == 400);
        CHECK(StatusOf("GET / HTTP/1.1\r\nA: \x01\r\n\r\n") == 400);
        CHECK(StatusOf("FOO / HTTP/1.1\r\n\r\n") == 405);
        CHECK(StatusOf("G(T / HTTP/1.1\r\n\r\n") == 400);
        CHECK(StatusOf("GET / HTTP/2.0\r\n\r\n") == 505);
        CHECK(StatusOf("GET / HTTX/1.1\r\n\r\n") == 400);
        CHECK(StatusOf("GET  HTTP/1.1\r\n\r\n") == 400);
        CHECK(StatusOf("GET /a b HTTP/1.1\r\n\r\n") == 400);
        CHECK(StatusOf("GET /\x7F HTTP/1.1\r\n\r\n") == 400);
        CHECK(StatusOf("GET relative HTTP/1.1\r\n\r\n") == 400);
        CHECK(StatusOf("GARBAGE\r\n\r\n") == 400);
    }

    TEST_CASE("header count and size are capped with 431, also when sent a byte at a time") {
        std::string many = "GET / HTTP/1.1\r\n";
        for (int i = 0; i < 40000; ++i) {
            many += "X-" + std::to_string(i) + ": v\r\n";
        }
        many += "\r\n";
        RequestFramer framer;
        RecordingSink sink;
        const auto error = FeedAll(framer, sink, many, 1);
        REQUIRE(error);
        CHECK(error->status == 431);
        CHECK(sink.heads.empty());

        CHECK(
            StatusOf("GET / HTTP/1.1\r\nCookie: " + std::string(40 * 1024, 'a') + "\r\n\r\n") == 431
        );
        CHECK(StatusOf("GET /" + std::string(40 * 1024, 'a') + " HTTP/1.1\r\n\r\n") == 431);
        CHECK(StatusOf(std::string(40 * 1024, 'A')) == 431);
        CHECK(StatusOf(std::string(40 * 1024, '\n')) == 400);
        std::string hundred = "GET / HTTP/1.1\r\n";
        for (int i = 0; i < 100; ++i) {
            hundred += "X-" + std::to_string(i) + ": v\r\n";
        }
        CHECK(StatusOf(hundred + "\r\n") == 0);
        CHECK(StatusOf(hundred + "X-101: v\r\n\r\n") == 431);
    }

    TEST_CASE("chunked bodies are bounded like others") {
        FramerLimits limits;
        limits.max_body_bytes = 8;
        RequestFramer framer(limits);
        RecordingSink sink;
        const auto error = FeedAll(
            framer, sink, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n5\r\n"
        );
        REQUIRE(error);
        CHECK(error->status == 413);
        CHECK(
            StatusOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffff\r\n") == 400
        );
        CHECK(StatusOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n") == 400);
    }

    TEST_CASE("of repeated headers the first is kept, and Connection is read as tokens") {
        RequestFramer framer;
        RecordingSink sink;
        CHECK_FALSE(FeedAll(
            framer,
            sink,
            "GET / HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\nConnection: keep-alive, Close\r\n\r\n"
        ));
        REQUIRE(sink.heads.size() == 1);
        CHECK(sink.heads[0].headers.size() == 2);
        CHECK(sink.heads[0].headers[0].second == "1");
        CHECK(sink.heads[0].keep_alive == false);
        CHECK(sink.forwarded == "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    }

    TEST_CASE("a refused message is 503 and everything after an error is ignored") {
        RequestFramer framer;
        RecordingSink sink;
        sink.admit = false;
        const auto error = FeedAll(framer, sink, "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
        REQUIRE(error);
        CHECK(error->status == 503);
        CHECK(sink.forwarded.empty());
        CHECK_FALSE(framer.Feed("GET / HTTP/1.1\r\n\r\n", sink));
        CHECK(sink.forwarded.empty());
        CHECK(sink.ends == 0);
    }
}
