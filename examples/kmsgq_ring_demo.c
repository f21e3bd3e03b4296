// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kmsgq.h>

#define COUNT   100000          /* messages, then an empty one */
#define BATCH   16              /* slots claimed at a time */

static void
fail(const char *what, int err)
{
    fprintf(stderr, "%s: %s\n", what, strerror(-err));
    exit(EXIT_FAILURE);
}

static void
produce(struct kmsgq_ring *r)
{
    unsigned int seq = 0, want, n;
    uint32_t pos, len;
    int ret;

    while (seq <= COUNT) {
        /* Every slot reserved must be committed: reserve no more
           than are left to send. */
        want = COUNT + 1 - seq < BATCH ? COUNT + 1 - seq : BATCH;
        n = kmsgq_ring_reserve(r, want, &pos);
        if (n == 0) {           /* full */
            ret = kmsgq_ring_wait(r, KMSGQ_RING_WRITABLE,
                                  CLOCK_MONOTONIC, NULL);
            if (ret < 0)
                fail("kmsgq_ring_wait", ret);
            continue;
        }
        for (unsigned int i = 0; i < n; i++, seq++) {
            len = 0;
            if (seq < COUNT)
                len = snprintf(kmsgq_ring_slot(r, pos + i), r->slot_size,
                               "message %u", seq);
            kmsgq_ring_commit(r, pos + i, len);
        }
        ret = kmsgq_ring_commit_done(r);        /* wake a consumer */
        if (ret < 0)
            fail("kmsgq_ring_commit_done", ret);
    }
}

static void
consume(struct kmsgq_ring *r)
{
    unsigned int seq = 0, n;
    char expect[32];
    const char *p;
    uint32_t pos, len;
    int ret, done = 0;

    while (!done) {
        n = kmsgq_ring_claim(r, BATCH, &pos);
        if (n == 0) {           /* empty */
            ret = kmsgq_ring_wait(r, KMSGQ_RING_READABLE,
                                  CLOCK_MONOTONIC, NULL);
            if (ret < 0)
                fail("kmsgq_ring_wait", ret);
            continue;
        }
        for (unsigned int i = 0; i < n; i++) {
            p = kmsgq_ring_msg(r, pos + i, &len);
            if (p == NULL)      /* a slot without a message */
                continue;
            if (len == 0) {
                done = 1;
                continue;
            }
            snprintf(expect, sizeof(expect), "message %u", seq++);
            if (len != strlen(expect) || memcmp(p, expect, len) != 0) {
                fprintf(stderr, "got \"%.*s\", want \"%s\"\n",
                        (int) len, p, expect);
                exit(EXIT_FAILURE);
            }
        }
        kmsgq_ring_release(r, pos, n);
        ret = kmsgq_ring_release_done(r);       /* wake a producer */
        if (ret < 0)
            fail("kmsgq_ring_release_done", ret);
    }
    printf("%u messages received in order\n", seq);
}

int
main(int argc, char *argv[])
{
    struct kmsgq_attr attr = {
        .qflags = KMSGQ_OPEN_RING, .max_msgs = 256, .max_msgsize = 64,
    };
    struct kmsgq_ring ring;
    int fd, ret, status;
    pid_t pid;

    if (argc != 2) {
        fprintf(stderr, "Usage: %s name\n", argv[0]);
        exit(EXIT_FAILURE);
    }

    fd = kmsgq_open(argv[1], O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
    if (fd < 0)
        fail("kmsgq_open", fd);
    ret = kmsgq_ring_map(fd, &ring);
    if (ret < 0)
        fail("kmsgq_ring_map", ret);

    pid = fork();
    if (pid == -1) {
        perror("fork");
        exit(EXIT_FAILURE);
    }
    if (pid == 0) {
        consume(&ring);
        exit(EXIT_SUCCESS);
    }
    produce(&ring);
    if (waitpid(pid, &status, 0) == -1) {
        perror("waitpid");
        exit(EXIT_FAILURE);
    }

    kmsgq_ring_unmap(&ring);
    kmsgq_close(fd);
    kmsgq_unlink(argv[1]);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        exit(EXIT_FAILURE);
    exit(EXIT_SUCCESS);
}
