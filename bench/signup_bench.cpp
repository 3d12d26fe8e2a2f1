// Signup throughput and latency with concurrent clients, against the bcrypt bound measured in the
// same run: a signup hashes one password (bcrypt, cost GOTRUE_PASSWORD_HASH_COST), so on C cores
// no server can do more than C / t(bcrypt) signups per second.
//   signup_bench URL CLIENTS SECONDS COST [TAG [WARMUP]]
// TAG (default "bench") starts every address, so runs against one database do not collide.
// Throughput is measured in steady state: the clients run for WARMUP (default 0) + SECONDS, and
// only the signups answered inside the last SECONDS count. Neither the filling of the pipeline
// (with a 1 s relay no response of a waiting mode can come before 1 s) nor its draining (the
// requests still in flight when the window closes) is counted as throughput, as wrk does not.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <curl/curl.h>

#include "crypto/password.hpp"

namespace {

using Clock = std::chrono::steady_clock;

std::size_t Discard(char* /*data*/, std::size_t size, std::size_t count, void* /*user*/) {
    return size * count;
}

// The time of one hash with every core hashing, as the server's cores are under load: one
// thread per core, each hashing kRounds passwords.
double BcryptSeconds(int cost, unsigned cores) {
    constexpr int kRounds = 16;
    const auto started = Clock::now();
    std::vector<std::thread> hashers;
    for (unsigned core = 0; core < cores; ++core) {
        hashers.emplace_back([cost] {
            for (int i = 0; i < kRounds; ++i) {
                static_cast<void>(gotrue::crypto::HashPassword("benchmark-password", cost));
            }
        });
    }
    for (auto& hasher : hashers) {
        hasher.join();
    }
    return std::chrono::duration<double>(Clock::now() - started).count() / kRounds;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 5 || argc > 7) {
        std::fprintf(stderr, "usage: signup_bench URL CLIENTS SECONDS COST [TAG [WARMUP]]\n");
        return 2;
    }
    const std::string tag = argc >= 6 ? argv[5] : "bench";
    const double warmup = argc == 7 ? std::stod(argv[6]) : 0.0;
    const std::string url = std::string(argv[1]) + "/signup";
    const int clients = std::stoi(argv[2]);
    const double seconds = std::stod(argv[3]);
    const int cost = std::stoi(argv[4]);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
    // Measured before and after the load and averaged: on a shared machine the speed of a core
    // drifts over a run, and a single sample moved the bound by up to 10 %.
    const double hash_seconds_before = BcryptSeconds(cost, cores);

    std::mutex mutex;
    std::vector<double> latencies;  // Guarded by mutex.
    std::atomic<int> failures{0};
    std::atomic<long> counter{0};
    const auto started = Clock::now();
    const auto window_opens =
        started +
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup));
    const auto deadline =
        window_opens +
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
            CURL* curl = curl_easy_init();
            curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
            curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
            curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
            curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
            curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
            std::vector<double> mine;
            while (Clock::now() < deadline) {
                const std::string body = R"({"email":")" + tag + "-" + std::to_string(c) + "-" +
                                         std::to_string(counter++) +
                                         R"(@example.com","password":"benchmark-password"})";
                curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
                const auto sent = Clock::now();
                long status = 0;
                if (curl_easy_perform(curl) == CURLE_OK) {
                    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
                }
                const auto answered = Clock::now();
                if (status != 200) {
                    ++failures;  // inside the window or not
                } else if (answered >= window_opens && answered <= deadline) {
                    mine.push_back(
                        std::chrono::duration<double, std::milli>(answered - sent).count()
                    );
                }
            }
            curl_slist_free_all(headers);
            curl_easy_cleanup(curl);
            const std::scoped_lock lock(mutex);
            latencies.insert(latencies.end(), mine.begin(), mine.end());
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    const double hash_seconds_after = BcryptSeconds(cost, cores);
    const double hash_seconds = (hash_seconds_before + hash_seconds_after) / 2;
    const double bound = cores / hash_seconds;
    std::sort(latencies.begin(), latencies.end());
    const auto percentile = [&](double p) {
        return latencies.empty()
                   ? 0.0
                   : latencies[std::min(
                         latencies.size() - 1,
                         static_cast<std::size_t>(p * static_cast<double>(latencies.size()))
                     )];
    };
    const double throughput = static_cast<double>(latencies.size()) / seconds;
    std::printf(
        "bcrypt cost %d: %.1f ms per hash, %u cores hashing (%.1f before, %.1f after): bound "
        "%.1f signups/s\n",
        cost,
        hash_seconds * 1000,
        cores,
        hash_seconds_before * 1000,
        hash_seconds_after * 1000,
        bound
    );
    std::printf(
        "signup with %d clients for %.0f s: %.1f signups/s (%zu ok, %d failed), p50 %.1f ms, p99 "
        "%.1f ms\n",
        clients,
        seconds,
        throughput,
        latencies.size(),
        failures.load(),
        percentile(0.5),
        percentile(0.99)
    );
    std::printf("ratio to the bcrypt bound: %.2f\n", throughput / bound);
    return failures.load() == 0 ? 0 : 1;
}
