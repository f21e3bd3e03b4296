// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmsgq.h>

int
main(int argc, char *argv[])
{
    gid_t gid;
    int ret;

    if (argc != 3) {
        fprintf(stderr, "Usage: %s name gid\n", argv[0]);
        exit(EXIT_FAILURE);
    }
    gid = strtoul(argv[2], NULL, 10);

    /* The owner stays; the owner may send and receive, the group send. */
    ret = kmsgq_chown(argv[1], (uid_t) -1, gid);
    if (ret == 0)
        ret = kmsgq_chmod(argv[1], 0620);
    if (ret < 0) {
        fprintf(stderr, "%s: %s\n", argv[1], strerror(-ret));
        exit(EXIT_FAILURE);
    }
    exit(EXIT_SUCCESS);
}
