/*
 * store_uid.c - tool_use ids in the compact form ops.uid stores.
 *
 * Claude Code's ids ("toolu_01" + 22 base-62 characters) become a 17-byte
 * number, ids that op_derive_id() made ("tp-" + 16 hex digits) an integer,
 * and anything else stays text; the slot of a row id is the low 32 bits of
 * the hash of the text (store.c explains row ids).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "store_int.h"

static int b62_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 36;
    return -1;
}

/* digits (base 62, most significant first) -> big-endian bytes. 62^22 is
 * below 2^131: the number is kept as a 3-bit top and two 64-bit limbs. */
static int b62_pack(const char *digits, unsigned char *out)
{
    uint64_t top = 0, hi = 0, lo = 0;
    for (int i = 0; i < UID_DIGITS; i++) {
        int v = b62_value(digits[i]);
        if (v < 0)
            return 0;
        unsigned __int128 t = (unsigned __int128)lo * 62u + (unsigned)v;
        lo = (uint64_t)t;
        t = (unsigned __int128)hi * 62u + (uint64_t)(t >> 64);
        hi = (uint64_t)t;
        top = top * 62u + (uint64_t)(t >> 64);
    }
    out[0] = (unsigned char)top;
    for (int k = 0; k < 8; k++) {
        out[1 + k] = (unsigned char)(hi >> (56 - 8 * k));
        out[9 + k] = (unsigned char)(lo >> (56 - 8 * k));
    }
    return 1;
}

static void b62_unpack(const unsigned char *in, char *out)
{
    static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    unsigned char n[UID_BLOB];
    memcpy(n, in, UID_BLOB);
    memcpy(out, UID_PREFIX, sizeof UID_PREFIX - 1);
    for (int i = UID_DIGITS - 1; i >= 0; i--) {
        unsigned rem = 0;
        for (int k = 0; k < UID_BLOB; k++) {
            unsigned x = (rem << 8) | n[k];
            n[k] = (unsigned char)(x / 62);
            rem = x % 62;
        }
        out[sizeof UID_PREFIX - 1 + i] = b62[rem];
    }
    out[sizeof UID_PREFIX - 1 + UID_DIGITS] = '\0';
}

void uid_make(const char *text, struct uid *u)
{
    size_t n = strlen(text);
    u->text = text;
    u->kind = UID_TEXT;
    u->num = 0;
    if (n == 19 && memcmp(text, "tp-", 3) == 0 && strspn(text + 3, "0123456789abcdef") == 16) {
        u->kind = UID_DERIVED;
        u->num = (int64_t)strtoull(text + 3, NULL, 16);
    } else if (n == sizeof UID_PREFIX - 1 + UID_DIGITS &&
               memcmp(text, UID_PREFIX, sizeof UID_PREFIX - 1) == 0 &&
               b62_pack(text + sizeof UID_PREFIX - 1, u->blob)) {
        u->kind = UID_PACKED;
    }
    u->slot = (uint32_t)hash_str(text);
}

void uid_bind(sqlite3_stmt *q, int col, const struct uid *u)
{
    if (u->kind == UID_DERIVED)
        sqlite3_bind_int64(q, col, u->num);
    else if (u->kind == UID_PACKED)
        sqlite3_bind_blob(q, col, u->blob, UID_BLOB, SQLITE_STATIC);
    else
        sqlite3_bind_text(q, col, u->text, -1, SQLITE_STATIC);
}

int uid_matches(sqlite3_stmt *q, int col, const struct uid *u)
{
    int type = sqlite3_column_type(q, col);
    switch (u->kind) {
    case UID_DERIVED: return type == SQLITE_INTEGER && sqlite3_column_int64(q, col) == u->num;
    case UID_PACKED:
        return type == SQLITE_BLOB && sqlite3_column_bytes(q, col) == UID_BLOB &&
               memcmp(sqlite3_column_blob(q, col), u->blob, UID_BLOB) == 0;
    case UID_TEXT: break;
    }
    return type == SQLITE_TEXT && strcmp((const char *)sqlite3_column_text(q, col), u->text) == 0;
}

/* The text of a stored uid column (buf holds at least 40 bytes). */
const char *uid_text(sqlite3_stmt *q, int col, char *buf)
{
    switch (sqlite3_column_type(q, col)) {
    case SQLITE_INTEGER:
        snprintf(buf, 40, "tp-%016llx", (unsigned long long)sqlite3_column_int64(q, col));
        return buf;
    case SQLITE_BLOB:
        if (sqlite3_column_bytes(q, col) != UID_BLOB)
            return NULL;
        b62_unpack(sqlite3_column_blob(q, col), buf);
        return buf;
    case SQLITE_NULL: return NULL;
    }
    return (const char *)sqlite3_column_text(q, col);
}
