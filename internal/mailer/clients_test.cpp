#include "mailer/clients.hpp"

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "apitask/apitask.hpp"
#include "mailer/recording_client.hpp"

using gotrue::mailer::InvalidAddressError;
using gotrue::mailer::IsValidEmail;
using gotrue::mailer::Message;

namespace {

using RecordingClient = gotrue::mailer::testing::RecordingClient;

}  // namespace

TEST_SUITE("mail clients") {
    TEST_CASE("email syntax as GoTrue checks it") {
        for (const char* good :
             {"a@b.co",
              "first.last+tag@example.com",
              "x_y-z@sub.domain.example",
              "o'neil@example.org"}) {
            CAPTURE(good);
            CHECK(IsValidEmail(good));
        }
        for (const char* bad :
             {"",
              "plain",
              "@example.com",
              "a@",
              "a@-x.com",
              "a@x-.com",
              "a b@example.com",
              "a@exa mple.com",
              "a@x..com",
              "<a@x.com>",
              "a@x.com\r\nBcc: y@z.com"}) {
            CAPTURE(bad);
            CHECK_FALSE(IsValidEmail(bad));
        }
        CHECK_FALSE(IsValidEmail(std::string(250, 'a') + "@example.com"));
        CHECK_FALSE(IsValidEmail("a@" + std::string(64, 'b') + ".com"));
    }

    TEST_CASE("the validate client rejects bad addresses before anything is sent") {
        RecordingClient inner;
        gotrue::mailer::ValidateClient validate(inner);
        CHECK_THROWS_AS(
            validate.Send({}, Message{"not-an-address", "s", "b", "confirmation"}),
            InvalidAddressError
        );
        CHECK(inner.sent.empty());
        validate.Send({}, Message{"ok@example.com", "s", "b", "confirmation"});
        CHECK(inner.sent.size() == 1);
    }

    TEST_CASE("the noop client accepts mail and refuses only an empty recipient") {
        gotrue::mailer::NoopClient noop("http://localhost:3000");
        CHECK_NOTHROW(noop.Send({}, Message{"a@example.com", "s", "b", "confirmation"}));
        CHECK_THROWS_AS(
            noop.Send({}, Message{"", "s", "b", "confirmation"}), gotrue::mailer::SendError
        );
    }

    TEST_CASE("the task client sends inline without a worker and as a task with one") {
        RecordingClient inner;
        gotrue::mailer::TaskClient tasks(inner);
        gotrue::apitask::WorkerPool pool(gotrue::apitask::PoolOptions{2, 8});
        tasks.Send(
            gotrue::apitask::Context("r", std::nullopt, &pool),
            Message{"a@example.com", "s", "b", "confirmation"}
        );
        CHECK(inner.sent.size() == 1);
        const auto context = gotrue::apitask::Context("r", std::nullopt, &pool).WithWorker();
        tasks.Send(context, Message{"b@example.com", "s", "b", "recovery"});
        gotrue::apitask::Wait(context);
        CHECK(inner.sent.size() == 2);
        CHECK(pool.GetMetrics().Read().succeeded == 2);
    }
}
