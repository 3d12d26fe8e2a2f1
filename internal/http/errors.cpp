#include "http/errors.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "text/ascii.hpp"

namespace gotrue::http {

HttpError::HttpError(int status, ErrorCode code, const std::string& message, std::string internal)
    : std::runtime_error(message), status_(status), code_(code), internal_(std::move(internal)) {}

HttpError& HttpError::WithHeader(std::string name, std::string value) & {
    headers_.emplace_back(std::move(name), std::move(value));
    return *this;
}

HttpError HttpError::WithHeader(std::string name, std::string value) && {
    WithHeader(std::move(name), std::move(value));
    return std::move(*this);
}

HttpError& HttpError::WithWeakPasswordReasons(std::vector<std::string> reasons) & {
    reasons_ = std::move(reasons);
    return *this;
}

HttpError HttpError::WithWeakPasswordReasons(std::vector<std::string> reasons) && {
    WithWeakPasswordReasons(std::move(reasons));
    return std::move(*this);
}

HttpError BadRequest(ErrorCode code, const std::string& message) {
    return {400, code, message};
}

HttpError Unauthorized(ErrorCode code, const std::string& message) {
    return {401, code, message};
}

HttpError Forbidden(ErrorCode code, const std::string& message) {
    return {403, code, message};
}

HttpError NotFound(ErrorCode code, const std::string& message) {
    return {404, code, message};
}

HttpError UnprocessableEntity(ErrorCode code, const std::string& message) {
    return {422, code, message};
}

HttpError TooManyRequests(ErrorCode code, const std::string& message) {
    return {429, code, message};
}

HttpError UnexpectedFailure(std::string internal) {
    return {
        500,
        kUnexpectedFailure,
        "Unexpected failure, please check server logs for more information",
        std::move(internal),
    };
}

HttpError ServiceUnavailable(const std::string& message, std::string internal) {
    HttpError error(503, kUnexpectedFailure, message, std::move(internal));
    error.WithHeader("Retry-After", "1");
    return error;
}

HttpError RequestTimeout() {
    return {
        504, kRequestTimeout, "Processing this request timed out, please retry after a moment."};
}

bool WantsApiVersion2024(const Request& request) {
    const auto header = request.headers.Get("X-Supabase-Api-Version");
    if (!header) {
        return false;
    }
    const std::string& value = *header;
    // YYYY-MM-DD, compared as text once its shape is checked (ISO dates sort lexically).
    if (value.size() != 10 || value[4] != '-' || value[7] != '-') {
        return false;
    }
    for (const std::size_t i : {0U, 1U, 2U, 3U, 5U, 6U, 8U, 9U}) {
        if (!text::IsDigit(value[i])) {
            return false;
        }
    }
    const int month = std::stoi(value.substr(5, 2));
    const int day = std::stoi(value.substr(8, 2));
    if (month < 1 || month > 12 || day < 1 || day > 31) {
        return false;
    }
    return value >= "2024-01-01";
}

Response RenderError(const HttpError& error, const Request& request) {
    std::string code = error.Code();
    if (code.empty()) {
        code = error.Status() == 500 ? std::string(kUnexpectedFailure) : std::string(kUnknown);
    }
    const bool v2024 = WantsApiVersion2024(request);
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    if (v2024) {
        writer.Key("code");
        writer.String(code.c_str());
        writer.Key("message");
        writer.String(error.what());
    } else {
        writer.Key("code");
        writer.Int(error.Status());
        writer.Key("error_code");
        writer.String(code.c_str());
        writer.Key("msg");
        writer.String(error.what());
        if (error.Status() >= 500 && !request.request_id.empty()) {
            writer.Key("error_id");
            writer.String(request.request_id.c_str());
        }
    }
    if (!error.WeakPasswordReasons().empty()) {
        writer.Key("weak_password");
        writer.StartObject();
        writer.Key("reasons");
        writer.StartArray();
        for (const auto& reason : error.WeakPasswordReasons()) {
            writer.String(reason.c_str());
        }
        writer.EndArray();
        writer.EndObject();
    }
    writer.EndObject();

    Response response = JsonResponse(error.Status(), buffer.GetString());
    response.headers.Set("x-sb-error-code", code);
    if (v2024) {
        response.headers.Set("X-Supabase-Api-Version", "2024-01-01");
    }
    for (const auto& [name, value] : error.ExtraHeaders()) {
        response.headers.Set(name, value);
    }
    return response;
}

}  // namespace gotrue::http
