// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmsgq.h>

int
main(int argc, char *argv[])
{
    struct kmsgq_stats st;
    struct kmsgq_attr attr;
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
    if (ret == 0)
        ret = kmsgq_stats(fd, &st);
    if (ret < 0) {
        fprintf(stderr, "%s: %s\n", argv[1], strerror(-ret));
        exit(EXIT_FAILURE);
    }

    printf("%s: %s queue, mode %03o, uid %u, gid %u\n", argv[1],
           attr.qflags & KMSGQ_OPEN_RING ? "ring" : "copy",
           attr.mode, attr.uid, attr.gid);
    printf("%u of %u messages of up to %u bytes\n",
           attr.cur_msgs, attr.max_msgs, attr.max_msgsize);
    printf("sent %llu (%llu bytes), received %llu (%llu bytes)\n",
           (unsigned long long) st.msgs_sent,
           (unsigned long long) st.bytes_sent,
           (unsigned long long) st.msgs_recv,
           (unsigned long long) st.bytes_recv);
    printf("lost %llu to make room (%s when full)\n",
           (unsigned long long) st.msgs_lost,
           attr.qflags & KMSGQ_OPEN_OVERFLOW_DROP ? "drops" :
           attr.qflags & KMSGQ_OPEN_OVERFLOW_FAIL ? "fails" : "waits");
    printf("sleeping: %u senders, %u receivers; %u mappings\n",
           st.send_waiters, st.recv_waiters, st.mappings);
    exit(EXIT_SUCCESS);
}
