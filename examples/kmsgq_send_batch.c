// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kmsgq.h>

int
main(int argc, char *argv[])
{
    struct kmsgq_msg msgs[KMSGQ_BATCH_MAX];
    struct timespec deadline;
    unsigned int nr, done;
    int fd, ret;

    if (argc < 3 || argc - 2 > KMSGQ_BATCH_MAX) {
        fprintf(stderr, "Usage: %s name message...\n", argv[0]);
        exit(EXIT_FAILURE);
    }

    fd = kmsgq_open(argv[1], O_WRONLY, 0, NULL);
    if (fd < 0) {
        fprintf(stderr, "kmsgq_open: %s\n", strerror(-fd));
        exit(EXIT_FAILURE);
    }

    nr = argc - 2;
    for (unsigned int i = 0; i < nr; i++) {
        msgs[i].buf = (uintptr_t) argv[i + 2];
        msgs[i].len = strlen(argv[i + 2]);
        msgs[i].prio = 0;
    }

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += 1;

    /* Each call queues at least one message; loop for the rest. */
    for (done = 0; done < nr; done += ret) {
        ret = kmsgq_send_batch(fd, msgs + done, nr - done, 0,
                               CLOCK_MONOTONIC, &deadline);
        if (ret < 0) {
            fprintf(stderr, "message %u: %s\n", done + 1, strerror(-ret));
            exit(EXIT_FAILURE);
        }
    }
    printf("%u messages queued\n", nr);
    exit(EXIT_SUCCESS);
}
