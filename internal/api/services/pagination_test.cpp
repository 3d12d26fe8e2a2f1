#include "api/services/pagination.hpp"

#include <limits>

#include <doctest/doctest.h>

using gotrue::api::LastPage;
using gotrue::api::PageOffset;
using gotrue::api::PaginationLinks;

namespace {

constexpr long long kMaxInt64 = std::numeric_limits<long long>::max();

}  // namespace

TEST_SUITE("pagination") {
    TEST_CASE("offsets are (page - 1) * per_page") {
        CHECK(PageOffset(1, 50) == 0);
        CHECK(PageOffset(2, 50) == 50);
        CHECK(PageOffset(3, 1000) == 2000);
    }

    TEST_CASE("offsets saturate instead of overflowing") {
        CHECK(PageOffset(kMaxInt64, 50) == kMaxInt64);
        CHECK(PageOffset(kMaxInt64, 1) == kMaxInt64 - 1);
        CHECK(PageOffset(kMaxInt64 / 1000 + 2, 1000) == kMaxInt64);
        CHECK(PageOffset(kMaxInt64 / 1000 + 1, 1000) == (kMaxInt64 / 1000) * 1000);
    }

    TEST_CASE("the last page counts partial pages and is at least 1") {
        CHECK(LastPage(0, 50) == 1);
        CHECK(LastPage(50, 50) == 1);
        CHECK(LastPage(51, 50) == 2);
        CHECK(LastPage(kMaxInt64, 1000) == kMaxInt64 / 1000 + 1);
    }

    TEST_CASE("links name the next page only before the last") {
        CHECK(
            PaginationLinks("/admin/users", 1, 2, 4) ==
            "</admin/users?page=2&per_page=2>; rel=\"next\", </admin/users?page=2&per_page=2>; "
            "rel=\"last\""
        );
        CHECK(
            PaginationLinks("/admin/users", 2, 2, 4) ==
            "</admin/users?page=2&per_page=2>; rel=\"last\""
        );
        CHECK(
            PaginationLinks("/admin/users", kMaxInt64, 50, 3) ==
            "</admin/users?page=1&per_page=50>; rel=\"last\""
        );
    }
}
