#include "api/services/qr_code.hpp"

#include <memory>
#include <stdexcept>

#include <qrencode.h>

namespace gotrue::api {
namespace {

constexpr int kModulePixels = 3;  // upstream's DefaultQRSize
constexpr int kQuietZone = 4;     // modules of blank border the QR standard asks for

}  // namespace

std::string QrCodeSvg(std::string_view text) {
    const std::string data(text);
    const std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
        QRcode_encodeString8bit(data.c_str(), 0, QR_ECLEVEL_H), &QRcode_free
    );
    if (!code) {
        throw std::runtime_error("QR code encoding failed");
    }
    const int width = code->width;
    const std::string modules = std::to_string(width + 2 * kQuietZone);
    const std::string pixels = std::to_string((width + 2 * kQuietZone) * kModulePixels);
    std::string svg = R"(<svg xmlns="http://www.w3.org/2000/svg" width=")" + pixels +
                      R"(" height=")" + pixels + R"(" viewBox="0 0 )" + modules + " " + modules +
                      R"(" shape-rendering="crispEdges"><rect width=")" + modules +
                      R"(" height=")" + modules + R"(" fill="white"/><path fill="black" d=")";
    for (int y = 0; y < width; ++y) {
        for (int x = 0; x < width; ++x) {
            // Bit 0 of each byte is the module's colour (1: dark), per qrencode.h.
            if ((code->data[(y * width) + x] & 1U) != 0) {  // NOLINT: libqrencode's C array
                svg += "M" + std::to_string(x + kQuietZone) + " " + std::to_string(y + kQuietZone) +
                       "h1v1h-1z";
            }
        }
    }
    svg += R"("/></svg>)";
    return svg;
}

}  // namespace gotrue::api
