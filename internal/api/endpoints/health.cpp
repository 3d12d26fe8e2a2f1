#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "api/api.hpp"

namespace gotrue::api {

// GET /health (GoTrue's HealthCheck, internal/api/api.go).
// NOLINTNEXTLINE(readability-make-member-function-const): every route handler has one signature
Response Api::Health(Request& /*request*/) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    writer.Key("version");
    writer.String(deps_.version.c_str());
    writer.Key("name");
    writer.String("GoTrue");
    writer.Key("description");
    writer.String("GoTrue is a user registration and authentication API");
    writer.EndObject();
    return JsonResponse(200, buffer.GetString());
}

}  // namespace gotrue::api
