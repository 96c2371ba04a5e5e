/*
 * test_net_loop.c -- fd watches on pipes: dispatch, modify, unwatch from
 * inside callbacks (the deferred free), and the epoll fd as seen by a
 * host loop that embeds ours.
 */
#include "unit.h"

#include <siphon/net.h>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

typedef struct pipe_state {
    siphon_watch *w[2];
    int fds[2][2];           /* two pipes: [i][0] read end, [i][1] write end */
    int calls[2];
    unsigned revents[2];
    char got[16];
    int nested_rv;
    bool unwatch_both;
} pipe_state;

static pipe_state ps;

static void pipe_cb(siphon_loop *loop, siphon_watch *w, int fd,
                    unsigned revents, void *arg)
{
    int i = (int)(intptr_t)arg;
    ps.calls[i]++;
    ps.revents[i] = revents;
    CHECK(w == ps.w[i]);
    if (revents & SIPHON_LOOP_IN) {
        ssize_t n = read(fd, ps.got, sizeof ps.got - 1);
        ps.got[n > 0 ? n : 0] = 0;
    }
    ps.nested_rv = siphon_loop_run_once(loop, 0);
    if (ps.unwatch_both) {
        /* Whichever runs first removes both watches, its own included;
         * the other's pending event must not be delivered. */
        siphon_loop_unwatch(loop, ps.w[0]);
        siphon_loop_unwatch(loop, ps.w[1]);
        ps.w[0] = ps.w[1] = NULL;
    }
}

UNIT_TEST(net_loop_fd_watch)
{
    siphon_loop *loop;
    ps = (pipe_state){0};
    CHECK_INT(siphon_loop_new(&loop), 0);
    if (!loop)
        return;
    int efd = siphon_loop_fd(loop);
    CHECK(efd >= 0 && efd < 1024);
    CHECK(fcntl(efd, F_GETFD) & FD_CLOEXEC);
    for (int i = 0; i < 2; i++)
        CHECK_INT(pipe2(ps.fds[i], O_NONBLOCK | O_CLOEXEC), 0);

    CHECK_INT(siphon_loop_watch(loop, ps.fds[0][0], SIPHON_LOOP_IN, pipe_cb,
                                (void *)0, &ps.w[0]), 0);
    CHECK_INT(siphon_loop_watch(loop, -1, SIPHON_LOOP_IN, pipe_cb, NULL,
                                NULL), SIPHON_EINVAL);
    /* One watch per fd: epoll says EEXIST. */
    CHECK_INT(siphon_loop_watch(loop, ps.fds[0][0], SIPHON_LOOP_IN, pipe_cb,
                                NULL, NULL), SIPHON_EIO);
    CHECK_INT(siphon_loop_run_once(loop, 0), 0);

    /* A host loop sees the epoll fd readable exactly when work waits. */
    struct pollfd pfd = {.fd = efd, .events = POLLIN};
    CHECK_INT(poll(&pfd, 1, 0), 0);
    CHECK_INT(write(ps.fds[0][1], "abc", 3), 3);
    CHECK_INT(poll(&pfd, 1, 0), 1);
    CHECK_INT(siphon_loop_run_once(loop, 0), 1);
    CHECK_INT(ps.calls[0], 1);
    CHECK(ps.revents[0] & SIPHON_LOOP_IN);
    CHECK(strcmp(ps.got, "abc") == 0);
    CHECK_INT(ps.nested_rv, SIPHON_ESTATE);
    CHECK_INT(poll(&pfd, 1, 0), 0);

    /* Writability, then modify it away. */
    CHECK_INT(siphon_loop_watch(loop, ps.fds[1][1], SIPHON_LOOP_OUT, pipe_cb,
                                (void *)1, &ps.w[1]), 0);
    CHECK_INT(siphon_loop_run_once(loop, 0), 1);
    CHECK_INT(ps.calls[1], 1);
    CHECK(ps.revents[1] & SIPHON_LOOP_OUT);
    CHECK_INT(siphon_loop_watch_modify(loop, ps.w[1], 0), 0);
    CHECK_INT(siphon_loop_run_once(loop, 0), 0);
    CHECK_INT(ps.calls[1], 1);
    CHECK_INT(siphon_loop_watch_modify(loop, ps.w[1], SIPHON_LOOP_OUT), 0);

    /* Both ready in one epoll_wait; the first callback unwatches both. */
    CHECK_INT(write(ps.fds[0][1], "x", 1), 1);
    ps.unwatch_both = true;
    int calls_before = ps.calls[0] + ps.calls[1];
    CHECK_INT(siphon_loop_run_once(loop, 0), 1);
    CHECK_INT(ps.calls[0] + ps.calls[1], calls_before + 1);
    CHECK_INT(siphon_loop_run_once(loop, 0), 0);
    CHECK_INT(siphon_loop_run(loop), 0); /* nothing left to wait for */

    /* A hang-up is reported without being asked for. */
    ps.unwatch_both = false;
    CHECK_INT(siphon_loop_watch(loop, ps.fds[1][0], 0, pipe_cb, (void *)1,
                                &ps.w[1]), 0);
    close(ps.fds[1][1]);
    CHECK_INT(siphon_loop_run_once(loop, 0), 1);
    CHECK(ps.revents[1] & SIPHON_LOOP_HUP);
    siphon_loop_unwatch(loop, ps.w[1]);
    siphon_loop_unwatch(loop, NULL);

    close(ps.fds[0][0]);
    close(ps.fds[0][1]);
    close(ps.fds[1][0]);
    siphon_loop_free(loop);
    siphon_loop_free(NULL);
}
