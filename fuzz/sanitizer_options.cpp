// Default sanitizer options compiled into every fuzz target, so that running a target by hand
// (`build/fuzz/fuzz/jwt_fuzz crash-...`) behaves like scripts/fuzz.sh. ASAN_OPTIONS and
// UBSAN_OPTIONS in the environment still override them.

extern "C" {

// The names the sanitizer runtimes look up.
// NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl*,readability-identifier-naming)
const char* __asan_default_options() {
    return "detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1";
}

// NOLINTNEXTLINE(bugprone-reserved-identifier,cert-dcl*,readability-identifier-naming)
const char* __ubsan_default_options() {
    return "print_stacktrace=1:halt_on_error=1:suppressions=" GOTRUE_FUZZ_DIR "/ubsan.supp";
}
}
