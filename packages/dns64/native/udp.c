/*
 * udp.c - batched UDP I/O for the @sixgate/dns64 server.
 *
 * Contract: one non-blocking UDP socket (AF_INET, or AF_INET6 with
 * IPV6_V6ONLY set as asked) bound to the listen address; recvmmsg() into a
 * JS-owned arena of fixed-size slots; sendmmsg() from a JS-owned arena; a
 * single sendto() for answers that complete later; a uv_poll_t on the Node
 * loop that calls JS once per wake-up. No DNS parsing happens here.
 *
 * Peer addresses travel as raw `struct sockaddr_in6`-sized slots (28 bytes,
 * ADDR_SLOT): bytes 0-1 the family in host order (AF_INET / AF_INET6), 2-3
 * the port in network order, then the sin_addr (4 bytes at 4) or the
 * sin6_flowinfo/sin6_addr (16 bytes at 8)/sin6_scope_id. The kernel writes
 * them on receive and reads them back on send, so nothing is converted.
 *
 * Errors are thrown as plain Error objects with numeric `errno` and string
 * `syscall`. Per-datagram problems never throw: they are counted in stats.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define SG_NATIVE_ERROR "ERR_DNS64_NATIVE"
#include "sg_poll.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define ADDR_SLOT 28
#define MAX_BATCH 256

/* Counter slots, in the order stats() writes them (see src/io/native-udp.ts). */
enum {
  ST_RX_PACKETS, ST_RX_BYTES, ST_RX_TRUNCATED, ST_RX_WAKEUPS,
  ST_TX_PACKETS, ST_TX_BYTES, ST_TX_DROPS_AGAIN, ST_TX_ERRORS, ST_COUNT
};

typedef struct {
  sg_poller p;       /* first member: fd, poll handle, callback (native/sg_poll.h) */
  double stats[ST_COUNT];
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iovs[MAX_BATCH];
} udp_sock;

_Static_assert(sizeof(struct sockaddr_in6) == ADDR_SLOT, "sockaddr_in6 is 28 bytes");

#define CHECK(call) SG_CHECK(call)
#define throw_errno sg_throw_errno

static udp_sock *get_sock(napi_env env, napi_value v) {
  return (udp_sock *)sg_handle(env, v, "ERR_DNS64_ARGUMENT", "not a UDP handle", 1);
}

/* A Uint8Array / Int32Array argument as pointer + length; -1 when it is something else. */
static int bytes_of(napi_env env, napi_value v, uint8_t **p, size_t *n) {
  return sg_typed_arg(env, v, napi_uint8_array, (void **)p, n);
}

static int int32s_of(napi_env env, napi_value v, int32_t **p, size_t *n) {
  return sg_typed_arg(env, v, napi_int32_array, (void **)p, n);
}

/*
 * open(family: 4|6, addr: Uint8Array(4|16), port, v6only: boolean, rcvbuf: number) -> handle
 * rcvbuf > 0 asks for that receive buffer (SO_RCVBUFFORCE when privileged,
 * else SO_RCVBUF, which the kernel caps at net.core.rmem_max); best effort.
 */
static napi_value udp_open(napi_env env, napi_callback_info info) {
  size_t argc = 5, alen = 0;
  napi_value argv[5], ext;
  int32_t family = 0, rcvbuf = 0;
  uint32_t port = 0;
  bool v6only = false;
  uint8_t *addr = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &family));
  if (bytes_of(env, argv[1], &addr, &alen) != 0) return throw_errno(env, EINVAL, "address");
  CHECK(napi_get_value_uint32(env, argv[2], &port));
  napi_get_value_bool(env, argv[3], &v6only);
  if (argc >= 5) napi_get_value_int32(env, argv[4], &rcvbuf);
  if (port > 65535 || (family == 4 && alen != 4) || (family == 6 && alen != 16) || (family != 4 && family != 6))
    return throw_errno(env, EINVAL, "address");

  struct sockaddr_in6 sa;
  memset(&sa, 0, sizeof sa);
  socklen_t salen;
  if (family == 4) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    memcpy(&s4->sin_addr, addr, 4);
    salen = sizeof(struct sockaddr_in);
  } else {
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons((uint16_t)port);
    memcpy(&sa.sin6_addr, addr, 16);
    salen = sizeof sa;
  }
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  if (family == 6) {
    int on = v6only ? 1 : 0;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) < 0) {
      int err = errno;
      close(fd);
      return throw_errno(env, err, "setsockopt IPV6_V6ONLY");
    }
  }
  /*
   * RFC 9715 §3.1: DNS over UDP goes out with DF set and is never fragmented
   * here. PROBE sets DF and sends at the interface MTU, ignoring path MTU
   * values learnt from ICMP (an off-path attacker can forge those to shrink
   * them); our answers are at most 1232 bytes. With DF the kernel also skips
   * drawing an IPv4 fragment ID per datagram. Best effort: an older kernel
   * keeps its defaults.
   */
  int probe = IP_PMTUDISC_PROBE;
  (void)setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &probe, sizeof probe);
  if (family == 6) {
    int probe6 = IPV6_PMTUDISC_PROBE;
    (void)setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &probe6, sizeof probe6);
  }
  if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (bind(fd, (struct sockaddr *)&sa, salen) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "bind");
  }
  udp_sock *s = calloc(1, sizeof *s);
  if (s == NULL) {
    close(fd);
    return throw_errno(env, ENOMEM, "calloc");
  }
  s->p.fd = fd;
  s->p.env = env;
  CHECK(napi_create_external(env, s, sg_poller_finalize, NULL, &ext));
  return ext;
}

/* localPort(h) -> the bound port (useful after binding port 0). */
static napi_value udp_local_port(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  struct sockaddr_in6 sa;
  socklen_t len = sizeof sa;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  udp_sock *s = get_sock(env, argv[0]);
  if (s == NULL) return NULL;
  if (getsockname(s->p.fd, (struct sockaddr *)&sa, &len) < 0) return throw_errno(env, errno, "getsockname");
  CHECK(napi_create_uint32(env, ntohs(sa.sin6_port), &out)); /* same offset in sockaddr_in */
  return out;
}

/*
 * recvBatch(h, arena: Uint8Array, slot, sizes: Int32Array, addrs: Uint8Array, max) -> count
 * Datagram i lands at arena[i*slot..], its length in sizes[i], its source in
 * addrs[i*28..]. A datagram longer than `slot` is counted in rxTruncated and
 * its size is -1 (the caller skips it): it is never handed over cut short.
 */
static napi_value udp_recv(napi_env env, napi_callback_info info) {
  size_t argc = 6, alen = 0, nsizes = 0, naddrs = 0;
  napi_value argv[6], out;
  uint8_t *arena = NULL, *addrs = NULL;
  int32_t *sizes = NULL;
  uint32_t slot = 0, max = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  udp_sock *s = get_sock(env, argv[0]);
  if (s == NULL) return NULL;
  if (bytes_of(env, argv[1], &arena, &alen) != 0) return throw_errno(env, EINVAL, "arena");
  CHECK(napi_get_value_uint32(env, argv[2], &slot));
  if (int32s_of(env, argv[3], &sizes, &nsizes) != 0) return throw_errno(env, EINVAL, "sizes");
  if (bytes_of(env, argv[4], &addrs, &naddrs) != 0) return throw_errno(env, EINVAL, "addrs");
  CHECK(napi_get_value_uint32(env, argv[5], &max));
  if (slot == 0) return throw_errno(env, EINVAL, "slot");
  if (max > MAX_BATCH) max = MAX_BATCH;
  if (max > nsizes) max = (uint32_t)nsizes;
  if (max > naddrs / ADDR_SLOT) max = (uint32_t)(naddrs / ADDR_SLOT);
  if (max > alen / slot) max = (uint32_t)(alen / slot);
  if (max == 0) return throw_errno(env, EINVAL, "max");
  for (uint32_t i = 0; i < max; i++) {
    s->iovs[i].iov_base = arena + (size_t)i * slot;
    s->iovs[i].iov_len = slot;
    memset(&s->msgs[i].msg_hdr, 0, sizeof s->msgs[i].msg_hdr);
    s->msgs[i].msg_hdr.msg_iov = &s->iovs[i];
    s->msgs[i].msg_hdr.msg_iovlen = 1;
    s->msgs[i].msg_hdr.msg_name = addrs + (size_t)i * ADDR_SLOT;
    s->msgs[i].msg_hdr.msg_namelen = ADDR_SLOT;
  }
  int n;
  do n = recvmmsg(s->p.fd, s->msgs, max, MSG_DONTWAIT, NULL);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) return throw_errno(env, errno, "recvmmsg");
    n = 0;
  }
  for (int i = 0; i < n; i++) {
    if (s->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
      s->stats[ST_RX_TRUNCATED]++;
      sizes[i] = -1;
      continue;
    }
    sizes[i] = (int32_t)s->msgs[i].msg_len;
    s->stats[ST_RX_PACKETS]++;
    s->stats[ST_RX_BYTES] += (double)s->msgs[i].msg_len;
  }
  CHECK(napi_create_uint32(env, (uint32_t)n, &out));
  return out;
}

/* Counts the outcome of one datagram that failed to go out. */
static void count_tx_error(udp_sock *s, int err) {
  if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) s->stats[ST_TX_DROPS_AGAIN]++;
  else s->stats[ST_TX_ERRORS]++;
}

/*
 * sendBatch(h, arena, slot, lengths: Int32Array, addrs, count) -> sent
 * Datagram i is arena[i*slot .. +lengths[i]] to addrs[i*28..]. Never blocks:
 * a full socket buffer (EAGAIN) drops the datagram and counts it; a bad
 * length or a per-destination error is counted and the batch goes on.
 */
static napi_value udp_send(napi_env env, napi_callback_info info) {
  size_t argc = 6, alen = 0, nlen = 0, naddrs = 0;
  napi_value argv[6], out;
  uint8_t *arena = NULL, *addrs = NULL;
  int32_t *lengths = NULL;
  uint32_t slot = 0, count = 0, sent = 0, k = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  udp_sock *s = get_sock(env, argv[0]);
  if (s == NULL) return NULL;
  if (bytes_of(env, argv[1], &arena, &alen) != 0) return throw_errno(env, EINVAL, "arena");
  CHECK(napi_get_value_uint32(env, argv[2], &slot));
  if (int32s_of(env, argv[3], &lengths, &nlen) != 0) return throw_errno(env, EINVAL, "lengths");
  if (bytes_of(env, argv[4], &addrs, &naddrs) != 0) return throw_errno(env, EINVAL, "addrs");
  CHECK(napi_get_value_uint32(env, argv[5], &count));
  if (slot == 0) return throw_errno(env, EINVAL, "slot");
  if (count > MAX_BATCH) count = MAX_BATCH;
  if (count > nlen) count = (uint32_t)nlen;
  if (count > naddrs / ADDR_SLOT) count = (uint32_t)(naddrs / ADDR_SLOT);
  if (count > alen / slot) count = (uint32_t)(alen / slot);
  for (uint32_t i = 0; i < count; i++) {
    if (lengths[i] <= 0 || (uint32_t)lengths[i] > slot) {
      s->stats[ST_TX_ERRORS]++;
      continue;
    }
    uint8_t *name = addrs + (size_t)i * ADDR_SLOT;
    uint16_t fam;
    memcpy(&fam, name, 2);
    s->iovs[k].iov_base = arena + (size_t)i * slot;
    s->iovs[k].iov_len = (size_t)lengths[i];
    memset(&s->msgs[k].msg_hdr, 0, sizeof s->msgs[k].msg_hdr);
    s->msgs[k].msg_hdr.msg_iov = &s->iovs[k];
    s->msgs[k].msg_hdr.msg_iovlen = 1;
    s->msgs[k].msg_hdr.msg_name = name;
    s->msgs[k].msg_hdr.msg_namelen = fam == AF_INET ? sizeof(struct sockaddr_in) : ADDR_SLOT;
    k++;
  }
  uint32_t done = 0;
  while (done < k) {
    int n = sendmmsg(s->p.fd, s->msgs + done, k - done, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      /* sendmmsg reports the first datagram's error: count it, skip it, go on. */
      count_tx_error(s, errno);
      done++;
      continue;
    }
    for (int j = 0; j < n; j++) {
      sent++;
      s->stats[ST_TX_PACKETS]++;
      s->stats[ST_TX_BYTES] += (double)s->msgs[done + j].msg_len;
    }
    done += (uint32_t)n;
  }
  CHECK(napi_create_uint32(env, sent, &out));
  return out;
}

/* sendTo(h, buf: Uint8Array, len, addrs, index) -> 1 sent | 0 dropped (counted) */
static napi_value udp_send_to(napi_env env, napi_callback_info info) {
  size_t argc = 5, blen = 0, naddrs = 0;
  napi_value argv[5], out;
  uint8_t *buf = NULL, *addrs = NULL;
  int32_t len = 0;
  uint32_t idx = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  udp_sock *s = get_sock(env, argv[0]);
  if (s == NULL) return NULL;
  if (bytes_of(env, argv[1], &buf, &blen) != 0) return throw_errno(env, EINVAL, "buf");
  CHECK(napi_get_value_int32(env, argv[2], &len));
  if (bytes_of(env, argv[3], &addrs, &naddrs) != 0) return throw_errno(env, EINVAL, "addrs");
  CHECK(napi_get_value_uint32(env, argv[4], &idx));
  if ((size_t)idx * ADDR_SLOT + ADDR_SLOT > naddrs) return throw_errno(env, EINVAL, "index");
  int32_t ok = 0;
  if (len <= 0 || (size_t)len > blen) {
    s->stats[ST_TX_ERRORS]++;
  } else {
    uint8_t *name = addrs + (size_t)idx * ADDR_SLOT;
    uint16_t fam;
    memcpy(&fam, name, 2);
    ssize_t r;
    do r = sendto(s->p.fd, buf, (size_t)len, MSG_DONTWAIT, (struct sockaddr *)name,
                  fam == AF_INET ? sizeof(struct sockaddr_in) : ADDR_SLOT);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
      count_tx_error(s, errno);
    } else {
      ok = 1;
      s->stats[ST_TX_PACKETS]++;
      s->stats[ST_TX_BYTES] += (double)r;
    }
  }
  CHECK(napi_create_int32(env, ok, &out));
  return out;
}

/* poll(h, callback | null): start (or stop, with null) readiness callbacks. */
static napi_value udp_poll(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  udp_sock *s = get_sock(env, argv[0]);
  if (s == NULL) return NULL;
  s->p.wakeups = &s->stats[ST_RX_WAKEUPS];
  return sg_poller_poll(env, &s->p, argv[1], "sixgate.dns64.udp");
}

/* stats(h, out: Float64Array) fills ST_COUNT slots; works after close. */
static napi_value udp_stats(napi_env env, napi_callback_info info) {
  size_t argc = 2, n = 0;
  napi_value argv[2];
  napi_typedarray_type t;
  void *data = NULL, *p = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (napi_get_value_external(env, argv[0], &p) != napi_ok || p == NULL) return throw_errno(env, EINVAL, "handle");
  CHECK(napi_get_typedarray_info(env, argv[1], &t, &n, &data, NULL, NULL));
  if (t != napi_float64_array || n < ST_COUNT) return throw_errno(env, EINVAL, "stats");
  memcpy(data, ((udp_sock *)p)->stats, sizeof((udp_sock *)p)->stats);
  return NULL;
}

/* close(h): stops the poll and closes the socket; idempotent. */
static napi_value udp_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *p = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (napi_get_value_external(env, argv[0], &p) != napi_ok || p == NULL) return throw_errno(env, EINVAL, "handle");
  sg_poller_shutdown(env, &((udp_sock *)p)->p);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"open", NULL, udp_open, NULL, NULL, NULL, napi_default, NULL},
    {"localPort", NULL, udp_local_port, NULL, NULL, NULL, napi_default, NULL},
    {"recvBatch", NULL, udp_recv, NULL, NULL, NULL, napi_default, NULL},
    {"sendBatch", NULL, udp_send, NULL, NULL, NULL, napi_default, NULL},
    {"sendTo", NULL, udp_send_to, NULL, NULL, NULL, napi_default, NULL},
    {"poll", NULL, udp_poll, NULL, NULL, NULL, napi_default, NULL},
    {"stats", NULL, udp_stats, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, udp_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value v;
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  CHECK(napi_create_int32(env, ST_COUNT, &v));
  CHECK(napi_set_named_property(env, exports, "STATS_COUNT", v));
  CHECK(napi_create_int32(env, MAX_BATCH, &v));
  CHECK(napi_set_named_property(env, exports, "MAX_BATCH", v));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
