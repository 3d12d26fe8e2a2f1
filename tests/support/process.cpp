#include "support/process.hpp"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/http_client.hpp"

namespace gotrue::testing {
namespace {

std::string MakeWorkDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "gotrue-proc.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    return pattern;
}

// fork + exec of argv[0] with the output going to work_dir/output.log.
pid_t SpawnProgram(
    const std::vector<std::string>& program, const EnvMap& env, const std::string& work_dir
) {
    std::vector<std::string> argv_storage = program;
    std::vector<std::string> env_storage;
    for (const auto& [key, value] : env) {
        env_storage.push_back(std::string(key).append("=").append(value));
    }
    if (!env.contains("PATH")) {
        env_storage.emplace_back("PATH=/usr/local/bin:/usr/bin:/bin");
    }
    for (const char* inherited :
         {"ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS", "LSAN_OPTIONS"}) {
        if (const char* value = std::getenv(inherited);
            value != nullptr && !env.contains(inherited)) {
            env_storage.push_back(std::string(inherited).append("=").append(value));
        }
    }
    std::vector<char*> argv;
    argv.reserve(argv_storage.size() + 1);
    for (auto& arg : argv_storage) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    std::vector<char*> envp;
    envp.reserve(env_storage.size() + 1);
    for (auto& entry : env_storage) {
        envp.push_back(entry.data());
    }
    envp.push_back(nullptr);
    const std::string log_path = work_dir + "/output.log";
    const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const pid_t pid = fork();
    if (pid == 0) {
        if (chdir(work_dir.c_str()) != 0) {
            _exit(126);
        }
        dup2(log_fd, STDOUT_FILENO);
        dup2(log_fd, STDERR_FILENO);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        execve(argv[0], argv.data(), envp.data());
        _exit(127);
    }
    close(log_fd);
    if (pid < 0) {
        throw std::runtime_error("fork failed");
    }
    return pid;
}

pid_t Spawn(const std::vector<std::string>& args, const EnvMap& env, const std::string& work_dir) {
    std::vector<std::string> program{GotrueBinary()};
    program.insert(program.end(), args.begin(), args.end());
    return SpawnProgram(program, env, work_dir);
}

std::string ReadOutput(const std::string& work_dir) {
    std::ifstream in(work_dir + "/output.log");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::optional<int> Reap(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        int status = 0;
        const pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace

std::string GotrueBinary() {
    return GOTRUE_BINARY_PATH;
}

int FreePort() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    const bool bound = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                       getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
    close(fd);
    if (!bound) {
        throw std::runtime_error("FreePort: cannot bind a loopback socket");
    }
    return ntohs(address.sin_port);
}

EnvMap BaseEnvironment(const std::string& database_url, int port) {
    return {
        {"GOTRUE_SITE_URL", "http://localhost:3000"},
        {"GOTRUE_JWT_SECRET", "test-secret-0123456789abcdef0123456789"},
        {"DATABASE_URL", database_url},
        {"API_EXTERNAL_URL", "http://localhost:" + std::to_string(port)},
        {"GOTRUE_API_HOST", "127.0.0.1"},
        {"PORT", std::to_string(port)},
        {"GOTRUE_LOG_LEVEL", "info"},
        {"GOTRUE_DB_CONNECT_RETRY_DURATION", "5s"},
    };
}

CommandResult RunGotrue(
    const std::vector<std::string>& args, const EnvMap& env, std::chrono::milliseconds timeout
) {
    const std::string work_dir = MakeWorkDir();
    const pid_t pid = Spawn(args, env, work_dir);
    CommandResult result;
    if (const auto code = Reap(pid, timeout)) {
        result.exit_code = *code;
    } else {
        kill(pid, SIGKILL);
        static_cast<void>(Reap(pid, std::chrono::seconds(5)));
    }
    result.output = ReadOutput(work_dir);
    std::filesystem::remove_all(work_dir);
    return result;
}

GotrueProcess::GotrueProcess(const std::vector<std::string>& args, const EnvMap& env)
    : port_(env.contains("PORT") ? std::stoi(env.at("PORT")) : 0), work_dir_(MakeWorkDir()) {
    pid_ = Spawn(args, env, work_dir_);
}

GotrueProcess::~GotrueProcess() {
    if (!exit_code_) {
        kill(pid_, SIGKILL);
        static_cast<void>(Reap(pid_, std::chrono::seconds(5)));
    }
    std::filesystem::remove_all(work_dir_);
}

bool GotrueProcess::WaitReady(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (exit_code_ || (exit_code_ = Reap(pid_, std::chrono::milliseconds(0)))) {
            return false;
        }
        const auto response =
            Send({"GET", Url() + "/health", "", {}, std::chrono::milliseconds(1000)});
        if (response.status == 200) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

long GotrueProcess::ResidentKib() const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stol(line.substr(6));
        }
    }
    return 0;
}

void GotrueProcess::Signal(int signal) const {
    kill(pid_, signal);
}

std::optional<int> GotrueProcess::WaitExit(std::chrono::milliseconds timeout) {
    if (!exit_code_) {
        exit_code_ = Reap(pid_, timeout);
    }
    return exit_code_;
}

std::string GotrueProcess::Output() const {
    return ReadOutput(work_dir_);
}

HelperProcess::HelperProcess(const std::vector<std::string>& program) : work_dir_(MakeWorkDir()) {
    EnvMap env;
    if (const char* path = std::getenv("PATH"); path != nullptr) {
        env["PATH"] = path;
    }
    pid_ = SpawnProgram(program, env, work_dir_);
}

HelperProcess::~HelperProcess() {
    kill(pid_, SIGKILL);
    static_cast<void>(Reap(pid_, std::chrono::seconds(5)));
    std::filesystem::remove_all(work_dir_);
}

bool HelperProcess::WaitForOutput(const std::string& text, std::chrono::milliseconds timeout)
    const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (ReadOutput(work_dir_).find(text) != std::string::npos) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

std::string HelperProcess::Output() const {
    return ReadOutput(work_dir_);
}

}  // namespace gotrue::testing
