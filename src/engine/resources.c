/*
 * resources.c - this process and its store (engine.h, engine_resources):
 * memory, CPU and threads from /proc, the store's size and operations, the
 * hook spool of its directory, and the store's kind: whether it keeps who
 * made each call and where (the team store), which the dashboard asks before
 * it shows its person and machine filters and its Team view.
 */
#include "engine.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "core/procstat.h"
#include "core/tptime.h"

/* CPU time and wall time at the previous call, shared by every thread of
 * the process. */
static pthread_mutex_t cpu_lock = PTHREAD_MUTEX_INITIALIZER;
static double last_cpu_s = -1, last_wall_s;

int engine_resources(struct store *s, struct resources *out)
{
    memset(out, 0, sizeof *out);
    out->pid = (long)getpid();
    out->now_ms = tpt_now_ms();
    struct procstat ps;
    procstat_read(&ps);
    out->memory_mb = ps.rss_bytes / (1024.0 * 1024.0);
    out->num_threads = ps.threads;
    out->uptime_s = ps.uptime_s;
    double cpu_s = ps.cpu_s;
    double wall_s = (double)tpt_mono_ns() / 1e9;
    pthread_mutex_lock(&cpu_lock);
    if (last_cpu_s < 0) {
        /* First call: average over the process's life so far. */
        out->cpu_percent = out->uptime_s > 0 ? cpu_s / out->uptime_s * 100.0 : 0;
    } else if (wall_s > last_wall_s) {
        out->cpu_percent = (cpu_s - last_cpu_s) / (wall_s - last_wall_s) * 100.0;
    }
    last_cpu_s = cpu_s;
    last_wall_s = wall_s;
    pthread_mutex_unlock(&cpu_lock);
    if (out->cpu_percent < 0)
        out->cpu_percent = 0;
    if (s) {
        struct store_info info;
        store_info(s, &info);
        out->db_bytes = info.db_bytes;
        out->operations = info.operations;
        spool_status(store_dir(s), &out->spool);
        out->team_store = store_team(s);
        out->store = out->team_store ? "clickhouse" : "sqlite";
    }
    return 0;
}
