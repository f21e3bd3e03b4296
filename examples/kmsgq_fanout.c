// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kmsgq.h>

static void
fail(const char *what, int err)
{
    fprintf(stderr, "%s: %s\n", what, strerror(-err));
    exit(EXIT_FAILURE);
}

/* Receive what the subscriber fd has waiting, and what it lost. */
static void
drain(const char *who, int fd)
{
    char buf[64];
    uint64_t lost;
    ssize_t len;

    for (;;) {
        len = kmsgq_receive_lost(fd, buf, sizeof(buf), &lost,
                                 KMSGQ_XFER_NONBLOCK,
                                 CLOCK_MONOTONIC, NULL);
        if (lost > 0)
            printf("%s: lost %" PRIu64 "\n", who, lost);
        if (len == -EAGAIN)
            return;
        if (len < 0)
            fail("kmsgq_receive_lost", len);
        printf("%s: %.*s\n", who, (int) len, buf);
    }
}

int
main(int argc, char *argv[])
{
    struct kmsgq_attr attr = {
        .qflags = KMSGQ_OPEN_FANOUT | KMSGQ_OPEN_OVERFLOW_DROP,
        .max_msgs = 4,
        .max_msgsize = 64,
    };
    struct kmsgq_stats st;
    int pub, fast, slow, ret, len;
    char msg[64];

    if (argc != 2) {
        fprintf(stderr, "Usage: %s name\n", argv[0]);
        exit(EXIT_FAILURE);
    }

    pub = kmsgq_open(argv[1], O_WRONLY | O_CREAT | O_EXCL, 0600, &attr);
    if (pub < 0)
        fail("kmsgq_open", pub);

    /* Two subscribers: each gets every message published from now on. */
    fast = kmsgq_subscribe(argv[1], O_RDONLY, 0);
    if (fast < 0)
        fail("kmsgq_subscribe", fast);
    slow = kmsgq_subscribe(argv[1], O_RDONLY, 0);
    if (slow < 0)
        fail("kmsgq_subscribe", slow);

    /*
     * The fast subscriber reads after every message; the slow one only at
     * the end.  The publisher never waits for it: each message past the
     * queue's depth of 4 makes it lose its oldest unread one.
     */
    for (int i = 0; i < 6; i++) {
        len = snprintf(msg, sizeof(msg), "tick %d", i);
        ret = kmsgq_send(pub, msg, (size_t) len, 0);
        if (ret < 0)
            fail("kmsgq_send", ret);
        drain("fast", fast);
    }
    drain("slow", slow);

    ret = kmsgq_stats(slow, &st);
    if (ret < 0)
        fail("kmsgq_stats", ret);
    printf("%u subscribers; sent %" PRIu64 ", delivered %" PRIu64
           ", lost %" PRIu64 " (slow: %" PRIu64 ")\n", st.subscribers,
           (uint64_t) st.msgs_sent, (uint64_t) st.msgs_recv,
           (uint64_t) st.msgs_lost, (uint64_t) st.sub_lost);

    kmsgq_close(slow);
    kmsgq_close(fast);
    kmsgq_close(pub);
    ret = kmsgq_unlink(argv[1]);
    if (ret < 0)
        fail("kmsgq_unlink", ret);
    exit(EXIT_SUCCESS);
}
