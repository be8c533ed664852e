#include <xxhash.h>
#if defined(__x86_64__)
/* The _dispatch entry points pick the widest vector code the running CPU has (AVX2 here) at the
   first call; the plain ones are libxxhash's SSE2 build. Same digests. Names are not replaced. */
#define XXH_DISPATCH_DISABLE_REPLACE
#include <xxh_x86dispatch.h>
#endif
