/*
 * h2.c - resolve libnghttp2 with dlopen() (see h2.h), the way mhd.c does
 * for libmicrohttpd: one list of (symbol, slot) pairs, RTLD_NOW so that a
 * missing symbol shows at start, RTLD_LOCAL so that nothing leaks into the
 * global namespace, and the dlsym() pointers copied with memcpy.
 */
#include "server/h2.h"

#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

#include "core/err.h"

struct h2_sym {
    const char *name;
    size_t offset; /* of the slot in struct h2_lib */
};

#define H2_SYM(name, field)                                                                        \
    {                                                                                              \
        "nghttp2_" name, offsetof(struct h2_lib, field)                                            \
    }

static const struct h2_sym h2_syms[] = {
    H2_SYM("version", version),
    H2_SYM("strerror", strerror),
    H2_SYM("session_callbacks_new", callbacks_new),
    H2_SYM("session_callbacks_del", callbacks_del),
    H2_SYM("session_callbacks_set_on_begin_headers_callback", set_on_begin_headers),
    H2_SYM("session_callbacks_set_on_header_callback", set_on_header),
    H2_SYM("session_callbacks_set_on_frame_recv_callback", set_on_frame_recv),
    H2_SYM("session_callbacks_set_on_data_chunk_recv_callback", set_on_data_chunk_recv),
    H2_SYM("session_callbacks_set_on_stream_close_callback", set_on_stream_close),
    H2_SYM("option_new", option_new),
    H2_SYM("option_del", option_del),
    H2_SYM("option_set_max_send_header_block_length", option_set_max_send_header_block_length),
    H2_SYM("session_server_new2", session_server_new2),
    H2_SYM("session_del", session_del),
    H2_SYM("session_mem_recv", session_mem_recv),
    H2_SYM("session_mem_send", session_mem_send),
    H2_SYM("session_want_read", session_want_read),
    H2_SYM("session_want_write", session_want_write),
    H2_SYM("session_get_stream_user_data", session_get_stream_user_data),
    H2_SYM("session_set_stream_user_data", session_set_stream_user_data),
    H2_SYM("session_terminate_session", session_terminate_session),
    H2_SYM("session_set_local_window_size", session_set_local_window_size),
    H2_SYM("submit_settings", submit_settings),
    H2_SYM("submit_response", submit_response),
    H2_SYM("submit_trailer", submit_trailer),
    H2_SYM("submit_rst_stream", submit_rst_stream),
};

int h2_load(struct h2_lib *lib, char *errbuf)
{
    if (lib->handle)
        return 0;
    void *h = dlopen(H2_LIB_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        return tp_fail(errbuf, TP_EUNSUPP,
                       H2_LIB_SONAME " not found: apt-get install libnghttp2-14 (%s)",
                       why ? why : "dlopen failed");
    }
    for (size_t i = 0; i < sizeof h2_syms / sizeof h2_syms[0]; i++) {
        void *p = dlsym(h, h2_syms[i].name);
        if (!p) {
            dlclose(h);
            return tp_fail(errbuf, TP_EUNSUPP,
                           H2_LIB_SONAME " has no %s: libnghttp2 1.52 or "
                                         "later is needed",
                           h2_syms[i].name);
        }
        memcpy((char *)lib + h2_syms[i].offset, &p, sizeof p);
    }
    lib->handle = h;
    return 0;
}

void h2_unload(struct h2_lib *lib)
{
    if (lib->handle)
        dlclose(lib->handle);
    memset(lib, 0, sizeof *lib);
}
