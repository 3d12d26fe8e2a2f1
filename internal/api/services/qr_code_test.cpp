#include "api/services/qr_code.hpp"

#include <string>

#include <doctest/doctest.h>
#include <qrencode.h>

namespace {

std::size_t Count(const std::string& text, std::string_view part) {
    std::size_t count = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
        ++count;
    }
    return count;
}

}  // namespace

TEST_SUITE("qr code") {
    TEST_CASE("the SVG draws every dark module of the symbol, inside a quiet zone") {
        const std::string uri =
            "otpauth://totp/example.com:a@example.com?algorithm=SHA1&digits=6&issuer=example.com&"
            "period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        const std::string svg = gotrue::api::QrCodeSvg(uri);
        QRcode* code = QRcode_encodeString8bit(uri.c_str(), 0, QR_ECLEVEL_H);
        REQUIRE(code != nullptr);
        std::size_t dark = 0;
        for (int i = 0; i < code->width * code->width; ++i) {
            dark += (code->data[i] & 1U) != 0 ? 1 : 0;  // NOLINT: libqrencode's C array
        }
        const int side = code->width + 8;
        QRcode_free(code);
        CHECK(dark > 0);
        CHECK(Count(svg, "h1v1h-1z") == dark);
        CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
        CHECK(
            svg.find("viewBox=\"0 0 " + std::to_string(side) + " " + std::to_string(side)) !=
            std::string::npos
        );
        CHECK(svg.find("width=\"" + std::to_string(side * 3) + "\"") != std::string::npos);
        CHECK(svg.ends_with("</svg>"));
        // Safe inside the data: URI auth-js makes of it.
        CHECK(svg.find('#') == std::string::npos);
        CHECK(svg.find('%') == std::string::npos);
        // Another text, another symbol.
        CHECK(gotrue::api::QrCodeSvg(uri + "X") != svg);
    }
}
