#include <oniguruma.h>

/* The syntax and encoding `tokenizers` (through the Rust `onig` crate) compiles its patterns with:
   Oniguruma's default syntax over UTF-8. Both are globals that Swift cannot take the address of. */
static inline OnigSyntaxType *gradus_onig_default_syntax(void) { return OnigDefaultSyntax; }
static inline OnigEncoding gradus_onig_utf8(void) { return ONIG_ENCODING_UTF8; }

/* onig_error_code_to_str is variadic (the error info is optional); Swift cannot call C varargs. */
static inline int gradus_onig_error_code_to_str(OnigUChar *buffer, int code, OnigErrorInfo *info) {
    return onig_error_code_to_str(buffer, code, info);
}
