#include "support/mailbox.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace gotrue::testing {
namespace {

std::string Lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return text;
}

int Hex(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

std::string DecodeQuotedPrintable(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '=' && i + 1 < text.size() && (text[i + 1] == '\r' || text[i + 1] == '\n')) {
            i += text[i + 1] == '\r' && i + 2 < text.size() && text[i + 2] == '\n'
                     ? 2
                     : 1;  // soft break
        } else if (text[i] == '=' && i + 2 < text.size() && Hex(text[i + 1]) >= 0 && Hex(text[i + 2]) >= 0) {
            out += static_cast<char>(Hex(text[i + 1]) * 16 + Hex(text[i + 2]));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

std::string DecodeBase64(const std::string& text) {
    static const std::string kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (const char c : text) {
        const auto value = kAlphabet.find(c);
        if (value == std::string::npos) {
            continue;
        }
        buffer = (buffer << 6) | static_cast<unsigned>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xFF);
        }
    }
    return out;
}

// Splits headers and body; header names lower-cased, continuation lines unfolded.
std::pair<std::map<std::string, std::string>, std::string> SplitEntity(const std::string& raw) {
    std::map<std::string, std::string> headers;
    std::size_t pos = 0;
    std::string last;
    while (pos < raw.size()) {
        auto end = raw.find('\n', pos);
        if (end == std::string::npos) {
            end = raw.size();
        }
        std::string line = raw.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        pos = end + 1;
        if (line.empty()) {
            break;
        }
        if ((line[0] == ' ' || line[0] == '\t') && !last.empty()) {
            headers[last] += " " + line.substr(line.find_first_not_of(" \t"));
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string::npos) {
            continue;
        }
        last = Lower(line.substr(0, colon));
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        headers[last] = value;
    }
    return {headers, pos < raw.size() ? raw.substr(pos) : std::string()};
}

std::string Boundary(const std::string& content_type) {
    const auto at = Lower(content_type).find("boundary=");
    if (at == std::string::npos) {
        return {};
    }
    std::string boundary = content_type.substr(at + 9);
    if (!boundary.empty() && boundary.front() == '"') {
        boundary = boundary.substr(1, boundary.find('"', 1) - 1);
    } else {
        boundary = boundary.substr(0, boundary.find_first_of("; \r\n"));
    }
    return boundary;
}

void CollectParts(const std::string& raw, std::vector<MailPart>& parts) {
    const auto [headers, body] = SplitEntity(raw);
    const std::string type =
        headers.contains("content-type") ? headers.at("content-type") : "text/plain";
    if (Lower(type).rfind("multipart/", 0) == 0) {
        const std::string delimiter = "--" + Boundary(type);
        std::size_t pos = body.find(delimiter);
        while (pos != std::string::npos) {
            const auto start = body.find('\n', pos) + 1;
            const auto next = body.find(delimiter, start);
            if (next == std::string::npos || body.compare(pos + delimiter.size(), 2, "--") == 0) {
                break;
            }
            CollectParts(body.substr(start, next - start), parts);
            pos = next;
        }
        return;
    }
    const std::string encoding = headers.contains("content-transfer-encoding")
                                     ? Lower(headers.at("content-transfer-encoding"))
                                     : "";
    std::string decoded = body;
    if (encoding == "quoted-printable") {
        decoded = DecodeQuotedPrintable(body);
    } else if (encoding == "base64") {
        decoded = DecodeBase64(body);
    }
    parts.push_back(MailPart{type, decoded});
}

}  // namespace

std::string Mail::Header(const std::string& name) const {
    const auto it = headers.find(Lower(name));
    return it == headers.end() ? std::string() : it->second;
}

std::string Mail::Part(const std::string& type) const {
    for (const auto& part : parts) {
        if (Lower(part.content_type).rfind(type, 0) == 0) {
            return part.body;
        }
    }
    return {};
}

Mail ParseMail(const std::string& raw) {
    Mail mail;
    mail.raw = raw;
    mail.headers = SplitEntity(raw).first;
    CollectParts(raw, mail.parts);
    return mail;
}

std::string SharedMaildir() {
    const char* dir = std::getenv("GOTRUE_TEST_MAILDIR");
    if (dir == nullptr || *dir == '\0') {
        throw std::runtime_error("GOTRUE_TEST_MAILDIR is not set: run the tests with `make test`");
    }
    return dir;
}

std::vector<Mail> ReadMaildir(const std::string& maildir) {
    std::error_code error;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(maildir + "/new", error)) {
        if (entry.path().extension() != ".tmp") {
            files.push_back(entry.path());
        }
    }
    // In arrival order: Maildir names are not zero-padded, so sort by modification time.
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
        std::error_code ignored;
        const auto time_a = std::filesystem::last_write_time(a, ignored);
        const auto time_b = std::filesystem::last_write_time(b, ignored);
        return time_a != time_b ? time_a < time_b : a < b;
    });
    std::vector<Mail> mails;
    for (const auto& file : files) {
        std::ifstream in(file, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        mails.push_back(ParseMail(text.str()));
        mails.back().file = file.filename().string();
    }
    return mails;
}

std::vector<Mail> WaitForMail(
    const std::string& maildir,
    const std::string& recipient,
    std::size_t count,
    std::chrono::milliseconds timeout
) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<Mail> found;
    while (true) {
        found.clear();
        for (auto& mail : ReadMaildir(maildir)) {
            if (Lower(mail.Header("To")).find(Lower(recipient)) != std::string::npos) {
                found.push_back(std::move(mail));
            }
        }
        if (found.size() >= count || std::chrono::steady_clock::now() >= deadline) {
            return found;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
}

std::string DecodeHeaderWords(const std::string& value) {
    std::string out;
    std::size_t pos = 0;
    while (pos < value.size()) {
        const auto start = value.find("=?", pos);
        if (start == std::string::npos) {
            out += value.substr(pos);
            break;
        }
        std::string between = value.substr(pos, start - pos);
        if (between.find_first_not_of(" \t") != std::string::npos || pos == 0) {
            out += between;  // whitespace between two encoded words is dropped
        }
        const auto q1 = value.find('?', start + 2);
        const auto q2 = value.find('?', q1 + 1);
        const auto end = value.find("?=", q2 + 1);
        if (q1 == std::string::npos || q2 == std::string::npos || end == std::string::npos) {
            out += value.substr(start);
            break;
        }
        const char encoding =
            static_cast<char>(std::toupper(static_cast<unsigned char>(value[q1 + 1])));
        const std::string text = value.substr(q2 + 1, end - q2 - 1);
        if (encoding == 'B') {
            out += DecodeBase64(text);
        } else {
            std::string underscores = text;
            std::replace(underscores.begin(), underscores.end(), '_', ' ');
            out += DecodeQuotedPrintable(underscores);
        }
        pos = end + 2;
    }
    return out;
}

}  // namespace gotrue::testing
