#pragma once

// The QR code of a TOTP enrollment's otpauth:// URI as SVG text (libqrencode draws the symbol;
// upstream uses boombuler/barcode with goqrsvg), sent raw as upstream does: auth-js turns it
// into a data: URI itself.

#include <string>
#include <string_view>

namespace gotrue::api {

// An SVG of `text` encoded at error-correction level H, 3 pixels per module, inside the 4-module
// quiet zone. No '#' or '%' (named colours, no percentages): they would break the data: URI
// auth-js builds from it. Throws
// std::runtime_error when the text does not fit a QR code.
[[nodiscard]] std::string QrCodeSvg(std::string_view text);

}  // namespace gotrue::api
