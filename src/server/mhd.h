/*
 * mhd.h - libmicrohttpd, loaded at run time.
 *
 * toolprof is one binary, and most of its runs are `toolprof hook`, once per
 * tool call of the agent. Linking libmicrohttpd would make every one of those
 * runs load it and its TLS stack (gnutls and ten more libraries): process
 * start measured 3.7x slower. So only `toolprof serve` loads the library,
 * with dlopen(), and reaches it through the table of function pointers
 * below. The types come from <microhttpd.h> (0.9.75, Debian's
 * libmicrohttpd12); only the functions the server calls are resolved.
 */
#ifndef TOOLPROF_MHD_H
#define TOOLPROF_MHD_H

#include <microhttpd.h>
#include <stddef.h>

#define MHD_LIB_SONAME "libmicrohttpd.so.12"

struct mhd_lib {
    void *handle; /* from dlopen(); NULL until mhd_load() succeeded */
    const char *(*get_version)(void);
    struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
                                       MHD_AcceptPolicyCallback apc, void *apc_cls,
                                       MHD_AccessHandlerCallback dh, void *dh_cls, ...);
    void (*stop_daemon)(struct MHD_Daemon *daemon);
    MHD_socket (*quiesce_daemon)(struct MHD_Daemon *daemon);
    const char *(*lookup_connection_value)(struct MHD_Connection *connection,
                                           enum MHD_ValueKind kind, const char *key);
    int (*get_connection_values)(struct MHD_Connection *connection, enum MHD_ValueKind kind,
                                 MHD_KeyValueIterator iterator, void *iterator_cls);
    const union MHD_ConnectionInfo *(*get_connection_info)(struct MHD_Connection *connection,
                                                           enum MHD_ConnectionInfoType info_type,
                                                           ...);
    struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer,
                                                        enum MHD_ResponseMemoryMode mode);
    enum MHD_Result (*add_response_header)(struct MHD_Response *response, const char *header,
                                           const char *content);
    enum MHD_Result (*queue_response)(struct MHD_Connection *connection, unsigned int status_code,
                                      struct MHD_Response *response);
    void (*destroy_response)(struct MHD_Response *response);
};

/* Load the library and resolve every function of struct mhd_lib. Returns 0,
 * or TP_EUNSUPP with a message saying what to install (library missing) or
 * which symbol is missing (a wrong version). Loading twice is harmless. */
int mhd_load(struct mhd_lib *lib, char *errbuf);

/* dlclose() the library (after every daemon has stopped). */
void mhd_unload(struct mhd_lib *lib);

#endif
