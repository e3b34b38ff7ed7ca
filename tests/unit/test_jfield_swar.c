/*
 * test_jfield_swar.c - test_jfield.c again, with the portable string scan
 * of core/jfield.c (eight bytes at a time in a word) instead of SSE2, which
 * every x86-64 build uses: the other architectures' path is tested here.
 */
#undef __SSE2__
#include "test_jfield.c"
