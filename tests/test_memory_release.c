/* test_memory_release.c — placeholder replaced below */
#include "testlib.h"
int main(void) { return nb_test_done(); }
