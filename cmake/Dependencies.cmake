# Every third-party library becomes an imported target here; modules link targets, never flags.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(Pistache REQUIRED IMPORTED_TARGET libpistache)  # 0.0.5 ships pkg-config only
pkg_check_modules(Pqxx REQUIRED IMPORTED_TARGET libpqxx)          # 6.4.5 ships pkg-config only
pkg_check_modules(Xcrypt REQUIRED IMPORTED_TARGET libxcrypt)      # bcrypt via crypt_r
pkg_check_modules(Uuid REQUIRED IMPORTED_TARGET uuid)
pkg_check_modules(Qrencode REQUIRED IMPORTED_TARGET libqrencode)  # TOTP enrollment QR codes
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(spdlog REQUIRED)
find_package(doctest REQUIRED)
include(${doctest_DIR}/doctest.cmake)
find_package(prometheus-cpp CONFIG REQUIRED)  # Debian prometheus-cpp-dev: core, pull (/metrics)
find_package(RapidJSON REQUIRED)  # Debian's 1.1.0 config only sets RAPIDJSON_INCLUDE_DIRS
if(NOT TARGET RapidJSON::RapidJSON)
  add_library(RapidJSON::RapidJSON INTERFACE IMPORTED)
  target_include_directories(RapidJSON::RapidJSON SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIRS})
endif()
