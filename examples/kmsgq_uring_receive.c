// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmsgq.h>
#include <liburing.h>

#define DEPTH 8                         /* reads in flight */
#define SIZE  8192                      /* buffer of each read */

static char bufs[DEPTH][SIZE];

static void
queue_read(struct io_uring *ring, int fd, int i)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

    io_uring_prep_read(sqe, fd, bufs[i], SIZE, 0);
    io_uring_sqe_set_data64(sqe, i);
}

int
main(int argc, char *argv[])
{
    struct io_uring_cqe *cqe;
    struct io_uring ring;
    int fd, i, ret, n, left;

    if (argc != 3) {
        fprintf(stderr, "Usage: %s name count\n", argv[0]);
        exit(EXIT_FAILURE);
    }

    fd = kmsgq_open(argv[1], O_RDONLY, 0, NULL);
    if (fd < 0) {
        fprintf(stderr, "kmsgq_open: %s\n", strerror(-fd));
        exit(EXIT_FAILURE);
    }
    ret = io_uring_queue_init(DEPTH, &ring, 0);
    if (ret < 0) {
        fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
        exit(EXIT_FAILURE);
    }

    left = atoi(argv[2]);
    n = left < DEPTH ? left : DEPTH;
    for (i = 0; i < n; i++)             /* one message per read */
        queue_read(&ring, fd, i);
    io_uring_submit(&ring);

    while (n > 0) {
        ret = io_uring_wait_cqe(&ring, &cqe);
        if (ret < 0) {
            fprintf(stderr, "io_uring_wait_cqe: %s\n", strerror(-ret));
            exit(EXIT_FAILURE);
        }
        i = (int) io_uring_cqe_get_data64(cqe);
        ret = cqe->res;
        io_uring_cqe_seen(&ring, cqe);
        n--;
        if (ret < 0) {                  /* EMSGSIZE: longer than SIZE */
            fprintf(stderr, "read: %s\n", strerror(-ret));
            exit(EXIT_FAILURE);
        }
        printf("%.*s\n", ret, bufs[i]);
        if (--left >= DEPTH) {          /* that buffer waits again */
            queue_read(&ring, fd, i);
            io_uring_submit(&ring);
            n++;
        }
    }
    io_uring_queue_exit(&ring);
    exit(EXIT_SUCCESS);
}
