/*
 * procstat.h - facts about this process, read from /proc (Linux).
 *
 * The one reader of /proc/self/stat for the resources answer and the
 * process metrics of /metrics. Fields that cannot be read are 0.
 */
#ifndef TOOLPROF_PROCSTAT_H
#define TOOLPROF_PROCSTAT_H

struct procstat {
    double cpu_s;       /* user + system CPU time used so far */
    double rss_bytes;   /* resident memory */
    double vsize_bytes; /* virtual memory */
    double start_s;     /* start time, seconds since the Unix epoch */
    double uptime_s;    /* seconds since the process started */
    int threads;
    long open_fds;
    long max_fds; /* -1 when unlimited */
};

/* Read this process's facts. Returns 0, or -1 when /proc/self/stat cannot
 * be read (the struct is then zeroed but for what could be read). */
int procstat_read(struct procstat *ps);

#endif
