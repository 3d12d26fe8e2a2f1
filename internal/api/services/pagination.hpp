#pragma once

// Page arithmetic of GET /admin/users (GoTrue's api/pagination.go): which rows a page skips and
// the Link header pointing at the next and last pages.

#include <string>

namespace gotrue::api {

// Rows skipped before page `page` (1-based) of `per_page` rows. Saturates at the largest int64
// instead of overflowing, so any page past the end is simply empty.
[[nodiscard]] long long PageOffset(long long page, long long per_page);

// Pages needed for `total` rows, at least 1 (an empty list still has a last page).
[[nodiscard]] long long LastPage(long long total, long long per_page);

// `<path?page=N&per_page=M>; rel="next", <...>; rel="last"` (next only before the last page).
[[nodiscard]] std::string PaginationLinks(
    const std::string& path, long long page, long long per_page, long long total
);

}  // namespace gotrue::api
