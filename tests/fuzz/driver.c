/*
 * driver.c - replay fuzz corpora without libFuzzer.
 *
 * Linked with one fuzz target (tests/fuzz/fuzz_*.c) it feeds every file
 * named on the command line (directories are walked one level) to
 * LLVMFuzzerTestOneInput, so `make test` re-checks every input the fuzzers
 * ever found interesting without clang (plainly, or with the sanitizers:
 * tests/fuzz/replay.sh). A crash or an abort() in the target fails the
 * run; "input: PATH" on stderr before each input names the one that did.
 * The last line is "N passed, N failed".
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    size_t got = fread(buf, 1, n > 0 ? (size_t)n : 0, fp);
    fclose(fp);
    fprintf(stderr, "input: %s\n", path);
    LLVMFuzzerTestOneInput(buf, got);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            struct dirent *e;
            while (d && (e = readdir(d))) {
                if (e->d_name[0] == '.')
                    continue;
                char path[4096];
                snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
                run_file(path) ? failed++ : passed++;
            }
            if (d)
                closedir(d);
        } else {
            run_file(argv[i]) ? failed++ : passed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
