// What a flood costs everyone else. Two measurements against a running server:
//
//   flood_bench signin URL EMAIL REFRESH_TOKEN CLIENTS SECONDS
//     CLIENTS threads send wrong-password sign-ins for EMAIL (bcrypt every time) as fast as they
//     can; meanwhile one prober asks GET /health and another refreshes a session every 20 ms.
//     Prints the probes' latencies, idle (before the flood) and under the flood, side by side.
//
//   flood_bench stall PORT PID CONNECTIONS
//     Opens CONNECTIONS connections that each announce a 1 MB body, send 990 KB of it and stall;
//     prints the server's resident memory (VmRSS of PID) before and with them, and how many were
//     refused at once.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <curl/curl.h>

#include "support/http_client.hpp"

namespace {

using Clock = std::chrono::steady_clock;

std::size_t Append(char* data, std::size_t size, std::size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

struct Result {
    long status = 0;
    double ms = 0;
    std::string body;
};

Result Call(CURL* curl, const std::string& url, const std::string* body) {
    Result result;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 30000L);
    if (body != nullptr) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->c_str());
    } else {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    }
    const auto started = Clock::now();
    if (curl_easy_perform(curl) == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
    }
    result.ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    return result;
}

double Quantile(std::vector<double> values, double q) {
    if (values.empty()) {
        return 0;
    }
    std::sort(values.begin(), values.end());
    return values[std::min(
        values.size() - 1, static_cast<std::size_t>(q * static_cast<double>(values.size()))
    )];
}

std::string JsonField(const std::string& json, const std::string& key) {
    const auto at = json.find("\"" + key + "\":\"");
    if (at == std::string::npos) {
        return {};
    }
    const auto start = at + key.size() + 4;
    return json.substr(start, json.find('"', start) - start);
}

struct Probes {
    std::vector<double> health;
    std::vector<double> refresh;
    int refresh_failures = 0;
};

// Probes /health and a refresh every 20 ms until `stop`.
Probes Probe(const std::string& url, std::string& refresh_token, const std::atomic<bool>& stop) {
    Probes probes;
    CURL* health = curl_easy_init();
    CURL* refresh = curl_easy_init();
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(refresh, CURLOPT_HTTPHEADER, headers);
    while (!stop.load()) {
        const Result h = Call(health, url + "/health", nullptr);
        if (h.status == 200) {
            probes.health.push_back(h.ms);
        }
        const std::string body = R"({"refresh_token":")" + refresh_token + "\"}";
        const Result r = Call(refresh, url + "/token?grant_type=refresh_token", &body);
        if (r.status == 200) {
            probes.refresh.push_back(r.ms);
            refresh_token = JsonField(r.body, "refresh_token");
        } else {
            ++probes.refresh_failures;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(health);
    curl_easy_cleanup(refresh);
    return probes;
}

void PrintProbes(const char* label, const Probes& probes) {
    std::printf(
        "%-14s /health p50 %7.1f ms  p99 %7.1f ms (%zu)   refresh p50 %7.1f ms  p99 %7.1f ms "
        "(%zu ok, %d failed)\n",
        label,
        Quantile(probes.health, 0.5),
        Quantile(probes.health, 0.99),
        probes.health.size(),
        Quantile(probes.refresh, 0.5),
        Quantile(probes.refresh, 0.99),
        probes.refresh.size(),
        probes.refresh_failures
    );
}

int SignInFlood(
    const std::string& url,
    const std::string& email,
    std::string refresh_token,
    int clients,
    int seconds
) {
    std::atomic<bool> stop{false};
    std::thread idle_timer([&stop, seconds] {
        std::this_thread::sleep_for(std::chrono::seconds(std::max(1, seconds / 2)));
        stop = true;
    });
    const Probes idle = Probe(url, refresh_token, stop);
    idle_timer.join();

    stop = false;
    std::mutex mutex;
    std::map<long, int> statuses;
    std::vector<std::thread> flood;
    const std::string body = R"({"email":")" + email + R"(","password":"wrong-password"})";
    for (int i = 0; i < clients; ++i) {
        flood.emplace_back([&] {
            CURL* curl = curl_easy_init();
            curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
            curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
            std::map<long, int> mine;
            while (!stop.load()) {
                ++mine[Call(curl, url + "/token?grant_type=password", &body).status];
            }
            curl_slist_free_all(headers);
            curl_easy_cleanup(curl);
            const std::scoped_lock lock(mutex);
            for (const auto& [status, count] : mine) {
                statuses[status] += count;
            }
        });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the flood build up
    std::thread flood_timer([&stop, seconds] {
        std::this_thread::sleep_for(std::chrono::seconds(seconds));
        stop = true;
    });
    const Probes flooded = Probe(url, refresh_token, stop);
    flood_timer.join();
    for (auto& thread : flood) {
        thread.join();
    }
    PrintProbes("idle", idle);
    PrintProbes("under flood", flooded);
    std::printf("flood of %d clients, %d s: sign-in answers", clients, seconds);
    for (const auto& [status, count] : statuses) {
        std::printf("  %ld x %d (%.0f/s)", status, count, count / (seconds + 0.5));
    }
    std::printf(
        "\nratio /health p50 under flood / idle: %.2f\n",
        Quantile(flooded.health, 0.5) / std::max(0.001, Quantile(idle.health, 0.5))
    );
    return 0;
}

long ResidentKib(int pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stol(line.substr(6));
        }
    }
    return 0;
}

int Stall(int port, int pid, int connections) {
    const long before = ResidentKib(pid);
    const std::string head = "POST /signup HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n";
    const std::string part = head + std::string(990000, 'x');
    std::vector<std::unique_ptr<gotrue::testing::RawConnection>> stalled;
    int refused = 0;
    for (int i = 0; i < connections; ++i) {
        auto connection = std::make_unique<gotrue::testing::RawConnection>(port);
        if (!connection->Connected()) {
            continue;
        }
        static_cast<void>(connection->Send(part));
        if (connection->Receive(std::chrono::milliseconds(20)).find(" 503") != std::string::npos) {
            ++refused;
        }
        stalled.push_back(std::move(connection));  // held open until the measurement is done
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const long with = ResidentKib(pid);
    std::printf(
        "%d connections with 990 KB of a 1 MB body each: RSS %ld -> %ld KiB (+%.1f MiB), %d "
        "refused at once with 503\n",
        connections,
        before,
        with,
        static_cast<double>(with - before) / 1024.0,
        refused
    );
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "signin" && argc == 7) {
        return SignInFlood(argv[2], argv[3], argv[4], std::stoi(argv[5]), std::stoi(argv[6]));
    }
    if (mode == "stall" && argc == 5) {
        return Stall(std::stoi(argv[2]), std::stoi(argv[3]), std::stoi(argv[4]));
    }
    std::fprintf(
        stderr,
        "usage: flood_bench signin URL EMAIL REFRESH_TOKEN CLIENTS SECONDS\n"
        "       flood_bench stall PORT PID CONNECTIONS\n"
    );
    return 2;
}
