// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#include <errno.h>
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
    struct timespec deadline;
    struct kmsgq_msg msg;
    size_t size = 16;
    char *buf, *p;
    int fd, ret;

    if (argc != 3) {
        fprintf(stderr, "Usage: %s name seconds\n", argv[0]);
        exit(EXIT_FAILURE);
    }

    fd = kmsgq_open(argv[1], O_RDONLY, 0, NULL);
    if (fd < 0) {
        fprintf(stderr, "kmsgq_open: %s\n", strerror(-fd));
        exit(EXIT_FAILURE);
    }
    buf = malloc(size);
    if (buf == NULL) {
        perror("malloc");
        exit(EXIT_FAILURE);
    }

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += atoi(argv[2]);

    for (;;) {
        msg.buf = (uintptr_t) buf;
        msg.len = size;
        ret = kmsgq_receive_batch(fd, &msg, 1, 0, CLOCK_MONOTONIC,
                                  &deadline);
        if (ret == -ETIMEDOUT)
            break;
        if (ret == -EMSGSIZE) {            /* msg.len: length needed */
            size = msg.len;
            p = realloc(buf, size);
            if (p == NULL) {
                perror("realloc");
                exit(EXIT_FAILURE);
            }
            buf = p;
            continue;
        }
        if (ret < 0) {
            fprintf(stderr, "kmsgq_receive_batch: %s\n", strerror(-ret));
            exit(EXIT_FAILURE);
        }
        printf("[%u] %.*s\n", msg.prio, (int) msg.len, buf);
    }
    free(buf);
    exit(EXIT_SUCCESS);
}
