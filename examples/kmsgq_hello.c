// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmsgq.h>

static void
fail(const char *what, int err)
{
    fprintf(stderr, "%s: %s\n", what, strerror(-err));
    exit(EXIT_FAILURE);
}

int
main(int argc, char *argv[])
{
    struct kmsgq_attr attr = { .max_msgs = 16, .max_msgsize = 256 };
    unsigned int prio;
    char buf[256];
    ssize_t len;
    int fd, ret;

    if (argc < 2) {
        fprintf(stderr, "Usage: %s name [message]...\n", argv[0]);
        exit(EXIT_FAILURE);
    }

    fd = kmsgq_open(argv[1], O_RDWR | O_CREAT | O_NONBLOCK, 0600, &attr);
    if (fd < 0)
        fail("kmsgq_open", fd);

    /* The priority of each message is its position. */
    for (int i = 2; i < argc; i++) {
        prio = (i - 2) % KMSGQ_PRIO_MAX;
        ret = kmsgq_send(fd, argv[i], strlen(argv[i]), prio);
        if (ret < 0)
            fail("kmsgq_send", ret);
    }

    /* Highest priority first; -EAGAIN once the queue is empty. */
    while ((len = kmsgq_receive(fd, buf, sizeof(buf), &prio)) >= 0)
        printf("prio %2u: %.*s\n", prio, (int) len, buf);
    if (len != -EAGAIN)
        fail("kmsgq_receive", len);

    kmsgq_close(fd);
    ret = kmsgq_unlink(argv[1]);
    if (ret < 0)
        fail("kmsgq_unlink", ret);
    exit(EXIT_SUCCESS);
}
