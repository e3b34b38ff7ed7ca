/*
 * mhd.c - resolve libmicrohttpd with dlopen().
 *
 * The table of mhd.h is filled from one list of (symbol name, slot offset)
 * pairs, so adding a function is one line here and one in the header. The
 * library is opened with RTLD_NOW so that a missing symbol is found at load
 * time, not at the first request, and RTLD_LOCAL so that its symbols (and
 * those of gnutls) stay out of the global namespace.
 *
 * Casting the `void *` of dlsym() to a function pointer is what POSIX
 * requires to work (dlsym's rationale), though ISO C leaves it undefined; we
 * copy the bytes with memcpy, the form POSIX itself suggests.
 */
#include "server/mhd.h"

#include <dlfcn.h>
#include <string.h>

#include "core/err.h"

struct mhd_sym {
    const char *name;
    size_t offset; /* of the slot in struct mhd_lib */
};

#define MHD_SYM(name, field)                                                                       \
    {                                                                                              \
        name, offsetof(struct mhd_lib, field)                                                      \
    }

static const struct mhd_sym mhd_syms[] = {
    MHD_SYM("MHD_get_version", get_version),
    MHD_SYM("MHD_start_daemon", start_daemon),
    MHD_SYM("MHD_stop_daemon", stop_daemon),
    MHD_SYM("MHD_quiesce_daemon", quiesce_daemon),
    MHD_SYM("MHD_lookup_connection_value", lookup_connection_value),
    MHD_SYM("MHD_get_connection_values", get_connection_values),
    MHD_SYM("MHD_get_connection_info", get_connection_info),
    MHD_SYM("MHD_create_response_from_buffer", create_response_from_buffer),
    MHD_SYM("MHD_add_response_header", add_response_header),
    MHD_SYM("MHD_queue_response", queue_response),
    MHD_SYM("MHD_destroy_response", destroy_response),
};

int mhd_load(struct mhd_lib *lib, char *errbuf)
{
    if (lib->handle)
        return 0;
    void *h = dlopen(MHD_LIB_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        return tp_fail(errbuf, TP_EUNSUPP,
                       MHD_LIB_SONAME " not found: apt-get install libmicrohttpd12 (%s)",
                       why ? why : "dlopen failed");
    }
    for (size_t i = 0; i < sizeof mhd_syms / sizeof mhd_syms[0]; i++) {
        void *p = dlsym(h, mhd_syms[i].name);
        if (!p) {
            dlclose(h);
            return tp_fail(errbuf, TP_EUNSUPP,
                           MHD_LIB_SONAME " has no %s: libmicrohttpd 0.9.75 or later is needed",
                           mhd_syms[i].name);
        }
        memcpy((char *)lib + mhd_syms[i].offset, &p, sizeof p);
    }
    lib->handle = h;
    return 0;
}

void mhd_unload(struct mhd_lib *lib)
{
    if (lib->handle)
        dlclose(lib->handle);
    memset(lib, 0, sizeof *lib);
}
