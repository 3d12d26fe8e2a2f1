#include "support/hook_receiver.hpp"

#include <sstream>
#include <vector>

#include <doctest/doctest.h>

#include "support/http_client.hpp"

namespace gotrue::testing {
namespace {

rapidjson::Document Parsed(const HttpResponse& response) {
    REQUIRE_MESSAGE(response.status == 200, response.body);
    rapidjson::Document document;
    document.Parse(response.body.c_str());
    REQUIRE_MESSAGE(!document.HasParseError(), response.body);
    return document;
}

}  // namespace

HookReceiver::HookReceiver(double slow_seconds) : port_(FreePort()) {
    std::ostringstream slow;
    slow << slow_seconds;
    process_ = std::make_unique<HelperProcess>(std::vector<std::string>{
        "/usr/bin/python3",
        std::string(GOTRUE_SOURCE_DIR) + "/tests/support/hook_receiver.py",
        "--port",
        std::to_string(port_),
        "--secret",
        kWebhookKey,
        "--slow",
        slow.str(),
    });
    REQUIRE_MESSAGE(process_->WaitForOutput("ready"), process_->Output());
}

std::string HookReceiver::Url(const std::string& path) const {
    return "http://localhost:" + std::to_string(port_) + path;
}

void HookReceiver::Mode(const std::string& mode) const {
    HttpRequest request;
    request.method = "POST";
    request.url = Url("/mode");
    request.body = mode;
    REQUIRE(Send(request).status == 200);
}

int HookReceiver::Count() const {
    return Parsed(Get(Url("/count")))["count"].GetInt();
}

rapidjson::Document HookReceiver::Emails() const {
    return Parsed(Get(Url("/emails")));
}

}  // namespace gotrue::testing
