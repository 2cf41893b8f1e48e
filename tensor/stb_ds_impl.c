/* stb_ds_impl.c — the one place stb_ds (Debian libstb-dev) is implemented. Internal headers may
 * include <stb_ds.h> for its declarations; public headers never do. */
#define STB_DS_IMPLEMENTATION
#include <stb_ds.h>
