/* icu_shim.c — see include/icu_shim.h. Links Debian's libicu (libicu-dev). */
#include "icu_shim.h"
#include <unicode/unorm2.h>

const void *gradus_icu_normalizer(int form) {
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2 *normalizer = NULL;
    switch (form) {
    case 0: normalizer = unorm2_getNFCInstance(&status); break;
    case 1: normalizer = unorm2_getNFDInstance(&status); break;
    case 2: normalizer = unorm2_getNFKCInstance(&status); break;
    case 3: normalizer = unorm2_getNFKDInstance(&status); break;
    default: return NULL;
    }
    return U_FAILURE(status) ? NULL : normalizer;
}

int32_t gradus_icu_normalize(const void *normalizer, const uint16_t *source, int32_t length,
                             uint16_t *dest, int32_t capacity, int32_t *status) {
    UErrorCode error = U_ZERO_ERROR;
    int32_t needed = unorm2_normalize((const UNormalizer2 *)normalizer, (const UChar *)source, length,
                                      (UChar *)dest, capacity, &error);
    *status = error == U_BUFFER_OVERFLOW_ERROR ? 1 : (U_FAILURE(error) ? 2 : 0);
    return needed;
}
