// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kmsgq.h>

int
main(int argc, char *argv[])
{
    struct kmsgq_attr attr;
    unsigned int i, prio;
    ssize_t len;
    char *buf;
    int fd, ret;

    if (argc != 2) {
        fprintf(stderr, "Usage: %s name\n", argv[0]);
        exit(EXIT_FAILURE);
    }

    fd = kmsgq_open(argv[1], O_RDONLY, 0, NULL);
    if (fd < 0) {
        fprintf(stderr, "kmsgq_open: %s\n", strerror(-fd));
        exit(EXIT_FAILURE);
    }
    ret = kmsgq_getattr(fd, &attr);
    if (ret < 0) {
        fprintf(stderr, "kmsgq_getattr: %s\n", strerror(-ret));
        exit(EXIT_FAILURE);
    }
    buf = malloc(attr.max_msgsize);     /* fits every message */
    if (buf == NULL) {
        perror("malloc");
        exit(EXIT_FAILURE);
    }

    for (i = 0; ; i++) {
        len = kmsgq_peek(fd, i, buf, attr.max_msgsize, &prio,
                         KMSGQ_XFER_NONBLOCK, CLOCK_MONOTONIC, NULL);
        if (len == -EAGAIN)             /* no message at index i */
            break;
        if (len < 0) {
            fprintf(stderr, "kmsgq_peek: %s\n", strerror(-len));
            exit(EXIT_FAILURE);
        }
        printf("%u: [%u] %.*s\n", i, prio, (int) len, buf);
    }
    free(buf);
    exit(EXIT_SUCCESS);
}
