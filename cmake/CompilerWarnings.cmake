option(GOTRUE_WARNINGS_AS_ERRORS "Treat compiler warnings as errors" ON)

function(gotrue_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual -Wold-style-cast
    # g++ 12 at -O2 reports impossible overlaps in std::string concatenation (GCC bug 105329).
    $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>
    $<$<BOOL:${GOTRUE_WARNINGS_AS_ERRORS}>:-Werror>)
endfunction()
