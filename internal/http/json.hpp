#pragma once

// JSON at the edge: request bodies become typed parameters here, responses are written with
// JsonWriter. rapidjson::Value never travels past the endpoints (api/).

#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace gotrue::http {

// The request body as a JSON object. An empty or unparseable body, or one that is not an object:
// 400 bad_json "Could not parse request body as JSON: <detail>".
[[nodiscard]] rapidjson::Document ParseJsonBody(const std::string& body);

// Optional typed fields; a present field of the wrong JSON type is 400 bad_json (Go's decoder
// rejects it the same way). `null` counts as absent. Unknown fields are ignored.
[[nodiscard]] std::optional<std::string> StringField(
    const rapidjson::Value& object, const char* name
);
[[nodiscard]] std::optional<bool> BoolField(const rapidjson::Value& object, const char* name);
// An object field re-serialised as JSON text (for metadata); "{}"-like text or nullopt.
[[nodiscard]] std::optional<std::string> ObjectField(
    const rapidjson::Value& object, const char* name
);

// A JSON object read back from the database (metadata); an empty object when the text is not
// one. Parsed with json::Parse, like every JSON text this server reads.
[[nodiscard]] rapidjson::Document ParseStoredObject(const std::string& text);

// Serialises a value.
[[nodiscard]] std::string ToJson(const rapidjson::Value& value);

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Writes raw JSON text (already valid) as the next value.
void WriteRaw(JsonWriter& writer, const std::string& json);

// Merges `patch` (object JSON text) into `base` (object JSON text): keys of patch replace those of
// base; a null value deletes the key (PUT /user data semantics). Returns the merged text.
[[nodiscard]] std::string MergeJsonObjects(const std::string& base, const std::string& patch);

}  // namespace gotrue::http
