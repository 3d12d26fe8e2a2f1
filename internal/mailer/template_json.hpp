#pragma once

// JSON -> TemplateValue, as encoding/json decodes into the `any` GoTrue hands its templates:
// every number a float64, objects as map[string]any (of duplicate keys the last wins, as in Go).

#include <rapidjson/document.h>

#include "mailer/go_template.hpp"

namespace gotrue::mailer {

[[nodiscard]] TemplateValue TemplateValueFromJson(const rapidjson::Value& value);

}  // namespace gotrue::mailer
