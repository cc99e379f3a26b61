/* LD_PRELOAD guard for the privacy tests: records every name lookup and every socket destination
 * a process (and its children) asks libc for, and refuses those that would leave the machine.
 * Native code (ONNX Runtime's telemetry, Rust, llama.cpp) never passes through Python's socket
 * module, so only a guard at this level sees it. Lines go to $ARCHIVIST_NET_LOG:
 *   <pid> native load <exe>          the guard is active in this process
 *   <pid> native allow|deny <call> <destination>
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void record(const char *verdict, const char *call, const char *dest) {
    const char *path = getenv("ARCHIVIST_NET_LOG");
    if (!path) return;
    char line[1200];
    int n = snprintf(line, sizeof line, "%d native %s %s %s\n", (int)getpid(), verdict, call, dest ? dest : "-");
    if (n <= 0) return;
    if (n >= (int)sizeof line) n = sizeof line - 1;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ssize_t ignored = write(fd, line, (size_t)n);
        (void)ignored;
        close(fd);
    }
}

__attribute__((constructor)) static void loaded(void) {
    char exe[512] = "?";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) exe[n] = 0;
    record("load", "exe", exe);
}

static int loopback_v4(const struct in_addr *a) {
    uint32_t h = ntohl(a->s_addr);
    return (h >> 24) == 127 || h == 0;
}

static int loopback_v6(const struct in6_addr *a) {
    if (IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_UNSPECIFIED(a)) return 1;
    if (IN6_IS_ADDR_V4MAPPED(a)) return a->s6_addr[12] == 127;
    return 0;
}

/* 1 when the destination stays on this machine; text describes it either way. */
static int local_address(const struct sockaddr *sa, socklen_t len, char *text, size_t size) {
    char ip[INET6_ADDRSTRLEN] = "";
    if (sa == NULL || len < sizeof(sa_family_t)) { snprintf(text, size, "none"); return 1; }
    switch (sa->sa_family) {
    case AF_UNIX: snprintf(text, size, "unix"); return 1;
    case AF_NETLINK: snprintf(text, size, "netlink"); return 1;
    case AF_UNSPEC: snprintf(text, size, "unspec"); return 1;
    case AF_INET: {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        snprintf(text, size, "%s:%d", ip, ntohs(in->sin_port));
        return loopback_v4(&in->sin_addr);
    }
    case AF_INET6: {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        snprintf(text, size, "[%s]:%d", ip, ntohs(in6->sin6_port));
        return loopback_v6(&in6->sin6_addr);
    }
    default: snprintf(text, size, "family-%d", sa->sa_family); return 0;
    }
}

static int local_name(const char *node) {
    if (node == NULL) return 1;  /* a passive lookup: a port on this machine */
    if (strcasecmp(node, "localhost") == 0) return 1;
    size_t n = strlen(node);
    if (n > 10 && strcasecmp(node + n - 10, ".localhost") == 0) return 1;
    struct in_addr v4;
    struct in6_addr v6;
    if (inet_pton(AF_INET, node, &v4) == 1) return loopback_v4(&v4);
    if (inet_pton(AF_INET6, node, &v6) == 1) return loopback_v6(&v6);
    return 0;
}

#define REAL(name) static __typeof__(name) *real_##name; \
    if (!real_##name) real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res) {
    REAL(getaddrinfo);
    if (!local_name(node)) { record("deny", "getaddrinfo", node); return EAI_NONAME; }
    record("allow", "getaddrinfo", node ? node : "(passive)");
    return real_getaddrinfo(node, service, hints, res);
}

struct hostent *gethostbyname(const char *name) {
    REAL(gethostbyname);
    if (!local_name(name)) { record("deny", "gethostbyname", name); h_errno = HOST_NOT_FOUND; return NULL; }
    return real_gethostbyname(name);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len) {
    REAL(connect);
    char dest[128];
    if (!local_address(addr, len, dest, sizeof dest)) { record("deny", "connect", dest); errno = ENETUNREACH; return -1; }
    if (addr && addr->sa_family != AF_UNIX) record("allow", "connect", dest);
    return real_connect(fd, addr, len);
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr, socklen_t len) {
    REAL(sendto);
    char dest[128];
    if (!local_address(addr, len, dest, sizeof dest)) { record("deny", "sendto", dest); errno = ENETUNREACH; return -1; }
    return real_sendto(fd, buf, n, flags, addr, len);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
    REAL(sendmsg);
    char dest[128];
    if (msg && !local_address(msg->msg_name, msg->msg_namelen, dest, sizeof dest)) {
        record("deny", "sendmsg", dest); errno = ENETUNREACH; return -1;
    }
    return real_sendmsg(fd, msg, flags);
}
