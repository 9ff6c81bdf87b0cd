/* target/host/target.c: the harness on a PC (make host). */
#include <stdio.h>
#include <stdlib.h>

#include "../../target.h"

void target_write(const char *text)
{
    fputs(text, stdout);
}

void target_exit(int status)
{
    fflush(stdout);
    exit(status == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
