// A small DNS load generator for test/bench/dns64.mjs: like dnsperf, but it
// sends from many source addresses (one UDP socket bound to each), so a
// resolver's per-client state (rate limiter, client cache) sees a LAN rather
// than one host. One thread, epoll, a window of outstanding queries or a fixed
// rate; every answer's latency kept and reported as p50/p99/max.
//
//   dns-sender -s SERVER -b FIRST_SOURCE -n SOURCES -m cached|uncached
//              [-N name] [-t tag] [-l seconds] [-Q rate] [-w window] [-T timeout_ms]
//              [-D dump_file]
//
// Sources are FIRST_SOURCE, FIRST_SOURCE+1, ... (IPv4, e.g. 127.1.0.1 inside a
// namespace: all of 127/8 is local). Cached mode asks one name (AAAA) over and
// over; uncached asks u<i>-<tag>.bench.example.org, a new name per query.
// Output: one line "sent= answered= noerror= tc= lost= seconds= qps= p50= p99= max=" (ms).
// With -D, every answer is also written to dump_file as "sent_us latency_us" (sent_us
// from the start), so the slow answers of a run can be told apart: clustered in time (a
// pause of the server) or spread out (scheduling).
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOURCES 65536
#define SLOTS 65536

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct slot {
  double sent;
  int sock;
  int used;
};

static struct slot slots[SLOTS];
static int free_ids[SLOTS];
static int free_top = 0;

static int encode_name(const char *name, uint8_t *out) {
  int o = 0;
  const char *p = name;
  while (*p) {
    const char *dot = strchr(p, '.');
    int len = dot ? (int)(dot - p) : (int)strlen(p);
    out[o++] = (uint8_t)len;
    memcpy(out + o, p, len);
    o += len;
    p += len;
    if (*p == '.') p++;
  }
  out[o++] = 0;
  return o;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  const char *dump = NULL;
  const char *server = "127.0.0.3", *first = "127.1.0.1", *mode = "cached", *name = "v4only.example.org", *tag = "x";
  int sources = 1, port = 53, window = 400, timeout_ms = 2000;
  double seconds = 8, rate = 0;
  int c;
  while ((c = getopt(argc, argv, "s:p:b:n:m:N:t:l:Q:w:T:D:")) != -1) {
    switch (c) {
      case 's': server = optarg; break;
      case 'p': port = atoi(optarg); break;
      case 'b': first = optarg; break;
      case 'n': sources = atoi(optarg); break;
      case 'm': mode = optarg; break;
      case 'N': name = optarg; break;
      case 't': tag = optarg; break;
      case 'l': seconds = atof(optarg); break;
      case 'Q': rate = atof(optarg); break;
      case 'w': window = atoi(optarg); break;
      case 'T': timeout_ms = atoi(optarg); break;
      case 'D': dump = optarg; break;
      default: fprintf(stderr, "bad option\n"); return 2;
    }
  }
  if (sources < 1 || sources > MAX_SOURCES || window < 1 || window > SLOTS - 1) {
    fprintf(stderr, "sources 1..%d, window 1..%d\n", MAX_SOURCES, SLOTS - 1);
    return 2;
  }
  int uncached = strcmp(mode, "uncached") == 0;
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (inet_pton(AF_INET, server, &to.sin_addr) != 1) { fprintf(stderr, "bad server\n"); return 2; }
  struct in_addr base;
  if (inet_pton(AF_INET, first, &base) != 1) { fprintf(stderr, "bad source\n"); return 2; }
  int ep = epoll_create1(0);
  int *socks = calloc(sources, sizeof(int));
  for (int i = 0; i < sources; i++) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (s < 0) { perror("socket"); return 1; }
    int rcv = 1 << 20;
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = 0};
    from.sin_addr.s_addr = htonl(ntohl(base.s_addr) + (uint32_t)i);
    if (bind(s, (struct sockaddr *)&from, sizeof from) < 0) { perror("bind"); return 1; }
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
    socks[i] = s;
  }
  for (int i = SLOTS - 1; i >= 0; i--) free_ids[free_top++] = i;
  size_t lat_cap = 1 << 22, lat_n = 0;
  uint32_t *lat = malloc(lat_cap * sizeof(uint32_t));
  FILE *dumpf = dump ? fopen(dump, "w") : NULL;
  if (dump && !dumpf) { perror("dump file"); return 1; }
  uint64_t sent = 0, answered = 0, noerror = 0, tc = 0, lost = 0, seq = 0;
  int outstanding = 0, rr = 0;
  uint8_t q[512], buf[4096];
  char qname[300];
  struct epoll_event evs[256];
  double start = now_s(), end = start + seconds, last_expire = start, last_answer = start;
  for (;;) {
    double t = now_s();
    if (t >= end && outstanding == 0) break;
    if (t >= end + timeout_ms / 1000.0 + 0.1) break;
    // Send: keep the window full, or follow the rate (never above the window).
    while (t < end && outstanding < window && (rate <= 0 || sent < (uint64_t)((t - start) * rate) + 1)) {
      int id = free_ids[--free_top];
      if (uncached) snprintf(qname, sizeof qname, "u%llu-%s.bench.example.org", (unsigned long long)seq++, tag);
      const char *nm = uncached ? qname : name;
      memset(q, 0, 12);
      q[0] = id >> 8;
      q[1] = id & 0xff;
      q[2] = 0x01; // RD
      q[5] = 1;    // QDCOUNT
      int o = 12 + encode_name(nm, q + 12);
      q[o++] = 0; q[o++] = 28; // AAAA
      q[o++] = 0; q[o++] = 1;  // IN
      int s = rr++ % sources;
      if (sendto(socks[s], q, o, 0, (struct sockaddr *)&to, sizeof to) != o) {
        free_ids[free_top++] = id;
        break; // socket buffer full: try again after reading
      }
      slots[id] = (struct slot){.sent = now_s(), .sock = s, .used = 1};
      outstanding++;
      sent++;
      if (rate > 0) t = now_s();
    }
    int n;
    if (rate > 0) {
      // Fixed rate: wait for answers until the next send is due (at most 1 ms), so an answer is
      // timestamped when it arrives, not when a sleep ends (that quantized latencies to the
      // send interval: 0.16, 0.40, 0.64, 0.80 ms at 5 000/s).
      double due = start + (sent + 1) / rate - now_s();
      if (due < 0) due = 0;
      if (due > 0.001) due = 0.001;
      struct timespec ts = {0, (long)(due * 1e9)};
      n = epoll_pwait2(ep, evs, 256, &ts, NULL);
    } else {
      n = epoll_wait(ep, evs, 256, 1);
    }
    for (int e = 0; e < n; e++) {
      int s = (int)evs[e].data.u32;
      for (;;) {
        ssize_t len = recv(socks[s], buf, sizeof buf, 0);
        if (len < 0) break;
        if (len < 12) continue;
        int id = (buf[0] << 8) | buf[1];
        if (!slots[id].used || slots[id].sock != s) continue;
        double rt = now_s();
        slots[id].used = 0;
        free_ids[free_top++] = id;
        outstanding--;
        answered++;
        last_answer = rt;
        if ((buf[3] & 0x0f) == 0) noerror++;
        if (buf[2] & 0x02) tc++;
        if (lat_n == lat_cap) {
          lat_cap *= 2;
          lat = realloc(lat, lat_cap * sizeof(uint32_t));
        }
        lat[lat_n++] = (uint32_t)((rt - slots[id].sent) * 1e6);
        if (dumpf) fprintf(dumpf, "%.0f %u\n", (slots[id].sent - start) * 1e6, lat[lat_n - 1]);
      }
    }
    t = now_s();
    if (t - last_expire > 0.01) {
      last_expire = t;
      for (int id = 0; id < SLOTS; id++) {
        if (slots[id].used && t - slots[id].sent > timeout_ms / 1000.0) {
          slots[id].used = 0;
          free_ids[free_top++] = id;
          outstanding--;
          lost++;
        }
      }
    }
  }
  if (dumpf) fclose(dumpf);
  double elapsed = (last_answer > end ? last_answer : end) - start;
  qsort(lat, lat_n, sizeof(uint32_t), cmp_u32);
  double p50 = lat_n ? lat[(size_t)(lat_n * 0.5)] / 1000.0 : -1;
  double p99 = lat_n ? lat[(size_t)(lat_n * 0.99) < lat_n ? (size_t)(lat_n * 0.99) : lat_n - 1] / 1000.0 : -1;
  double mx = lat_n ? lat[lat_n - 1] / 1000.0 : -1;
  printf("sent=%llu answered=%llu noerror=%llu tc=%llu lost=%llu seconds=%.3f qps=%.1f p50=%.3f p99=%.3f max=%.3f\n",
         (unsigned long long)sent, (unsigned long long)answered, (unsigned long long)noerror, (unsigned long long)tc,
         (unsigned long long)lost, elapsed, answered / elapsed, p50, p99, mx);
  return 0;
}
