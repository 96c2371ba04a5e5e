/*
 * dnsmasq_support.c -- dnsmasq as the DNS server of the RFC 3263 tests
 * (see dnsmasq_support.h).
 */
#include "dnsmasq_support.h"
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *dnsmasq_path(void)
{
    static const char *cand[] = {"/usr/sbin/dnsmasq", "/usr/bin/dnsmasq",
                                 "/sbin/dnsmasq", "/usr/local/sbin/dnsmasq"};
    for (size_t i = 0; i < sizeof cand / sizeof cand[0]; i++)
        if (access(cand[i], X_OK) == 0)
            return cand[i];
    return NULL;
}

int free_port(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sin;
    bind(fd, (struct sockaddr *)&sin, sizeof sin);
    getsockname(fd, (struct sockaddr *)&sin, &sl);
    close(fd);
    return ntohs(sin.sin_port);
}

/* Can we open a TCP connection to it? dnsmasq listens on TCP too, so
 * this tells us it is ready without sending DNS. */
static bool tcp_ready(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0;
    close(fd);
    return ok;
}

void dm_stop(dm *d)
{
    if (d->pid > 0) {
        kill(d->pid, SIGTERM);
        waitpid(d->pid, NULL, 0);
    }
    d->pid = 0;
}

bool dm_start(dm *d, int ttl, const char *const *records, size_t nrec)
{
    const char *path = dnsmasq_path();
    if (!path) {
        unit_skip("dnsmasq not installed (apt-get install dnsmasq-base)");
        return false;
    }
    for (int attempt = 0; attempt < 3; attempt++) {
        char port[32], ttls[32];
        const char *argv[64];
        size_t n = 0;
        d->port = free_port();
        snprintf(port, sizeof port, "--port=%d", d->port);
        snprintf(ttls, sizeof ttls, "--local-ttl=%d", ttl);
        argv[n++] = path;
        argv[n++] = "--keep-in-foreground";
        argv[n++] = "--conf-file=/dev/null";
        argv[n++] = "--no-resolv";
        argv[n++] = "--no-hosts";
        argv[n++] = "--listen-address=127.0.0.1";
        argv[n++] = "--bind-interfaces";
        argv[n++] = "--local=/test/"; /* authoritative NXDOMAIN */
        argv[n++] = "--pid-file="; /* none */
        argv[n++] = port;
        argv[n++] = ttls;
        for (size_t i = 0; i < nrec && n < 60; i++)
            argv[n++] = records[i];
        argv[n] = NULL;
        pid_t pid = fork();
        if (pid == 0) {
            /* A test runner that dies (a crash, a closed pipe) must not
             * leave its DNS server behind. */
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            freopen("/dev/null", "w", stdout);
            freopen("/dev/null", "w", stderr);
            execv(path, (char *const *)argv);
            _exit(127);
        }
        d->pid = pid;
        for (int i = 0; i < 200; i++) { /* up to 2 s */
            if (tcp_ready(d->port))
                return true;
            if (waitpid(pid, NULL, WNOHANG) == pid) { /* port taken? */
                d->pid = 0;
                break;
            }
            usleep(10000);
        }
        dm_stop(d);
    }
    unit_fail(__FILE__, __LINE__, "dnsmasq did not start");
    return false;
}

