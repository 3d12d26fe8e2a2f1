option(GOTRUE_WARNINGS_AS_ERRORS "Treat compiler warnings as errors" ON)

function(gotrue_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual -Wold-style-cast
    # g++ 12 at -O2 reports impossible overlaps in std::string concatenation (GCC bug 105329).
    $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>
    # clang (the fuzz build) in C++20 flags every `!=` on RapidJSON 1.1.0's member iterators:
    # the header declares operator== and operator!= as members, which C++20 may also try
    # reversed (fixed upstream after 1.1.0, the version Debian 12 ships).
    $<$<CXX_COMPILER_ID:Clang>:-Wno-ambiguous-reversed-operator>
    $<$<BOOL:${GOTRUE_WARNINGS_AS_ERRORS}>:-Werror>)
endfunction()
