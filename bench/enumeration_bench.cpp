// Does /recover (or /resend, /magiclink) tell an existing email from an unknown one by its
// response time? Alternates N requests for each and compares the latency distributions: the
// medians, the 90th percentiles and how many existing-address requests were slower than every
// unknown-address one (a slow tail that padding to a median would leave visible).
//   enumeration_bench URL PATH EXISTING_EMAIL N

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <curl/curl.h>

namespace {

std::size_t Discard(char* /*data*/, std::size_t size, std::size_t count, void* /*user*/) {
    return size * count;
}

double Quantile(std::vector<double> values, double q) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0
                          : values[std::min(
                                values.size() - 1,
                                static_cast<std::size_t>(q * static_cast<double>(values.size()))
                            )];
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: enumeration_bench URL PATH EXISTING_EMAIL N\n");
        return 2;
    }
    const std::string url = std::string(argv[1]) + argv[2];
    const std::string existing = argv[3];
    const int count = std::stoi(argv[4]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL* curl = curl_easy_init();
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
    std::vector<double> known;
    std::vector<double> unknown;
    int failures = 0;
    for (int i = 0; i < 2 * count; ++i) {
        const bool is_known = i % 2 == 0;
        const std::string email =
            is_known ? existing : "nobody-" + std::to_string(i) + "@example.com";
        const std::string body = R"({"email":")" + email + R"(","type":"signup"})";
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
        const auto started = std::chrono::steady_clock::now();
        long status = 0;
        if (curl_easy_perform(curl) == CURLE_OK) {
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        }
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                .count();
        if (status != 200) {
            ++failures;
            continue;
        }
        (is_known ? known : unknown).push_back(ms);
    }
    const double median_known = Quantile(known, 0.5);
    const double median_unknown = Quantile(unknown, 0.5);
    const double slowest_unknown =
        unknown.empty() ? 0 : *std::max_element(unknown.begin(), unknown.end());
    const auto tail =
        std::count_if(known.begin(), known.end(), [&](double ms) { return ms > slowest_unknown; });
    std::printf(
        "%-12s existing p50 %.2f p90 %.2f ms, unknown p50 %.2f p90 %.2f ms (%zu/%zu), median "
        "ratio %.2f, existing slower than every unknown: %ld%s\n",
        argv[2],
        median_known,
        Quantile(known, 0.9),
        median_unknown,
        Quantile(unknown, 0.9),
        known.size(),
        unknown.size(),
        std::max(median_known, median_unknown) /
            std::max(0.001, std::min(median_known, median_unknown)),
        static_cast<long>(tail),
        failures != 0 ? " (some requests failed)" : ""
    );
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return failures == 0 ? 0 : 1;
}
