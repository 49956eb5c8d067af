// The UDP load generator of the data-path benchmark: one small C program
// (compiled with gcc at bench time into a temporary directory) with two modes.
//
//   udpgen send <dst> <port> <rate_pps> <seconds> <flows> [interleave]
//     paced sendmmsg of 64-byte payloads from <flows> source ports (one socket
//     each, round robin per batch, so a flow's datagrams leave in bursts as
//     from sendmmsg, QUIC or media senders); with "interleave", one sendmsg
//     per datagram, round robin per datagram (no two consecutive datagrams of
//     one flow: the worst case for coalescing). Rate 0 = as fast as possible.
//     Prints {"sent":N,"errors":E,"elapsed":S} on stdout.
//   udpgen recv <bind_addr> <port> <max_seconds> <idle_ms>
//     recvmmsg counter; exits <idle_ms> after the last packet (once one came)
//     or after <max_seconds>. Prints {"received":N,"span":S}.
//
// Pacing keeps a running debt (rate × elapsed − sent) and sends it in batches
// of at most 64; when nothing is due it sleeps until the next packet is due,
// so the sender uses little CPU below its maximum rate (the machine has only
// two vCPUs, shared with the translator and the receiver).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SOURCE = String.raw`
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define PAYLOAD 64
#define MAXFLOWS 64

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fill_addr(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
  struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
  if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6; s6->sin6_port = htons(port); *len = sizeof *s6; return AF_INET6;
  }
  if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET; s4->sin_port = htons(port); *len = sizeof *s4; return AF_INET;
  }
  return -1;
}

static int do_send(const char *host, int port, double rate, double secs, int flows, int interleave) {
  struct sockaddr_storage dst; socklen_t dlen;
  int fam = fill_addr(host, port, &dst, &dlen);
  if (fam < 0 || flows < 1 || flows > MAXFLOWS || secs <= 0 || secs > 60) { fprintf(stderr, "bad arguments\n"); return 2; }
  int fds[MAXFLOWS];
  for (int f = 0; f < flows; f++) {
    fds[f] = socket(fam, SOCK_DGRAM, 0);
    if (fds[f] < 0 || connect(fds[f], (struct sockaddr *)&dst, dlen) < 0) { perror("socket/connect"); return 1; }
    int sz = 4 << 20;
    setsockopt(fds[f], SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz);
  }
  static char payload[BATCH][PAYLOAD];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    memset(payload[i], 'x', PAYLOAD);
    iov[i].iov_base = payload[i]; iov[i].iov_len = PAYLOAD;
    msgs[i].msg_hdr.msg_iov = &iov[i]; msgs[i].msg_hdr.msg_iovlen = 1;
  }
  unsigned long long sent = 0, errors = 0, seq = 0;
  double t0 = now(), end = t0 + secs, t;
  int f = 0;
  while ((t = now()) < end) {
    long long due = rate > 0 ? (long long)((t - t0) * rate) - (long long)sent : BATCH;
    if (due <= 0) {
      double wait = (1.0 - (double)due) / rate;
      struct timespec ts = { (time_t)wait, (long)((wait - (time_t)wait) * 1e9) };
      nanosleep(&ts, NULL);
      continue;
    }
    int n = due > BATCH ? BATCH : (int)due;
    for (int i = 0; i < n; i++) memcpy(payload[i], &seq, sizeof seq), seq++;
    int r;
    if (interleave) {
      r = 0;
      for (int i = 0; i < n; i++, f = (f + 1) % flows) {
        if (sendmsg(fds[f], &msgs[i].msg_hdr, 0) < 0) { if (r == 0) r = -1; break; }
        r++;
      }
    } else {
      r = sendmmsg(fds[f], msgs, n, 0);
      f = (f + 1) % flows;
    }
    if (r < 0) { errors += n; sent += n; if (errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED) { perror("sendmmsg"); break; } continue; }
    sent += r;
    if (r < n) { errors += n - r; sent += n - r; }
  }
  printf("{\"sent\":%llu,\"errors\":%llu,\"elapsed\":%.6f}\n", sent - errors, errors, now() - t0);
  return 0;
}

static int do_recv(const char *host, int port, double max_secs, int idle_ms) {
  struct sockaddr_storage me; socklen_t mlen;
  int fam = fill_addr(host, port, &me, &mlen);
  if (fam < 0 || max_secs <= 0 || max_secs > 120 || idle_ms < 10) { fprintf(stderr, "bad arguments\n"); return 2; }
  int fd = socket(fam, SOCK_DGRAM, 0);
  int sz = 16 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz);
  if (bind(fd, (struct sockaddr *)&me, mlen) < 0) { perror("bind"); return 1; }
  struct timeval tv = { 0, 100000 };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  static char bufs[BATCH][2048];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = bufs[i]; iov[i].iov_len = sizeof bufs[i];
    msgs[i].msg_hdr.msg_iov = &iov[i]; msgs[i].msg_hdr.msg_iovlen = 1;
  }
  printf("ready\n");
  fflush(stdout);
  unsigned long long got = 0;
  double t0 = now(), first = 0, last = 0, t;
  while ((t = now()) < t0 + max_secs) {
    if (got > 0 && (t - last) * 1000 > idle_ms) break;
    int r = recvmmsg(fd, msgs, BATCH, 0, NULL);
    if (r > 0) {
      last = now();
      if (got == 0) first = last;
      got += r;
    }
  }
  printf("{\"received\":%llu,\"span\":%.6f}\n", got, got ? last - first : 0.0);
  return 0;
}

int main(int argc, char **argv) {
  if ((argc == 7 || (argc == 8 && !strcmp(argv[7], "interleave"))) && !strcmp(argv[1], "send"))
    return do_send(argv[2], atoi(argv[3]), atof(argv[4]), atof(argv[5]), atoi(argv[6]), argc == 8);
  if (argc == 6 && !strcmp(argv[1], "recv")) return do_recv(argv[2], atoi(argv[3]), atof(argv[4]), atoi(argv[5]));
  fprintf(stderr, "usage: udpgen send DST PORT RATE SECONDS FLOWS [interleave] | udpgen recv BIND PORT MAXSECONDS IDLEMS\n");
  return 2;
}
`;

/** Compiles the generator into a fresh temporary directory; returns the binary's path. */
export function buildUdpgen() {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-udpgen-'));
  const src = join(dir, 'udpgen.c');
  const bin = join(dir, 'udpgen');
  writeFileSync(src, SOURCE);
  const r = spawnSync('gcc', ['-O2', '-Wall', '-o', bin, src], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`gcc is needed to build the UDP load generator: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`compiling the UDP load generator failed:\n${r.stderr}`);
  return { dir, bin };
}
