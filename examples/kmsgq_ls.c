// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kmsgq.h>

int
main(void)
{
    struct kmsgq_queue_entry ents[32];
    struct kmsgq_info info;
    uint64_t cursor = 0;
    int fd, n;

    fd = open(KMSGQ_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        perror(KMSGQ_DEVICE_PATH);
        exit(EXIT_FAILURE);
    }
    n = kmsgq_info(fd, &info);
    if (n < 0) {
        fprintf(stderr, "kmsgq_info: %s\n", strerror(-n));
        exit(EXIT_FAILURE);
    }
    printf("ABI %u, at most %u queues of %u messages of %u bytes\n",
           info.abi_version, info.max_queues, info.max_msgs,
           info.max_msgsize);
    if (!(info.features & KMSGQ_FEAT_LIST)) {
        fprintf(stderr, "this kmsgq module cannot list queues\n");
        exit(EXIT_FAILURE);
    }

    printf("%-20s %4s %4s %6s %8s %8s %5s\n", "NAME", "TYPE", "MODE",
           "UID", "MESSAGES", "MAXSIZE", "FILES");
    while ((n = kmsgq_list(fd, &cursor, ents, 32)) > 0) {
        for (int i = 0; i < n; i++) {
            struct kmsgq_queue_entry *e = &ents[i];

            printf("%-20s %4s %04o %6u %3u/%-4u %8u %5u\n", e->name,
                   e->qflags & KMSGQ_OPEN_RING ? "ring" : "copy",
                   e->mode, e->uid, e->cur_msgs, e->max_msgs,
                   e->max_msgsize, e->files);
        }
    }
    if (n < 0) {
        fprintf(stderr, "kmsgq_list: %s\n", strerror(-n));
        exit(EXIT_FAILURE);
    }
    close(fd);
    exit(EXIT_SUCCESS);
}
