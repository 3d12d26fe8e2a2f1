#include "support/fault_relay.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gotrue::testing {

FaultRelay::FaultRelay(const std::vector<std::string>& flags, int port)
    : port_(port != 0 ? port : FreePort()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "relay.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    maildir_ = pattern;
    std::vector<std::string> program{
        "/usr/bin/python3",
        std::string(GOTRUE_SOURCE_DIR) + "/tests/support/smtp_fault_server.py",
        "--port",
        std::to_string(port_),
        "--maildir",
        maildir_,
    };
    program.insert(program.end(), flags.begin(), flags.end());
    process_ = std::make_unique<HelperProcess>(program);
    if (!process_->WaitForOutput("ready")) {
        throw std::runtime_error("smtp_fault_server.py did not start: " + process_->Output());
    }
}

FaultRelay::~FaultRelay() {
    process_.reset();
    std::filesystem::remove_all(maildir_);
}

std::string FaultRelay::Attempts() const {
    std::ifstream in(maildir_ + "/attempts.log");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

int FaultRelay::Count(const std::string& prefix) const {
    int count = 0;
    std::istringstream lines(Attempts());
    for (std::string line; std::getline(lines, line);) {
        count += line.rfind(prefix, 0) == 0 ? 1 : 0;
    }
    return count;
}

}  // namespace gotrue::testing
