#include "api/services/pagination.hpp"

#include <algorithm>
#include <limits>

namespace gotrue::api {

long long PageOffset(long long page, long long per_page) {
    constexpr long long kMax = std::numeric_limits<long long>::max();
    const long long skipped_pages = std::max(0LL, page - 1);
    if (per_page <= 0) {
        return 0;
    }
    if (skipped_pages > kMax / per_page) {
        return kMax;
    }
    return skipped_pages * per_page;
}

long long LastPage(long long total, long long per_page) {
    if (per_page <= 0 || total <= 0) {
        return 1;
    }
    return total / per_page + (total % per_page > 0 ? 1 : 0);
}

std::string PaginationLinks(
    const std::string& path, long long page, long long per_page, long long total
) {
    const long long last = LastPage(total, per_page);
    const auto link = [&](long long target) {
        return "<" + path + "?page=" + std::to_string(target) +
               "&per_page=" + std::to_string(per_page) + ">";
    };
    std::string links;
    if (page < last) {
        links = link(page + 1) + "; rel=\"next\", ";
    }
    return links + link(last) + "; rel=\"last\"";
}

}  // namespace gotrue::api
