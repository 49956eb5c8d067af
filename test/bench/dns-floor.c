// The socket API's floor for test/bench/dns64.mjs (SIXGATE_BENCH_VARIANTS=floor): a UDP
// server that does no DNS work at all. It answers every query with the question it was
// asked plus one AAAA record (an answer of the cached row's shape, without OPT), using
// the same I/O as sixgate's listener: one non-blocking socket, epoll, up to 64 datagrams
// per recvmmsg, the answers of a batch in one sendmmsg. Its CPU time per answer is what
// the kernel and the loop cost any engine that reads and writes through sockets: the
// least an answer can cost there, so the highest ratio to Unbound a socket server can reach.
//
//   dns-floor -a ADDRESS [-p port]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define SLOT 512

int main(int argc, char **argv) {
  const char *address = "127.0.0.10";
  int port = 53, c;
  while ((c = getopt(argc, argv, "a:p:")) != -1) {
    if (c == 'a') address = optarg;
    else if (c == 'p') port = atoi(optarg);
    else { fprintf(stderr, "bad option\n"); return 2; }
  }
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (s < 0 || inet_pton(AF_INET, address, &me.sin_addr) != 1) { perror("socket/address"); return 1; }
  int rcv = 1 << 20; // as sixgate and Unbound in the benchmark
  setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  if (bind(s, (struct sockaddr *)&me, sizeof me) < 0) { perror("bind"); return 1; }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN};
  epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
  static uint8_t rx[BATCH][SLOT], tx[BATCH][SLOT];
  static struct sockaddr_in from[BATCH];
  static struct iovec riov[BATCH], tiov[BATCH];
  static struct mmsghdr rmsg[BATCH], tmsg[BATCH];
  for (int i = 0; i < BATCH; i++) {
    riov[i] = (struct iovec){rx[i], SLOT};
    rmsg[i].msg_hdr = (struct msghdr){.msg_name = &from[i], .msg_namelen = sizeof from[i], .msg_iov = &riov[i], .msg_iovlen = 1};
    tiov[i] = (struct iovec){tx[i], 0};
  }
  printf("ready\n");
  fflush(stdout);
  for (;;) {
    if (epoll_wait(ep, &ev, 1, -1) < 0) continue;
    for (int round = 0; round < 16; round++) {
      for (int i = 0; i < BATCH; i++) rmsg[i].msg_hdr.msg_namelen = sizeof from[i];
      int n = recvmmsg(s, rmsg, BATCH, 0, NULL);
      if (n <= 0) break;
      int k = 0;
      for (int i = 0; i < n; i++) {
        unsigned len = rmsg[i].msg_len;
        if (len < 17 || rx[i][5] != 1) continue;
        unsigned o = 12;
        while (o < len && rx[i][o] != 0 && o < SLOT - 40) o += rx[i][o] + 1;
        o += 5; // root label, type, class
        if (o > len) continue;
        memcpy(tx[k], rx[i], o);
        tx[k][2] = 0x81; // QR, RD
        tx[k][3] = 0x80; // RA
        tx[k][6] = 0, tx[k][7] = 1; // ANCOUNT
        memset(tx[k] + 8, 0, 4);
        static const uint8_t aaaa[28] = {0xc0, 12, 0, 28, 0, 1, 0, 0, 1, 44, 0, 16, 0, 0x64, 0xff, 0x9b, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0, 2, 10};
        memcpy(tx[k] + o, aaaa, sizeof aaaa);
        tiov[k].iov_len = o + sizeof aaaa;
        tmsg[k].msg_hdr = (struct msghdr){.msg_name = &from[i], .msg_namelen = rmsg[i].msg_hdr.msg_namelen, .msg_iov = &tiov[k], .msg_iovlen = 1};
        k++;
      }
      if (k > 0) sendmmsg(s, tmsg, k, 0);
      if (n < BATCH) break;
    }
  }
}
