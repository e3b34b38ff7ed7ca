/*
 * embed.c - turn files into a C source file of const byte arrays.
 *
 *   embed OUT.c /url/path=FILE ...
 *
 * A host tool, built and run by make before the server is compiled (see
 * docs c-stack section 7: no xxd, no ld -b binary, no assembler tricks).
 * For each FILE it writes two arrays, the raw bytes and a gzip member of
 * them (zlib level 9, window bits 31), and one row of a table sorted by URL
 * path, described by src/server/assets.h: path, MIME type (from the path's
 * extension), lengths and a strong ETag (the quoted hex of the 64-bit FNV-1a
 * hash of the raw bytes). It also writes assets_find(), a binary search over
 * that table.
 *
 * The output is deterministic: the same inputs give the same bytes (the gzip
 * header has mtime 0, no file name and a fixed OS byte; nothing depends on
 * the clock or the argument order). It is written to OUT.c.tmp and renamed,
 * so a failed run never leaves a truncated OUT.c that make would trust.
 * Any unreadable file, malformed argument or duplicate path is an error:
 * a message on stderr and exit status 1.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

/* Inputs are our page files and two vendored dist files; anything bigger
 * than this is a mistake in the Makefile, not an asset. */
#define EMBED_MAX_FILE (64u * 1024 * 1024)
#define EMBED_BYTES_PER_LINE 16

struct entry {
    const char *path; /* URL path, points into argv */
    const char *file; /* source file, points into argv */
    unsigned char *data;
    size_t len;
    unsigned char *gz;
    size_t gz_len;
    uint64_t hash;
};

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("embed: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void *xmalloc_or_die(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "embed: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    return p;
}

/* Read the whole of e->file into e->data, or exit with a message. */
static void read_file(struct entry *e)
{
    FILE *f = fopen(e->file, "rb");
    if (!f)
        die("cannot read %s: %s", e->file, strerror(errno));
    size_t cap = 64 * 1024, len = 0;
    unsigned char *buf = xmalloc_or_die(cap);
    for (;;) {
        if (len == cap) {
            if (cap >= EMBED_MAX_FILE)
                die("%s: larger than the limit of 64 MiB", e->file);
            cap *= 2;
            unsigned char *nb = realloc(buf, cap);
            if (!nb)
                die("out of memory reading %s", e->file);
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f))
                die("cannot read %s: %s", e->file, strerror(errno));
            break;
        }
    }
    fclose(f);
    e->data = buf;
    e->len = len;
}

/* Plain 64-bit FNV-1a, as the ETag; no finalizer needed for equality. */
static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Compress e->data into e->gz as one gzip member with a fixed header. */
static void gzip_entry(struct entry *e)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        die("deflateInit2 failed for %s", e->file);
    /* mtime 0, no name or comment, OS "unknown": the same bytes on every
     * builder. */
    gz_header hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.os = 255;
    if (deflateSetHeader(&zs, &hdr) != Z_OK)
        die("deflateSetHeader failed for %s", e->file);
    uLong bound = deflateBound(&zs, (uLong)e->len);
    e->gz = xmalloc_or_die(bound);
    zs.next_in = e->data;
    zs.avail_in = (uInt)e->len;
    zs.next_out = e->gz;
    zs.avail_out = (uInt)bound;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
        die("deflate did not finish for %s", e->file);
    e->gz_len = (size_t)zs.total_out;
    deflateEnd(&zs);
}

/* The Content-Type for a URL path, from its extension (case-insensitive). */
static const char *mime_for(const char *path)
{
    static const struct {
        const char *ext, *mime;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".txt", "text/plain; charset=utf-8"},
        {".md", "text/plain; charset=utf-8"},
        {".json", "application/json"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
    };
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    if (dot)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcasecmp(dot, types[i].ext) == 0)
                return types[i].mime;
    return "application/octet-stream";
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

/* Write s as the body of a C string literal (paths and MIME types are
 * printable ASCII, checked in main, but escape quotes and backslashes). */
static void put_cstr(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* A comment must not end early: replace "*" followed by "/" in file names. */
static void put_comment_text(FILE *out, const char *s)
{
    for (; *s; s++)
        fputc(s[0] == '*' && s[1] == '/' ? '_' : *s, out);
}

static void put_array(FILE *out, const char *name, const unsigned char *p, size_t n)
{
    /* A C array cannot be empty; an empty file still gets one (unused) byte. */
    if (n == 0) {
        fprintf(out, "static const unsigned char %s[1] = {0};\n\n", name);
        return;
    }
    fprintf(out, "static const unsigned char %s[%zu] = {", name, n);
    for (size_t i = 0; i < n; i++) {
        if (i % EMBED_BYTES_PER_LINE == 0)
            fputs("\n   ", out);
        fprintf(out, " 0x%02x,", p[i]);
    }
    fputs("\n};\n\n", out);
}

static void write_output(FILE *out, const struct entry *es, size_t n)
{
    fputs("/*\n * Generated by tools/embed.c; do not edit. See src/server/assets.h.\n *\n", out);
    for (size_t i = 0; i < n; i++) {
        fputs(" *   ", out);
        put_comment_text(out, es[i].path);
        fputs(" <- ", out);
        put_comment_text(out, es[i].file);
        fprintf(out, " (%zu bytes, gzip %zu)\n", es[i].len, es[i].gz_len);
    }
    fputs(" */\n#include <stddef.h>\n#include <string.h>\n\n#include \"server/assets.h\"\n\n", out);

    char name[64];
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof name, "asset_%zu_raw", i);
        put_array(out, name, es[i].data, es[i].len);
        snprintf(name, sizeof name, "asset_%zu_gz", i);
        put_array(out, name, es[i].gz, es[i].gz_len);
    }

    fputs("const struct asset assets_table[] = {\n", out);
    for (size_t i = 0; i < n; i++) {
        fputs("    {", out);
        put_cstr(out, es[i].path);
        fputs(", ", out);
        put_cstr(out, mime_for(es[i].path));
        fprintf(out,
                ", asset_%zu_raw, %zu, asset_%zu_gz, %zu,\n"
                "     \"\\\"%016llx\\\"\"},\n",
                i, es[i].len, i, es[i].gz_len, (unsigned long long)es[i].hash);
    }
    if (n == 0)
        fputs("    {\"\", \"\", NULL, 0, NULL, 0, \"\"},\n", out);
    fputs("};\n\n", out);
    fprintf(out, "const size_t assets_count = %zu;\n\n", n);
    fputs("const struct asset *assets_find(const char *path)\n"
          "{\n"
          "    size_t lo = 0, hi = assets_count;\n"
          "    while (lo < hi) {\n"
          "        size_t mid = lo + (hi - lo) / 2;\n"
          "        int c = strcmp(path, assets_table[mid].path);\n"
          "        if (c == 0)\n"
          "            return &assets_table[mid];\n"
          "        if (c < 0)\n"
          "            hi = mid;\n"
          "        else\n"
          "            lo = mid + 1;\n"
          "    }\n"
          "    return NULL;\n"
          "}\n",
          out);
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: embed OUT.c /url/path=FILE ...\n");
        return argc < 2 ? 1 : 0;
    }
    const char *out_path = argv[1];
    size_t n = (size_t)(argc - 2);
    struct entry *es = xmalloc_or_die(n * sizeof *es);
    memset(es, 0, n * sizeof *es);

    for (size_t i = 0; i < n; i++) {
        char *arg = argv[i + 2];
        char *eq = strchr(arg, '=');
        if (arg[0] != '/' || !eq || eq == arg + 1 || eq[1] == '\0')
            die("bad argument \"%s\": expected /url/path=FILE", arg);
        *eq = '\0';
        for (const char *p = arg; *p; p++)
            if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || *p == '"' || *p == '\\')
                die("bad URL path \"%s\": only printable ASCII without quotes or backslashes", arg);
        es[i].path = arg;
        es[i].file = eq + 1;
        read_file(&es[i]);
        es[i].hash = fnv1a(es[i].data, es[i].len);
        gzip_entry(&es[i]);
    }

    qsort(es, n, sizeof *es, by_path);
    for (size_t i = 1; i < n; i++)
        if (strcmp(es[i - 1].path, es[i].path) == 0)
            die("path %s given twice (%s)", es[i].path, es[i].file);

    size_t tmp_len = strlen(out_path) + sizeof ".tmp";
    char *tmp = xmalloc_or_die(tmp_len);
    snprintf(tmp, tmp_len, "%s.tmp", out_path);
    FILE *out = fopen(tmp, "w");
    if (!out)
        die("cannot write %s: %s", tmp, strerror(errno));
    write_output(out, es, n);
    if (ferror(out) | fclose(out)) {
        int err = errno;
        remove(tmp);
        die("cannot write %s: %s", tmp, strerror(err));
    }
    if (rename(tmp, out_path) != 0) {
        int err = errno;
        remove(tmp);
        die("cannot rename to %s: %s", out_path, strerror(err));
    }

    for (size_t i = 0; i < n; i++) {
        free(es[i].data);
        free(es[i].gz);
    }
    free(es);
    free(tmp);
    return 0;
}
