/*
 * tun.c - the smallest possible Linux TUN binding for @sixgate/tun.
 *
 * Contract (STYLE §5): open /dev/net/tun, TUNSETIFF with IFF_TUN|IFF_NO_PI
 * (optionally IFF_MULTI_QUEUE, and IFF_VNET_HDR with TUNSETOFFLOAD for
 * checksum and TCP segmentation offload), make the fd non-blocking, read and write
 * batches of packets into JS-owned buffers (a written packet may be gathered
 * from several pieces of one buffer), set MTU and link state through
 * ioctls on an AF_INET datagram socket, watch readability with a uv_poll_t
 * on the Node event loop, close. No packet parsing happens here.
 *
 * Errors are thrown as plain Error objects with numeric `errno` and string
 * `syscall` properties; the TypeScript wrapper maps them to TunError codes.
 * Per-packet errors never throw: they are counted in the device stats.
 */
#define SG_NATIVE_ERROR "ERR_TUN_NATIVE"
#include "sg_poll.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* UDP segmentation offload flags (linux/if_tun.h since 6.2; older headers lack them). */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

/* Counter slots, in the order stats() writes them (see src/native.ts). */
enum {
  ST_RX_PACKETS, ST_RX_BYTES, ST_RX_TRUNCATED, ST_RX_WAKEUPS,
  ST_TX_PACKETS, ST_TX_BYTES, ST_TX_QUEUE_FULL, ST_TX_ERRORS, ST_COUNT
};

typedef struct {
  sg_poller p;       /* first member: fd, poll handle, callback (native/sg_poll.h) */
  char name[IFNAMSIZ];
  /* IFF_VNET_HDR: every packet read or written carries a virtio_net_hdr. */
  int vnet;
  int uso;           /* the kernel takes VIRTIO_NET_HDR_GSO_UDP_L4 on write */
  double stats[ST_COUNT];
} tun_dev;

/*
 * struct virtio_net_hdr without the optional num_buffers: 10 bytes, the size
 * the TUN driver uses unless TUNSETVNETHDRSZ says otherwise. Its layout is
 * the caller's business (src/vnet.ts); here it is opaque bytes.
 */
#define VNET_HDR_LEN 10
/* The header written in front of packets the caller gave none for: no GSO, checksum complete. */
static const uint8_t vnet_zero[VNET_HDR_LEN];

#define CHECK(call) SG_CHECK(call)
#define throw_errno sg_throw_errno

static napi_value closed_error(napi_env env) {
  return throw_errno(env, EBADF, "closed");
}

static tun_dev *get_dev(napi_env env, napi_value v) {
  return (tun_dev *)sg_handle(env, v, "ERR_TUN_ARGUMENT", "not a TUN handle", 0);
}

/*
 * open(name: string, multiQueue: boolean, offload: boolean) -> handle
 * With offload, the device is opened with IFF_VNET_HDR and announces
 * TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6: the kernel may hand over TCP packets
 * of up to 64 KiB with a partial checksum (one per TSO/GRO super-packet
 * instead of one per segment) and accepts the same on write, segmenting them
 * itself on the way out.
 *
 * It also asks whether the kernel takes UDP GSO super-packets
 * (VIRTIO_NET_HDR_GSO_UDP_L4) on write: it does exactly when it knows
 * TUN_F_USO4/TUN_F_USO6 (both came with Linux 6.2; before, such a write fails
 * with EINVAL). The flags are announced only to ask and withdrawn at once, so
 * reads never carry UDP super-packets. udpGso(handle) returns the answer.
 */
static napi_value tun_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], ext;
  char name[IFNAMSIZ];
  size_t len = 0;
  bool mq = false, offload = false;
  int uso = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok)
    return throw_errno(env, EINVAL, "name");
  napi_get_value_bool(env, argv[1], &mq);
  if (argc >= 3) napi_get_value_bool(env, argv[2], &offload);

  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "open /dev/net/tun");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (mq ? IFF_MULTI_QUEUE : 0) | (offload ? IFF_VNET_HDR : 0);
  memcpy(ifr.ifr_name, name, len);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "ioctl TUNSETIFF");
  }
  if (offload) {
    int hdrsz = VNET_HDR_LEN;
    if (ioctl(fd, TUNSETVNETHDRSZ, &hdrsz) < 0 ||
        ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)) < 0) {
      int err = errno;
      close(fd);
      return throw_errno(env, err, "ioctl TUNSETOFFLOAD");
    }
    if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6)) == 0) {
      uso = 1;
      if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)) < 0) {
        int err = errno;
        close(fd);
        return throw_errno(env, err, "ioctl TUNSETOFFLOAD");
      }
    }
  }
  tun_dev *d = calloc(1, sizeof *d);
  if (d == NULL) {
    close(fd);
    return throw_errno(env, ENOMEM, "calloc");
  }
  d->p.fd = fd;
  d->p.env = env;
  d->vnet = offload ? 1 : 0;
  d->uso = uso;
  memcpy(d->name, ifr.ifr_name, IFNAMSIZ);
  d->name[IFNAMSIZ - 1] = '\0';
  CHECK(napi_create_external(env, d, sg_poller_finalize, NULL, &ext));
  return ext;
}

/* udpGso(handle) -> boolean: UDP GSO super-packets may be written (see open). */
static napi_value tun_udp_gso(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tun_dev *d = get_dev(env, argv[0]);
  if (d == NULL) return NULL;
  CHECK(napi_get_boolean(env, d->uso != 0, &out));
  return out;
}

static napi_value tun_name(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tun_dev *d = get_dev(env, argv[0]);
  if (d == NULL) return NULL;
  CHECK(napi_create_string_utf8(env, d->name, NAPI_AUTO_LENGTH, &out));
  return out;
}

/* Runs one SIOC* ioctl on an AF_INET datagram socket; returns errno or 0. */
static int ifreq_ioctl(unsigned long req, struct ifreq *ifr) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  int rc = ioctl(s, req, ifr);
  int err = rc < 0 ? errno : 0;
  close(s);
  return err;
}

/* ifconfig(name, mtu: number (<=0 keeps), up: -1 keep | 0 down | 1 up) -> mtu */
static napi_value tun_ifconfig(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], out;
  char name[IFNAMSIZ];
  size_t len = 0;
  int32_t mtu = 0, up = -1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok)
    return throw_errno(env, EINVAL, "name");
  CHECK(napi_get_value_int32(env, argv[1], &mtu));
  CHECK(napi_get_value_int32(env, argv[2], &up));
  struct ifreq ifr;
  int err;
  if (mtu > 0) {
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, name, len);
    ifr.ifr_mtu = mtu;
    if ((err = ifreq_ioctl(SIOCSIFMTU, &ifr)) != 0) return throw_errno(env, err, "ioctl SIOCSIFMTU");
  }
  if (up >= 0) {
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, name, len);
    if ((err = ifreq_ioctl(SIOCGIFFLAGS, &ifr)) != 0) return throw_errno(env, err, "ioctl SIOCGIFFLAGS");
    if (up) ifr.ifr_flags |= IFF_UP;
    else ifr.ifr_flags &= ~IFF_UP;
    if ((err = ifreq_ioctl(SIOCSIFFLAGS, &ifr)) != 0) return throw_errno(env, err, "ioctl SIOCSIFFLAGS");
  }
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, len);
  if ((err = ifreq_ioctl(SIOCGIFMTU, &ifr)) != 0) return throw_errno(env, err, "ioctl SIOCGIFMTU");
  CHECK(napi_create_int32(env, ifr.ifr_mtu, &out));
  return out;
}

/* read_one results other than a packet length. */
enum { RD_TRUNCATED = -1, RD_EMPTY = -2, RD_FATAL = -3 };

/*
 * Reads one packet into p (room bytes) and counts it. A packet longer than
 * `room` is detected through a 1-byte overflow iovec, counted and skipped
 * (RD_TRUNCATED); EAGAIN is RD_EMPTY; anything else RD_FATAL with errno set.
 * On a vnet device the virtio_net_hdr goes to `hdr` (VNET_HDR_LEN bytes; a
 * scratch header when NULL) and is not part of the returned length.
 */
static ssize_t read_one(tun_dev *d, uint8_t *p, size_t room, uint8_t *hdr) {
  uint8_t overflow[1], scratch[VNET_HDR_LEN];
  struct iovec iov[3] = {{hdr != NULL ? hdr : scratch, VNET_HDR_LEN}, {p, room}, {overflow, 1}};
  struct iovec *v = d->vnet ? iov : iov + 1;
  int nv = d->vnet ? 3 : 2;
  for (;;) {
    ssize_t r = readv(d->p.fd, v, nv);
    if (r >= 0) {
      if (d->vnet) r = r >= VNET_HDR_LEN ? r - VNET_HDR_LEN : 0;
      if ((size_t)r > room) {
        d->stats[ST_RX_TRUNCATED]++;
        return RD_TRUNCATED;
      }
      d->stats[ST_RX_PACKETS]++;
      d->stats[ST_RX_BYTES] += (double)r;
      return r;
    }
    if (errno == EINTR) continue;
    return (errno == EAGAIN || errno == EWOULDBLOCK) ? RD_EMPTY : RD_FATAL;
  }
}

/* Most pieces one packet may be gathered from in writeFlat (iovec on the stack). */
#define TUN_GATHER_MAX 64

/*
 * Writes one packet without blocking and counts it: 1 when the kernel took
 * it, 0 when it was dropped (EAGAIN: queue full; other errors), -1 when the
 * fd is closed (EBADF). The packet is the concatenation of iov[1..npieces];
 * iov[0] is the caller's spare slot for the virtio_net_hdr: on a vnet device
 * `hdr` (or, when NULL, an all-zero header: no offload, checksum complete)
 * goes there, so header and pieces leave in one writev.
 */
static int write_iov(tun_dev *d, struct iovec *iov, int npieces, const uint8_t *hdr) {
  ssize_t r;
  iov[0].iov_base = (void *)(hdr != NULL ? hdr : vnet_zero);
  iov[0].iov_len = VNET_HDR_LEN;
  struct iovec *v = d->vnet ? iov : iov + 1;
  int nv = d->vnet ? npieces + 1 : npieces;
  do r = writev(d->p.fd, v, nv);
  while (r < 0 && errno == EINTR);
  if (r >= 0) {
    if (d->vnet) r = r >= VNET_HDR_LEN ? r - VNET_HDR_LEN : 0;
    d->stats[ST_TX_PACKETS]++;
    d->stats[ST_TX_BYTES] += (double)r;
    return 1;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) d->stats[ST_TX_QUEUE_FULL]++;
  else if (errno == EBADF) return -1;
  else d->stats[ST_TX_ERRORS]++;
  return 0;
}

/* write_iov for a packet in one piece. */
static int write_one(tun_dev *d, const uint8_t *p, size_t len, const uint8_t *hdr) {
  struct iovec iov[2] = {{NULL, 0}, {(void *)p, len}};
  return write_iov(d, iov, 1, hdr);
}

/* A Uint8Array argument as pointer + length; -1 when it is something else. */
static int u8_arg(napi_env env, napi_value v, uint8_t **p, size_t *n) {
  napi_typedarray_type t;
  void *data = NULL;
  if (napi_get_typedarray_info(env, v, &t, n, &data, NULL, NULL) != napi_ok) return -1;
  if (t != napi_uint8_array && t != napi_uint8_clamped_array) return -1;
  *p = (uint8_t *)data;
  return 0;
}

/* An Int32Array argument as pointer + element count; -1 when it is something else. */
static int i32_arg(napi_env env, napi_value v, int32_t **p, size_t *n) {
  return sg_typed_arg(env, v, napi_int32_array, (void **)p, n);
}

/*
 * An optional Uint8Array argument of virtio_net_hdrs (VNET_HDR_LEN bytes per
 * packet): NULL with *n = 0 when absent (undefined); -1 when it is something else.
 */
static int vnet_arg(napi_env env, size_t argc, napi_value *argv, size_t i, uint8_t **p, size_t *n) {
  napi_valuetype vt;
  *p = NULL;
  *n = 0;
  if (argc <= i) return 0;
  if (napi_typeof(env, argv[i], &vt) != napi_ok) return -1;
  if (vt == napi_undefined) return 0;
  if (u8_arg(env, argv[i], p, n) != 0) return -1;
  *n /= VNET_HDR_LEN;
  return 0;
}

/*
 * readFlat(h, arena: Uint8Array, slot, offset, sizes: Int32Array, max[, vnet: Uint8Array]) -> count
 * Like readBatch, but packet i goes to arena[i*slot+offset .. (i+1)*slot):
 * one buffer lookup per call instead of two N-API calls per packet. On a
 * vnet device packet i's virtio_net_hdr goes to vnet[i*10 .. i*10+10), and
 * the batch is capped to the headers that fit.
 */
static napi_value tun_read_flat(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7], out;
  uint8_t *arena = NULL, *vnet = NULL;
  int32_t *sizes = NULL;
  size_t alen = 0, nsizes = 0, nvnet = 0;
  uint32_t slot = 0, offset = 0, max = 0, count = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tun_dev *d = get_dev(env, argv[0]);
  if (d == NULL) return NULL;
  if (d->p.fd < 0) return closed_error(env);
  if (u8_arg(env, argv[1], &arena, &alen) != 0) return throw_errno(env, EINVAL, "bufs");
  CHECK(napi_get_value_uint32(env, argv[2], &slot));
  CHECK(napi_get_value_uint32(env, argv[3], &offset));
  if (i32_arg(env, argv[4], &sizes, &nsizes) != 0) return throw_errno(env, EINVAL, "sizes");
  CHECK(napi_get_value_uint32(env, argv[5], &max));
  if (vnet_arg(env, argc, argv, 6, &vnet, &nvnet) != 0) return throw_errno(env, EINVAL, "vnet");
  if (slot == 0 || offset >= slot) return throw_errno(env, EINVAL, "bufs");
  if (max > nsizes) max = (uint32_t)nsizes;
  if (max > alen / slot) max = (uint32_t)(alen / slot);
  if (vnet != NULL && max > nvnet) max = (uint32_t)nvnet;
  const size_t room = slot - offset;
  while (count < max) {
    uint8_t *hdr = vnet != NULL ? vnet + (size_t)count * VNET_HDR_LEN : NULL;
    ssize_t r = read_one(d, arena + (size_t)count * slot + offset, room, hdr);
    if (r == RD_TRUNCATED) continue;
    if (r == RD_EMPTY) break;
    if (r == RD_FATAL) {
      if (count > 0) break; /* fatal: hand over what was read, see tun_read */
      return throw_errno(env, errno, "read");
    }
    sizes[count++] = (int32_t)r;
  }
  CHECK(napi_create_uint32(env, count, &out));
  return out;
}

/*
 * Writes `count` packets gathered from the arena (writeFlat with `parts`):
 * packet p is the concatenation of parts[p] consecutive pieces
 * arena[offsets[j] .. offsets[j]+lengths[j]), j running on from the pieces
 * of the packets before it, sent with its header in one writev. A packet
 * with parts[p] outside 1..TUN_GATHER_MAX or a piece outside the arena is
 * counted once in ST_TX_ERRORS and skipped (its pieces too); a packet whose
 * pieces run past the offsets/lengths arrays is counted and ends the call.
 * Returns the number of pieces of the packets the kernel took, -1 when the
 * fd is closed.
 */
static int64_t write_gather(tun_dev *d, const uint8_t *arena, size_t alen, const int32_t *offsets,
                            const int32_t *lengths, size_t npieces, const int32_t *parts, uint32_t count,
                            const uint8_t *vnet, size_t nvnet) {
  struct iovec iov[1 + TUN_GATHER_MAX];
  size_t j = 0;
  int64_t pieces = 0;
  for (uint32_t p = 0; p < count; p++) {
    int32_t k = parts[p];
    if (k >= 1 && (size_t)k > npieces - j) {
      d->stats[ST_TX_ERRORS]++;
      break;
    }
    if (k < 1 || k > TUN_GATHER_MAX) {
      d->stats[ST_TX_ERRORS]++;
      if (k > 0) j += (size_t)k;
      continue;
    }
    int ok = 1;
    for (int32_t q = 1; q <= k; q++, j++) {
      int32_t off = offsets[j], len = lengths[j];
      if (off < 0 || len <= 0 || (size_t)off + (size_t)len > alen) {
        ok = 0;
      } else {
        iov[q].iov_base = (void *)(arena + off);
        iov[q].iov_len = (size_t)len;
      }
    }
    if (!ok) {
      d->stats[ST_TX_ERRORS]++;
      continue;
    }
    const uint8_t *hdr = p < nvnet ? vnet + (size_t)p * VNET_HDR_LEN : NULL;
    int w = write_iov(d, iov, (int)k, hdr);
    if (w < 0) return -1;
    if (w > 0) pieces += k;
  }
  return pieces;
}

/*
 * writeFlat(h, arena: Uint8Array, offsets: Int32Array, lengths: Int32Array, count[, vnet: Uint8Array[, parts: Int32Array]]) -> written
 * Packet i is arena[offsets[i] .. offsets[i]+lengths[i]), checked against the
 * arena per packet. Errors and EAGAIN are counted as in writeBatch. On a vnet
 * device packet i is written behind vnet[i*10 .. i*10+10) (an all-zero header
 * when `vnet` is absent or too short).
 * With `parts`, `count` is the number of packets, each gathered from
 * parts[i] pieces (write_gather), and the result counts the pieces written
 * so the caller can compare it with the pieces it handed over.
 */
static napi_value tun_write_flat(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7], out;
  uint8_t *arena = NULL, *vnet = NULL;
  int32_t *offsets = NULL, *lengths = NULL, *parts = NULL;
  size_t alen = 0, noff = 0, nlen = 0, nvnet = 0, nparts = 0;
  uint32_t count = 0, written = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tun_dev *d = get_dev(env, argv[0]);
  if (d == NULL) return NULL;
  if (d->p.fd < 0) return closed_error(env);
  if (u8_arg(env, argv[1], &arena, &alen) != 0) return throw_errno(env, EINVAL, "bufs");
  if (i32_arg(env, argv[2], &offsets, &noff) != 0) return throw_errno(env, EINVAL, "offsets");
  if (i32_arg(env, argv[3], &lengths, &nlen) != 0) return throw_errno(env, EINVAL, "lengths");
  CHECK(napi_get_value_uint32(env, argv[4], &count));
  if (vnet_arg(env, argc, argv, 5, &vnet, &nvnet) != 0) return throw_errno(env, EINVAL, "vnet");
  if (argc >= 7) {
    napi_valuetype vt;
    CHECK(napi_typeof(env, argv[6], &vt));
    if (vt != napi_undefined && i32_arg(env, argv[6], &parts, &nparts) != 0) return throw_errno(env, EINVAL, "parts");
  }
  if (parts != NULL) {
    if (count > nparts) count = (uint32_t)nparts;
    int64_t pieces = write_gather(d, arena, alen, offsets, lengths, noff < nlen ? noff : nlen, parts, count, vnet, nvnet);
    if (pieces < 0) return closed_error(env);
    CHECK(napi_create_double(env, (double)pieces, &out));
    return out;
  }
  if (count > noff) count = (uint32_t)noff;
  if (count > nlen) count = (uint32_t)nlen;
  for (uint32_t i = 0; i < count; i++) {
    int32_t off = offsets[i], len = lengths[i];
    if (off < 0 || len <= 0 || (size_t)off + (size_t)len > alen) {
      d->stats[ST_TX_ERRORS]++;
      continue;
    }
    const uint8_t *hdr = i < nvnet ? vnet + (size_t)i * VNET_HDR_LEN : NULL;
    int w = write_one(d, arena + off, (size_t)len, hdr);
    if (w < 0) return closed_error(env);
    written += (uint32_t)w;
  }
  CHECK(napi_create_uint32(env, written, &out));
  return out;
}

/* poll(h, callback | null): start (or stop, with null) readiness callbacks. */
static napi_value tun_poll(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tun_dev *d = get_dev(env, argv[0]);
  if (d == NULL) return NULL;
  d->p.wakeups = &d->stats[ST_RX_WAKEUPS];
  return sg_poller_poll(env, &d->p, argv[1], "sixgate.tun");
}

/* stats(h, out: Float64Array) fills ST_COUNT slots; works after close. */
static napi_value tun_stats(napi_env env, napi_callback_info info) {
  size_t argc = 2, n = 0;
  napi_value argv[2];
  napi_typedarray_type t;
  void *data = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tun_dev *d = get_dev(env, argv[0]);
  if (d == NULL) return NULL;
  CHECK(napi_get_typedarray_info(env, argv[1], &t, &n, &data, NULL, NULL));
  if (t != napi_float64_array || n < ST_COUNT) return throw_errno(env, EINVAL, "stats");
  memcpy(data, d->stats, sizeof d->stats);
  return NULL;
}

static napi_value tun_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tun_dev *d = get_dev(env, argv[0]);
  if (d == NULL) return NULL;
  sg_poller_shutdown(env, &d->p);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"open", NULL, tun_open, NULL, NULL, NULL, napi_default, NULL},
    {"name", NULL, tun_name, NULL, NULL, NULL, napi_default, NULL},
    {"udpGso", NULL, tun_udp_gso, NULL, NULL, NULL, napi_default, NULL},
    {"ifconfig", NULL, tun_ifconfig, NULL, NULL, NULL, napi_default, NULL},
    {"readFlat", NULL, tun_read_flat, NULL, NULL, NULL, napi_default, NULL},
    {"writeFlat", NULL, tun_write_flat, NULL, NULL, NULL, napi_default, NULL},
    {"poll", NULL, tun_poll, NULL, NULL, NULL, napi_default, NULL},
    {"stats", NULL, tun_stats, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, tun_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value count;
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  CHECK(napi_create_int32(env, ST_COUNT, &count));
  CHECK(napi_set_named_property(env, exports, "STATS_COUNT", count));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
