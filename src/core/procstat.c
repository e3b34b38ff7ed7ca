/*
 * procstat.c - this process's facts from /proc (see procstat.h).
 *
 * /proc/self/stat is one line whose second field, the command name in
 * parentheses, may hold spaces and ')': fields are read after the last ')'.
 * Start time is in clock ticks since boot; boot time (btime) comes from
 * /proc/stat, and uptime from /proc/uptime.
 */
#include "procstat.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* The first number after `key ` in a /proc file of "key value" lines. */
static double proc_value(const char *path, const char *fmt)
{
    char line[256];
    double v = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, fmt, &v) == 1)
            break;
    fclose(f);
    return v;
}

int procstat_read(struct procstat *ps)
{
    memset(ps, 0, sizeof *ps);
    long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    int rc = -1;
    char line[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    if (f) {
        size_t n = fread(line, 1, sizeof line - 1, f);
        line[n] = '\0';
        fclose(f);
        char *p = strrchr(line, ')');
        unsigned long long utime = 0, stime = 0, start = 0, vsize = 0;
        long long rss = 0;
        long threads = 0;
        if (p && ticks > 0 &&
            sscanf(p + 2,
                   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d "
                   "%ld %*d %llu %llu %lld",
                   &utime, &stime, &threads, &start, &vsize, &rss) == 6) {
            ps->cpu_s = (double)(utime + stime) / (double)ticks;
            ps->threads = (int)threads;
            ps->vsize_bytes = (double)vsize;
            ps->rss_bytes = (double)rss * (double)page;
            double since_boot = (double)start / (double)ticks;
            ps->start_s = proc_value("/proc/stat", "btime %lf") + since_boot;
            double up = proc_value("/proc/uptime", "%lf");
            ps->uptime_s = up > since_boot ? up - since_boot : 0;
            rc = 0;
        }
    }
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (e->d_name[0] != '.')
                ps->open_fds++;
        closedir(d);
        ps->open_fds--; /* the directory stream itself */
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        ps->max_fds = rl.rlim_cur == RLIM_INFINITY ? -1 : (long)rl.rlim_cur;
    return rc;
}
