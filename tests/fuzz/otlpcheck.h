/*
 * otlpcheck.h - the promises every OTLP decoder keeps, checked by the
 * protobuf fuzz targets (fuzz_otlp_pb_*.c) and the gRPC one: a refused
 * body leaves an empty batch and a message; a decoded batch holds at most
 * TP_MAX_BATCH records of its one signal, each string NUL-terminated valid
 * UTF-8 text, each attribute list within TP_MAX_OTLP_ATTRS, nested values
 * as JSON that parses; and mapping it gives ops that pass op_normalize
 * again and carry an id. A broken promise aborts.
 */
#ifndef TOOLPROF_OTLPCHECK_H
#define TOOLPROF_OTLPCHECK_H

#include <stdlib.h>
#include <string.h>

#include "core/jsonin.h"
#include "core/limits.h"
#include "core/utf8.h"
#include "ingest/otlp.h"

#define FUZZ_NOW_MS 1790000000000LL

static void otlpcheck_str(const char *s)
{
    if (s && !utf8_valid_text(s, strlen(s)) && s[0])
        abort();
}

static void otlpcheck_value(const struct otlp_value *v)
{
    char err[TP_ERR_MAX];
    if (v->type == OTLP_V_STR || v->type == OTLP_V_BYTES || v->type == OTLP_V_JSON) {
        if (!v->s)
            abort();
        otlpcheck_str(v->s);
    }
    if (v->type == OTLP_V_JSON) {
        cJSON *j = jin_parse(v->s, strlen(v->s), JIN_STRICT, TP_MAX_JSON_DEPTH, err);
        if (!j)
            abort();
        cJSON_Delete(j);
    }
}

static void otlpcheck_attrs(const struct otlp_attrs *a)
{
    if (a->n > TP_MAX_OTLP_ATTRS || (a->n && !a->a))
        abort();
    for (size_t i = 0; i < a->n; i++) {
        if (!a->a[i].key)
            abort();
        otlpcheck_str(a->a[i].key);
        otlpcheck_value(&a->a[i].v);
    }
}

static void otlpcheck_res(const struct otlp_resource *r)
{
    if (!r)
        abort();
    otlpcheck_attrs(&r->attrs);
    otlpcheck_str(r->scope_name);
    otlpcheck_str(r->scope_version);
}

/* Check a decode's result (rc, err, b) and map it; frees the batch. */
static void otlpcheck_batch(int rc, const char *err, struct otlp_batch *b, enum otlp_signal want)
{
    if (rc != 0) {
        if (err[0] == '\0' || b->nlogs || b->nspans || b->npoints || b->arena || b->logs ||
            b->spans || b->points)
            abort();
        otlp_batch_free(b);
        return;
    }
    if (want && b->signal != want)
        abort();
    if (b->nlogs + b->nspans + b->npoints > TP_MAX_BATCH)
        abort();
    if ((b->signal != OTLP_LOGS && b->nlogs) || (b->signal != OTLP_TRACES && b->nspans) ||
        (b->signal != OTLP_METRICS && b->npoints))
        abort();
    if (b->dropped && b->first_error[0] == '\0')
        abort();
    for (size_t i = 0; i < b->nlogs; i++) {
        otlpcheck_res(b->logs[i].res);
        otlpcheck_attrs(&b->logs[i].attrs);
        otlpcheck_value(&b->logs[i].body);
        otlpcheck_str(b->logs[i].event_name);
    }
    for (size_t i = 0; i < b->nspans; i++) {
        const struct otlp_span *s = &b->spans[i];
        otlpcheck_res(s->res);
        otlpcheck_attrs(&s->attrs);
        otlpcheck_str(s->name);
        otlpcheck_str(s->status_message);
        int nz = 0;
        for (int k = 0; k < 16; k++)
            nz |= s->trace_id[k];
        if (!nz)
            abort(); /* ids are checked */
    }
    for (size_t i = 0; i < b->npoints; i++) {
        const struct otlp_point *p = &b->points[i];
        otlpcheck_res(p->res);
        otlpcheck_attrs(&p->attrs);
        otlpcheck_str(p->metric);
        otlpcheck_str(p->unit);
        if (p->kind < OTLP_M_GAUGE || p->kind > OTLP_M_SUMMARY)
            abort();
    }
    struct otlp_out out;
    struct otlp_counts c;
    char merr[TP_ERR_MAX];
    if (otlp_map(b, FUZZ_NOW_MS, NULL, &out, &c, merr) != 0)
        abort();
    if (c.rejected && c.first_error[0] == '\0')
        abort();
    if (c.used + c.ignored + c.rejected != c.records)
        abort(); /* every record is accounted for once */
    if (out.nops + out.nturns + out.nreqs + out.nusage > c.used)
        abort(); /* no record out of nothing */
    for (size_t i = 0; i < out.nops; i++)
        if (!out.ops[i].tool_use_id || op_normalize(&out.ops[i], FUZZ_NOW_MS, merr) != 0)
            abort();
    for (size_t i = 0; i < out.nturns; i++)
        if (turn_normalize(&out.turns[i], FUZZ_NOW_MS, merr) != 0)
            abort();
    for (size_t i = 0; i < out.nreqs; i++)
        if (!out.reqs[i].id || request_normalize(&out.reqs[i], FUZZ_NOW_MS, merr) != 0)
            abort();
    for (size_t i = 0; i < out.nusage; i++)
        if (usage_normalize(&out.usage[i], FUZZ_NOW_MS, merr) != 0)
            abort();
    otlp_out_free(&out);
    otlp_batch_free(b);
}

#endif
