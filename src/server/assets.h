/*
 * assets.h - the web page's files, compiled into the binary.
 *
 * The table behind this header is generated at build time by tools/embed.c
 * (build/gen/assets.c) from our own files in web/ and the npm dist files of
 * Chart.js and Bootstrap, so the server needs no files on disk. Each asset
 * is held twice: the raw bytes and a gzip version (level 9, mtime 0), so the
 * server can answer "Accept-Encoding: gzip" without compressing per request.
 */
#ifndef TOOLPROF_ASSETS_H
#define TOOLPROF_ASSETS_H

#include <stddef.h>

struct asset {
    const char *path;          /* URL path, e.g. "/vendor/chart.umd.js" */
    const char *mime;          /* Content-Type, with "; charset=utf-8" for text */
    const unsigned char *data; /* the raw bytes */
    size_t len;
    const unsigned char *gz; /* the same bytes as a gzip member */
    size_t gz_len;
    /* A strong ETag, quoted: the hex FNV-1a hash of the raw bytes. It is the
     * same for both encodings; answers that choose between them must send
     * "Vary: Accept-Encoding". */
    const char *etag;
};

/* The asset whose path is exactly `path` (binary search), or NULL when
 * there is none. The pointer is to static, read-only data. */
const struct asset *assets_find(const char *path);

/* Every asset, sorted by path with strcmp(). */
extern const struct asset assets_table[];
extern const size_t assets_count;

#endif
