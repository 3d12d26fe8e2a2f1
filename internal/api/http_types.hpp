#pragma once

// The HTTP vocabulary the endpoints use, from the http module (requests and responses, GoTrue's
// error shape and codes, JSON body helpers), named here once so endpoint code inside
// gotrue::api reads `Request`, `BadRequest(kValidationFailed, ...)`, `StringField(...)`.
// Transport plumbing (server, router, middleware) is not imported: only api.cpp composes it.

#include "http/error_codes.hpp"
#include "http/errors.hpp"
#include "http/http.hpp"
#include "http/json.hpp"

namespace gotrue::api {

// http/http.hpp
using http::BearerToken;
using http::Handler;
using http::Headers;
using http::JsonResponse;
using http::Middleware;
using http::Request;
using http::Response;

// http/errors.hpp, http/error_codes.hpp
using http::BadRequest;
using http::ErrorCode;
using http::Forbidden;
using http::HttpError;
using http::NotFound;
using http::RenderError;
using http::RequestTimeout;
using http::ServiceUnavailable;
using http::TooManyRequests;
using http::Unauthorized;
using http::UnexpectedFailure;
using http::UnprocessableEntity;
using namespace http::error_codes;

// http/json.hpp
using http::BoolField;
using http::JsonWriter;
using http::MergeJsonObjects;
using http::ObjectField;
using http::ParseJsonBody;
using http::ParseStoredObject;
using http::StringField;
using http::ToJson;
using http::WriteRaw;

}  // namespace gotrue::api
