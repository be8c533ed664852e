#include <unicode/unorm2.h>

/* ICU renames every C entry point with its major version (unorm2_normalize_72); the renaming macros
   are function-like and Swift does not import them, so these wrappers give stable names. */
static inline const UNormalizer2 *gradus_unorm2_nfc(UErrorCode *status) { return unorm2_getNFCInstance(status); }
static inline const UNormalizer2 *gradus_unorm2_nfd(UErrorCode *status) { return unorm2_getNFDInstance(status); }
static inline const UNormalizer2 *gradus_unorm2_nfkc(UErrorCode *status) { return unorm2_getNFKCInstance(status); }
static inline const UNormalizer2 *gradus_unorm2_nfkd(UErrorCode *status) { return unorm2_getNFKDInstance(status); }
static inline int32_t gradus_unorm2_normalize(const UNormalizer2 *n, const UChar *src, int32_t length,
                                              UChar *dest, int32_t capacity, UErrorCode *status) {
    return unorm2_normalize(n, src, length, dest, capacity, status);
}
static inline int32_t gradus_unorm2_span_quick_check_yes(const UNormalizer2 *n, const UChar *s, int32_t length,
                                                         UErrorCode *status) {
    return unorm2_spanQuickCheckYes(n, s, length, status);
}
