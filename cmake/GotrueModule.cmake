# One module of internal/: a library with its doctest executable.
#
#   gotrue_module(NAME <name>
#                 SOURCES <file>...          the library
#                 [DEPS <target_link_libraries items>...]   e.g. PUBLIC gotrue::conf PRIVATE spdlog::spdlog
#                 [TESTS <file>...]          doctest sources: executable <name>_tests
#                 [TEST_DEPS <library>...]   besides gotrue::<name> and doctest
#                 [TEST_PREFIX <prefix>]     CTest name prefix, default "<name>: "
#                 [TEST_TIMEOUT <seconds>])  default 60
#
# Creates gotrue_<name> and its alias gotrue::<name>, with internal/ as include root (headers are
# included as "<module>/<file>.hpp") and the project's warnings. Test executables get the shared
# doctest main and GOTRUE_SOURCE_DIR (the checkout, for fixtures).

# The doctest main of every test executable.
add_library(gotrue_doctest_main OBJECT ${CMAKE_CURRENT_LIST_DIR}/doctest_main.cpp)
target_link_libraries(gotrue_doctest_main PUBLIC doctest::doctest)
gotrue_set_warnings(gotrue_doctest_main)

function(gotrue_module)
  cmake_parse_arguments(PARSE_ARGV 0 MOD "" "NAME;TEST_PREFIX;TEST_TIMEOUT" "SOURCES;DEPS;TESTS;TEST_DEPS")
  if(NOT MOD_NAME OR NOT MOD_SOURCES)
    message(FATAL_ERROR "gotrue_module: NAME and SOURCES are required")
  endif()
  if(MOD_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "gotrue_module(${MOD_NAME}): unknown arguments ${MOD_UNPARSED_ARGUMENTS}")
  endif()
  set(library gotrue_${MOD_NAME})
  add_library(${library} ${MOD_SOURCES})
  add_library(gotrue::${MOD_NAME} ALIAS ${library})
  target_include_directories(${library} PUBLIC ${PROJECT_SOURCE_DIR}/internal)
  if(MOD_DEPS)
    target_link_libraries(${library} ${MOD_DEPS})
  endif()
  gotrue_set_warnings(${library})

  if(NOT MOD_TESTS)
    return()
  endif()
  if(NOT DEFINED MOD_TEST_PREFIX)
    set(MOD_TEST_PREFIX "${MOD_NAME}: ")
  endif()
  if(NOT MOD_TEST_TIMEOUT)
    set(MOD_TEST_TIMEOUT 60)
  endif()
  set(tests ${MOD_NAME}_tests)
  add_executable(${tests} ${MOD_TESTS})
  target_link_libraries(${tests} PRIVATE gotrue::${MOD_NAME} ${MOD_TEST_DEPS} gotrue_doctest_main doctest::doctest)
  target_compile_definitions(${tests} PRIVATE GOTRUE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  gotrue_set_warnings(${tests})
  doctest_discover_tests(${tests} TEST_PREFIX "${MOD_TEST_PREFIX}" PROPERTIES TIMEOUT ${MOD_TEST_TIMEOUT})
endfunction()
