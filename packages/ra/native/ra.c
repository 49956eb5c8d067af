/*
 * ra.c - the raw ICMPv6 socket of @sixgate/ra (router advertisements).
 *
 * Contract: one non-blocking raw ICMPv6 socket per interface, bound to it
 * with SO_BINDTODEVICE, passing only Router Solicitations (133) and Router
 * Advertisements (134) through ICMP6_FILTER; hop limit 255 on everything it
 * sends (RFC 4861 §6.1: receivers drop anything else); the received hop
 * limit and destination come back with each message (IPV6_RECVHOPLIMIT,
 * IPV6_RECVPKTINFO) so the caller can validate it; member of ff02::2
 * (all-routers) so solicitations arrive; multicast loop off so the socket
 * does not read its own advertisements. A uv_poll_t on the Node loop calls
 * JS once per wake-up; JS then calls recv() until it returns -1.
 *
 * The kernel fills in and verifies the ICMPv6 checksum of a raw ICMPv6
 * socket (RFC 3542 §3.1): a message with a bad checksum never arrives here.
 * No ND parsing happens here: message building and validation are in src/.
 *
 * Errors are thrown as plain Error objects with numeric `errno` and string
 * `syscall`; the poll and error scaffolding is native/sg_poll.h, shared with
 * the other addons.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define SG_NATIVE_ERROR "ERR_RA_NATIVE"
#include "sg_poll.h"

#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

typedef struct {
  sg_poller p; /* first member: fd, poll handle, callback (native/sg_poll.h) */
  unsigned ifindex;
} ra_sock;

#define CHECK(call) SG_CHECK(call)
#define throw_errno sg_throw_errno

static ra_sock *get_sock(napi_env env, napi_value v) {
  return (ra_sock *)sg_handle(env, v, "ERR_RA_ARGUMENT", "not an RA socket handle", 1);
}

/* A Uint8Array argument as pointer + length; -1 when it is something else. */
static int bytes_of(napi_env env, napi_value v, uint8_t **p, size_t *n) {
  return sg_typed_arg(env, v, napi_uint8_array, (void **)p, n);
}

static int set_int(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value);
}

/*
 * open(ifname: string) -> handle
 * The raw socket on `ifname`, configured as the header comment says.
 * Needs CAP_NET_RAW (and CAP_NET_ADMIN or the socket's owner for SO_BINDTODEVICE
 * on older kernels).
 */
static napi_value ra_open(napi_env env, napi_callback_info info) {
  size_t argc = 1, len = 0;
  napi_value argv[1], ext;
  char name[IF_NAMESIZE + 1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok)
    return throw_errno(env, EINVAL, "interface name");
  if (len == 0 || len >= IF_NAMESIZE) return throw_errno(env, EINVAL, "interface name");
  unsigned ifindex = if_nametoindex(name);
  if (ifindex == 0) return throw_errno(env, errno == 0 ? ENODEV : errno, "if_nametoindex");

  int fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  if (fd < 0) return throw_errno(env, errno, "socket");
  const char *step = NULL;
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, (socklen_t)len) < 0) {
    step = "setsockopt SO_BINDTODEVICE";
  } else {
    struct icmp6_filter filter;
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ICMP6_FILTER_SETPASS(ND_ROUTER_SOLICIT, &filter);
    ICMP6_FILTER_SETPASS(ND_ROUTER_ADVERT, &filter);
    struct ipv6_mreq mreq;
    memset(&mreq, 0, sizeof mreq);
    mreq.ipv6mr_interface = ifindex;
    /* ff02::2, all-routers (RFC 4291 §2.7.1): where hosts send solicitations. */
    mreq.ipv6mr_multiaddr.s6_addr[0] = 0xff;
    mreq.ipv6mr_multiaddr.s6_addr[1] = 0x02;
    mreq.ipv6mr_multiaddr.s6_addr[15] = 0x02;
    int idx = (int)ifindex;
    if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter) < 0) step = "setsockopt ICMP6_FILTER";
    else if (set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255) < 0) step = "setsockopt IPV6_MULTICAST_HOPS";
    else if (set_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255) < 0) step = "setsockopt IPV6_UNICAST_HOPS";
    else if (set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0) < 0) step = "setsockopt IPV6_MULTICAST_LOOP";
    else if (set_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1) < 0) step = "setsockopt IPV6_RECVHOPLIMIT";
    else if (set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) < 0) step = "setsockopt IPV6_RECVPKTINFO";
    else if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof idx) < 0) step = "setsockopt IPV6_MULTICAST_IF";
    else if (setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mreq, sizeof mreq) < 0) step = "setsockopt IPV6_ADD_MEMBERSHIP ff02::2";
  }
  if (step != NULL) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, step);
  }
  ra_sock *s = calloc(1, sizeof *s);
  if (s == NULL) {
    close(fd);
    return throw_errno(env, ENOMEM, "calloc");
  }
  s->p.fd = fd;
  s->p.env = env;
  s->ifindex = ifindex;
  CHECK(napi_create_external(env, s, sg_poller_finalize, NULL, &ext));
  return ext;
}

/* ifindex(h) -> the interface index the socket is bound to. */
static napi_value ra_ifindex(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  ra_sock *s = get_sock(env, argv[0]);
  if (s == NULL) return NULL;
  CHECK(napi_create_uint32(env, s->ifindex, &out));
  return out;
}

/*
 * recv(h, buf: Uint8Array, meta: Uint8Array(40)) -> length | -1 (nothing waiting)
 * The ICMPv6 message (no IPv6 header) lands in buf. meta: bytes 0-15 the
 * source address, 16-31 the destination (from IPV6_PKTINFO; zero when the
 * kernel gave none), 32 the received hop limit (0 when none was given),
 * 33 1 when the message did not fit `buf` (it is then cut and must be
 * dropped), 36-39 the arrival interface index (little endian).
 */
static napi_value ra_recv(napi_env env, napi_callback_info info) {
  size_t argc = 3, blen = 0, mlen = 0;
  napi_value argv[3], out;
  uint8_t *buf = NULL, *meta = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  ra_sock *s = get_sock(env, argv[0]);
  if (s == NULL) return NULL;
  if (bytes_of(env, argv[1], &buf, &blen) != 0 || blen == 0) return throw_errno(env, EINVAL, "buf");
  if (bytes_of(env, argv[2], &meta, &mlen) != 0 || mlen < 40) return throw_errno(env, EINVAL, "meta");
  struct sockaddr_in6 from;
  struct iovec iov = {.iov_base = buf, .iov_len = blen};
  union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  ssize_t n;
  do n = recvmsg(s->p.fd, &msg, MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      CHECK(napi_create_int32(env, -1, &out));
      return out;
    }
    return throw_errno(env, errno, "recvmsg");
  }
  memset(meta, 0, 40);
  memcpy(meta, &from.sin6_addr, 16);
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != IPPROTO_IPV6) continue;
    if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int hl;
      memcpy(&hl, CMSG_DATA(c), sizeof hl);
      meta[32] = (uint8_t)(hl < 0 ? 0 : hl > 255 ? 255 : hl);
    } else if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
      struct in6_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      memcpy(meta + 16, &pi.ipi6_addr, 16);
      uint32_t idx = pi.ipi6_ifindex;
      meta[36] = (uint8_t)idx;
      meta[37] = (uint8_t)(idx >> 8);
      meta[38] = (uint8_t)(idx >> 16);
      meta[39] = (uint8_t)(idx >> 24);
    }
  }
  if (msg.msg_flags & MSG_TRUNC) meta[33] = 1;
  CHECK(napi_create_int32(env, (int32_t)n, &out));
  return out;
}

/*
 * send(h, buf: Uint8Array, length, dst: Uint8Array(16), src: Uint8Array(16) | null) -> 0 | errno
 * Sends one ICMPv6 message to `dst` on the bound interface (scope id = the
 * interface, so link-local destinations work), from `src` when given (the
 * interface's link-local address: RFC 4861 §6.1.2 drops an RA from anything
 * else). Never blocks; returns the errno of a failed send instead of
 * throwing, so the caller counts it (a link going down is not a crash).
 */
static napi_value ra_send(napi_env env, napi_callback_info info) {
  size_t argc = 5, blen = 0, dlen = 0, slen = 0;
  napi_value argv[5], out;
  uint8_t *buf = NULL, *dst = NULL, *src = NULL;
  int32_t len = 0;
  napi_valuetype vt;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) return throw_errno(env, EINVAL, "arguments");
  ra_sock *s = get_sock(env, argv[0]);
  if (s == NULL) return NULL;
  if (bytes_of(env, argv[1], &buf, &blen) != 0) return throw_errno(env, EINVAL, "buf");
  CHECK(napi_get_value_int32(env, argv[2], &len));
  if (len <= 0 || (size_t)len > blen) return throw_errno(env, EINVAL, "length");
  if (bytes_of(env, argv[3], &dst, &dlen) != 0 || dlen != 16) return throw_errno(env, EINVAL, "dst");
  CHECK(napi_typeof(env, argv[4], &vt));
  if (vt != napi_null && vt != napi_undefined) {
    if (bytes_of(env, argv[4], &src, &slen) != 0 || slen != 16) return throw_errno(env, EINVAL, "src");
  }
  struct sockaddr_in6 to;
  memset(&to, 0, sizeof to);
  to.sin6_family = AF_INET6;
  memcpy(&to.sin6_addr, dst, 16);
  to.sin6_scope_id = s->ifindex;
  struct iovec iov = {.iov_base = buf, .iov_len = (size_t)len};
  union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    struct cmsghdr align;
  } control;
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  memset(&control, 0, sizeof control);
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (src != NULL) {
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
    struct in6_pktinfo pi;
    memset(&pi, 0, sizeof pi);
    memcpy(&pi.ipi6_addr, src, 16);
    pi.ipi6_ifindex = s->ifindex;
    memcpy(CMSG_DATA(c), &pi, sizeof pi);
  }
  ssize_t r;
  do r = sendmsg(s->p.fd, &msg, MSG_DONTWAIT);
  while (r < 0 && errno == EINTR);
  CHECK(napi_create_int32(env, r < 0 ? errno : 0, &out));
  return out;
}

/* poll(h, callback | null): start (or stop, with null) readiness callbacks. */
static napi_value ra_poll(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_errno(env, EINVAL, "arguments");
  ra_sock *s = get_sock(env, argv[0]);
  if (s == NULL) return NULL;
  return sg_poller_poll(env, &s->p, argv[1], "sixgate.ra");
}

/* close(h): stops the poll and closes the socket; idempotent. */
static napi_value ra_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *ptr = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_external(env, argv[0], &ptr) != napi_ok || ptr == NULL) return throw_errno(env, EINVAL, "handle");
  sg_poller_shutdown(env, &((ra_sock *)ptr)->p);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"open", NULL, ra_open, NULL, NULL, NULL, napi_default, NULL},
    {"ifindex", NULL, ra_ifindex, NULL, NULL, NULL, napi_default, NULL},
    {"recv", NULL, ra_recv, NULL, NULL, NULL, napi_default, NULL},
    {"send", NULL, ra_send, NULL, NULL, NULL, napi_default, NULL},
    {"poll", NULL, ra_poll, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, ra_close, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
