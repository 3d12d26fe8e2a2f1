// Threads and resident memory of a running server while CLIENTS request-scoped sign-ups wait for
// a slow relay, against the same server idle just before: responses that wait for their mail
// hold no thread (README "Threading model"), so neither should grow with the waiting requests.
//   waiting_bench URL SERVER_PID CLIENTS RAMP_MS
// The clients start spread over RAMP_MS (the hashing lane's queue is bounded) and each sends one
// sign-up; the server should run with GOTRUE_MAILER_EMAIL_BACKGROUND_SENDING=true.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <curl/curl.h>

namespace {

using Clock = std::chrono::steady_clock;

std::size_t Discard(char* /*data*/, std::size_t size, std::size_t count, void* /*user*/) {
    return size * count;
}

struct Sample {
    long threads = 0;
    long rss_kib = 0;
};

// Threads and VmRSS of `pid` from /proc/PID/status.
Sample Read(const std::string& pid) {
    Sample sample;
    std::ifstream status("/proc/" + pid + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("Threads:", 0) == 0) {
            sample.threads = std::stol(line.substr(8));
        } else if (line.rfind("VmRSS:", 0) == 0) {
            sample.rss_kib = std::stol(line.substr(6));
        }
    }
    return sample;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: waiting_bench URL SERVER_PID CLIENTS RAMP_MS\n");
        return 2;
    }
    const std::string url = std::string(argv[1]) + "/signup";
    const std::string pid = argv[2];
    const int clients = std::stoi(argv[3]);
    const auto ramp = std::chrono::milliseconds(std::stoi(argv[4]));
    curl_global_init(CURL_GLOBAL_DEFAULT);

    const Sample idle = Read(pid);
    if (idle.threads == 0) {
        std::fprintf(stderr, "waiting_bench: no process %s\n", pid.c_str());
        return 2;
    }
    std::atomic<int> pending{0};
    std::atomic<int> failures{0};
    std::atomic<bool> done{false};
    std::mutex mutex;
    std::vector<double> latencies;  // Guarded by mutex.
    std::map<long, int> failed_by;  // status (0: no answer) -> count; guarded by mutex.
    Sample peak = idle;
    int peak_pending = 0;
    std::thread sampler([&] {
        while (!done.load()) {
            const Sample now = Read(pid);
            peak.threads = std::max(peak.threads, now.threads);
            peak.rss_kib = std::max(peak.rss_kib, now.rss_kib);
            peak_pending = std::max(peak_pending, pending.load());
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    const auto started = Clock::now();
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(clients));
    for (int c = 0; c < clients; ++c) {
        std::this_thread::sleep_until(started + ramp * c / std::max(clients, 1));
        threads.emplace_back([&, c] {
            CURL* curl = curl_easy_init();
            curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
            const std::string body =
                R"({"email":"waiting-)" + std::to_string(c) + "-" +
                std::to_string(std::chrono::system_clock::now().time_since_epoch().count()) +
                R"(@example.com","password":"benchmark-password"})";
            curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
            curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
            curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
            curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
            curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
            ++pending;
            const auto sent = Clock::now();
            long status = 0;
            if (curl_easy_perform(curl) == CURLE_OK) {
                curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
            }
            --pending;
            if (status == 200) {
                const std::scoped_lock lock(mutex);
                latencies.push_back(
                    std::chrono::duration<double, std::milli>(Clock::now() - sent).count()
                );
            } else {
                ++failures;
                const std::scoped_lock lock(mutex);
                ++failed_by[status];
            }
            curl_slist_free_all(headers);
            curl_easy_cleanup(curl);
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    done = true;
    sampler.join();
    const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
    std::sort(latencies.begin(), latencies.end());
    const double p50 = latencies.empty() ? 0.0 : latencies[latencies.size() / 2];
    std::printf(
        "%d sign-ups in %.1f s (%zu ok, %d failed), at most %d waiting at once, p50 %.0f ms\n",
        clients,
        elapsed,
        latencies.size(),
        failures.load(),
        peak_pending,
        p50
    );
    for (const auto& [status, count] : failed_by) {
        std::printf("  failed with status %ld: %d\n", status, count);
    }
    std::printf(
        "server threads idle %ld, peak %ld (growth %ld); RSS idle %.1f MiB, peak %.1f MiB (growth "
        "%.1f MiB)\n",
        idle.threads,
        peak.threads,
        peak.threads - idle.threads,
        static_cast<double>(idle.rss_kib) / 1024.0,
        static_cast<double>(peak.rss_kib) / 1024.0,
        static_cast<double>(peak.rss_kib - idle.rss_kib) / 1024.0
    );
    return failures.load() == 0 ? 0 : 1;
}
