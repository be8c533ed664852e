/* icu_shim.h — ICU's normalization forms behind a header that names no ICU type. Foundation on
   Linux carries its own copy of ICU's headers (_FoundationICU), whose UErrorCode differs from
   Debian's; a Swift module that saw both would not compile, so ICU's headers are included only
   in icu_shim.c. */
#ifndef GRADUS_ICU_SHIM_H
#define GRADUS_ICU_SHIM_H
#include <stdint.h>

/* The normalizer of `form` (0 NFC, 1 NFD, 2 NFKC, 3 NFKD), owned by ICU; NULL when ICU's data is
   missing. */
const void *gradus_icu_normalizer(int form);

/* Normalizes the UTF-16 `source[0..<length]` into `dest[0..<capacity]`; returns the length the
   result needs. `*status`: 0 done, 1 `capacity` too small (call again with the returned length),
   2 any other ICU error. */
int32_t gradus_icu_normalize(const void *normalizer, const uint16_t *source, int32_t length,
                             uint16_t *dest, int32_t capacity, int32_t *status);

#endif
