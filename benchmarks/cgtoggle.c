/* Callgrind client requests for Python (loaded by bench.py cgloop through
 * ctypes): cg_begin() zeroes the counters and turns collection on,
 * cg_end(label) turns it off and dumps the counts under ``label``.  Outside
 * valgrind both are no-ops.  Built by compare.py:
 *   cc -O2 -shared -fPIC -o libcgtoggle.so cgtoggle.c */
#include <valgrind/callgrind.h>

void cg_begin(void)
{
    CALLGRIND_ZERO_STATS;
    CALLGRIND_TOGGLE_COLLECT;
}

void cg_end(const char *label)
{
    CALLGRIND_TOGGLE_COLLECT;
    CALLGRIND_DUMP_STATS_AT(label);
}
