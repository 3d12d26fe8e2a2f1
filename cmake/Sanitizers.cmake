set(GOTRUE_SANITIZE "" CACHE STRING "'' | 'address;undefined' | 'thread'")
if(GOTRUE_SANITIZE)
  if("thread" IN_LIST GOTRUE_SANITIZE AND "address" IN_LIST GOTRUE_SANITIZE)
    message(FATAL_ERROR "ThreadSanitizer cannot be combined with AddressSanitizer")
  endif()
  list(JOIN GOTRUE_SANITIZE "," gotrue_sanitizers)
  add_compile_options(-fsanitize=${gotrue_sanitizers} -fno-omit-frame-pointer -fno-sanitize-recover=all -g)
  add_link_options(-fsanitize=${gotrue_sanitizers})
endif()

# libFuzzer build (`make fuzz`, scripts/fuzz.sh, fuzz/README.md): every library is compiled with
# coverage instrumentation plus ASan and UBSan; only the targets of fuzz/ link libFuzzer's main
# (-fsanitize=fuzzer, added there). Needs clang; configure it in its own build folder.
option(GOTRUE_FUZZ "Build the libFuzzer targets of fuzz/ (clang only)" OFF)
if(GOTRUE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "GOTRUE_FUZZ needs clang (-DCMAKE_CXX_COMPILER=clang++-14)")
  endif()
  if(GOTRUE_SANITIZE)
    message(FATAL_ERROR "GOTRUE_FUZZ brings its own sanitizers; leave GOTRUE_SANITIZE empty")
  endif()
  # pointer-overflow stays recoverable only so that fuzz/ubsan.supp can silence RapidJSON
  # 1.1.0's stack.h (null + 0-byte offset before its first allocation); scripts/fuzz.sh sets
  # UBSAN_OPTIONS=halt_on_error=1, so every other report still stops the run.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                      -fsanitize-recover=pointer-overflow -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=address,undefined)
endif()
