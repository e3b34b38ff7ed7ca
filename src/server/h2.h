/*
 * h2.h - libnghttp2 (HTTP/2), loaded at run time for the gRPC listener.
 *
 * As with libmicrohttpd (mhd.h), the library is opened with dlopen() by
 * `toolprof serve --otlp-grpc` only: `toolprof hook` runs once per tool
 * call and must not pay for loading it. The types come from
 * <nghttp2/nghttp2.h> (Debian's libnghttp2-dev, 1.52); only the functions
 * the gRPC server calls are resolved, through the table below.
 */
#ifndef TOOLPROF_H2_H
#define TOOLPROF_H2_H

#include <nghttp2/nghttp2.h>

#define H2_LIB_SONAME "libnghttp2.so.14"

struct h2_lib {
    void *handle; /* from dlopen(); NULL until h2_load() succeeded */
    nghttp2_info *(*version)(int least_version);
    const char *(*strerror)(int lib_error_code);
    int (*callbacks_new)(nghttp2_session_callbacks **cbs);
    void (*callbacks_del)(nghttp2_session_callbacks *cbs);
    void (*set_on_begin_headers)(nghttp2_session_callbacks *cbs,
                                 nghttp2_on_begin_headers_callback cb);
    void (*set_on_header)(nghttp2_session_callbacks *cbs, nghttp2_on_header_callback cb);
    void (*set_on_frame_recv)(nghttp2_session_callbacks *cbs, nghttp2_on_frame_recv_callback cb);
    void (*set_on_data_chunk_recv)(nghttp2_session_callbacks *cbs,
                                   nghttp2_on_data_chunk_recv_callback cb);
    void (*set_on_stream_close)(nghttp2_session_callbacks *cbs,
                                nghttp2_on_stream_close_callback cb);
    int (*option_new)(nghttp2_option **opt);
    void (*option_del)(nghttp2_option *opt);
    void (*option_set_max_send_header_block_length)(nghttp2_option *opt, size_t val);
    int (*session_server_new2)(nghttp2_session **session, const nghttp2_session_callbacks *cbs,
                               void *user_data, const nghttp2_option *opt);
    void (*session_del)(nghttp2_session *session);
    ssize_t (*session_mem_recv)(nghttp2_session *session, const uint8_t *in, size_t inlen);
    ssize_t (*session_mem_send)(nghttp2_session *session, const uint8_t **data_ptr);
    int (*session_want_read)(nghttp2_session *session);
    int (*session_want_write)(nghttp2_session *session);
    void *(*session_get_stream_user_data)(nghttp2_session *session, int32_t stream_id);
    int (*session_set_stream_user_data)(nghttp2_session *session, int32_t stream_id, void *data);
    int (*session_terminate_session)(nghttp2_session *session, uint32_t error_code);
    int (*session_set_local_window_size)(nghttp2_session *session, uint8_t flags, int32_t stream_id,
                                         int32_t window_size);
    int (*submit_settings)(nghttp2_session *session, uint8_t flags,
                           const nghttp2_settings_entry *iv, size_t niv);
    int (*submit_response)(nghttp2_session *session, int32_t stream_id, const nghttp2_nv *nva,
                           size_t nvlen, const nghttp2_data_provider *data_prd);
    int (*submit_trailer)(nghttp2_session *session, int32_t stream_id, const nghttp2_nv *nva,
                          size_t nvlen);
    int (*submit_rst_stream)(nghttp2_session *session, uint8_t flags, int32_t stream_id,
                             uint32_t error_code);
};

/* Load the library and resolve every function of struct h2_lib. Returns 0,
 * or TP_EUNSUPP with a message saying what to install (library missing) or
 * which symbol is missing. Loading twice is harmless. */
int h2_load(struct h2_lib *lib, char *errbuf);

/* dlclose() the library (after every session is gone). */
void h2_unload(struct h2_lib *lib);

#endif
