/*
 * Batched UDP for clusterdns: recvmmsg/sendmmsg on a non-blocking socket polled by libuv.
 *
 * See index.ts for why this exists and how JS drives it. One socket per open(); all state hangs off
 * that socket (no globals), so the addon loads in several worker threads at once (NAPI_MODULE_INIT).
 *
 * Shared memory: JS allocates one ArrayBuffer of SHARED_SIZE bytes and passes it to open(); C keeps a
 * reference to it. Layout (offsets exported to JS as constants):
 *   RECV_DATA  SLOTS x SLOT_SIZE   datagram bytes as received
 *   RECV_META  SLOTS x META_SIZE   per datagram: [0,32) sockaddr, @32 int32 length (-1: truncated),
 *                                  @36 int32 port, @40 uint32 IPv4 address as stored in sin_addr
 *                                  (0 for IPv6), @44 int32 text length, @48 address text (<= 46)
 *   SEND_DATA  SLOTS x SLOT_SIZE   replies queued by JS
 *   SEND_META  SLOTS x META_SIZE   per reply: [0,32) destination sockaddr, @32 int32 length
 *
 * Datagrams larger than a slot (up to MAX_DATAGRAM, as node:dgram's 64 KiB receive buffer takes):
 * each receive slot has a second iovec into an overflow area of SLOTS x OVERFLOW_STRIDE bytes that
 * only C holds, mapped without reserving memory, so its pages cost RSS only when a large datagram
 * lands in them; a datagram's length then exceeds SLOT_SIZE and JS fetches the rest with
 * copyOverflow(handle, slot, target) during the batch. After a batch that used it, the touched
 * pages are given back (MADV_DONTNEED), so a flood of large datagrams leaves memory flat.
 *
 * Every length coming from JS is checked against the slot before use.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define SLOTS 64
#define SLOT_SIZE 4096
#define MAX_DATAGRAM 65535
#define OVERFLOW_SIZE (MAX_DATAGRAM - SLOT_SIZE)
#define OVERFLOW_STRIDE 61440 /* OVERFLOW_SIZE rounded up to whole 4 KiB pages */
#define META_SIZE 96
#define SA_SIZE 32
#define M_LEN 32
#define M_PORT 36
#define M_V4 40
#define M_TEXTLEN 44
#define M_TEXT 48
#define RECV_DATA 0
#define RECV_META (RECV_DATA + SLOTS * SLOT_SIZE)
#define SEND_DATA (RECV_META + SLOTS * META_SIZE)
#define SEND_META (SEND_DATA + SLOTS * SLOT_SIZE)
#define SHARED_SIZE (SEND_META + SLOTS * META_SIZE)
#define MAX_BATCHES 8      /* recvmmsg calls per readable event before yielding to the loop */
#define MAX_PENDING 4096   /* replies kept while the socket's send buffer is full; more are dropped */

typedef struct {
  struct sockaddr_storage sa;
  socklen_t salen;
  size_t len;
  unsigned char *data;
} pending_t;

typedef struct {
  napi_env env;
  uv_poll_t poll;
  int fd;
  int family;
  int closing;          /* close started: no more reads, sends or JS calls */
  int uv_closed;        /* uv_close callback ran (or the poll handle was never initialised) */
  int finalized;        /* the JS handle was collected */
  int writable;         /* polling for UV_WRITABLE too */
  unsigned char *shared;
  napi_ref shared_ref;
  napi_ref cb_ref;
  napi_async_context actx;
  napi_async_cleanup_hook_handle cleanup;
  struct mmsghdr rmsgs[SLOTS];
  struct iovec riov[SLOTS * 2];  /* per slot: its part of the shared buffer, then its overflow */
  unsigned char *overflow;       /* SLOTS x OVERFLOW_STRIDE, or NULL (then larger datagrams are truncated) */
  int overflow_used;             /* a datagram of this batch spilled into the overflow */
  struct mmsghdr smsgs[SLOTS];
  struct iovec siov[SLOTS];
  pending_t *pend;
  size_t pend_head, pend_len, pend_cap;
  double dropped;       /* replies dropped: send errors, or the pending queue full */
} sock_t;

#define CHECK(call)                                                    \
  do {                                                                 \
    if ((call) != napi_ok) {                                           \
      napi_throw_error(env, NULL, "clusterdns udp: " #call " failed"); \
      return NULL;                                                     \
    }                                                                  \
  } while (0)

static napi_value throw_errno(napi_env env, const char *syscall, int err, const char *address, int port) {
  char msg[160];
  const char *name = uv_err_name(-err);
  snprintf(msg, sizeof msg, "%s %s %s:%d", syscall, name, address, port);
  napi_value code, text, error;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &error);
  napi_value errnoval;
  napi_create_int32(env, -err, &errnoval);
  napi_set_named_property(env, error, "errno", errnoval);
  napi_throw(env, error);
  return NULL;
}

static void maybe_free(sock_t *s) {
  if (!s->uv_closed || !s->finalized) return;
  if (s->overflow) munmap(s->overflow, (size_t)SLOTS * OVERFLOW_STRIDE);
  for (size_t i = s->pend_head; i < s->pend_len; i++) free(s->pend[i].data);
  free(s->pend);
  free(s);
}

static void on_uv_closed(uv_handle_t *h) {
  sock_t *s = h->data;
  napi_env env = s->env;
  if (s->shared_ref) napi_delete_reference(env, s->shared_ref);
  if (s->cb_ref) napi_delete_reference(env, s->cb_ref);
  if (s->actx) napi_async_destroy(env, s->actx);
  s->shared_ref = s->cb_ref = NULL;
  s->actx = NULL;
  s->shared = NULL;
  napi_async_cleanup_hook_handle hook = s->cleanup;
  s->cleanup = NULL;
  s->uv_closed = 1;
  maybe_free(s);
  if (hook) napi_remove_async_cleanup_hook(hook);
}

/* Stop polling and close the descriptor now (the port is free when this returns); the poll handle's
 * memory goes in uv_close's callback. */
static void start_close(sock_t *s) {
  if (s->closing) return;
  s->closing = 1;
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, on_uv_closed); /* stops polling now; libuv never closes the fd */
  close(s->fd);
  s->fd = -1;
}

static void on_env_cleanup(napi_async_cleanup_hook_handle hook, void *arg) {
  sock_t *s = arg;
  (void)hook;
  if (s->closing) return; /* on_uv_closed will remove the hook */
  start_close(s);
}

static void finalize(napi_env env, void *data, void *hint) {
  sock_t *s = data;
  (void)env;
  (void)hint;
  s->finalized = 1;
  if (!s->closing) start_close(s);
  maybe_free(s);
}

/* ---- sending ---- */

static void on_poll(uv_poll_t *h, int status, int events);

static int is_again(int e) { return e == EAGAIN || e == EWOULDBLOCK; }

static void set_writable(sock_t *s, int on) {
  if (s->closing || s->writable == on) return;
  s->writable = on;
  uv_poll_start(&s->poll, on ? UV_READABLE | UV_WRITABLE : UV_READABLE, on_poll);
}

static void queue_pending(sock_t *s, const struct msghdr *h) {
  if (s->pend_len - s->pend_head >= MAX_PENDING) { s->dropped++; return; }
  if (s->pend_len == s->pend_cap) {
    if (s->pend_head > 0) {
      memmove(s->pend, s->pend + s->pend_head, (s->pend_len - s->pend_head) * sizeof(pending_t));
      s->pend_len -= s->pend_head;
      s->pend_head = 0;
    } else {
      size_t cap = s->pend_cap ? s->pend_cap * 2 : 64;
      pending_t *p = realloc(s->pend, cap * sizeof(pending_t));
      if (!p) { s->dropped++; return; }
      s->pend = p;
      s->pend_cap = cap;
    }
  }
  size_t len = h->msg_iov[0].iov_len;
  unsigned char *data = malloc(len ? len : 1);
  if (!data) { s->dropped++; return; }
  memcpy(data, h->msg_iov[0].iov_base, len);
  pending_t *p = &s->pend[s->pend_len++];
  memset(&p->sa, 0, sizeof p->sa);
  memcpy(&p->sa, h->msg_name, h->msg_namelen);
  p->salen = h->msg_namelen;
  p->len = len;
  p->data = data;
  set_writable(s, 1);
}

/* Send msgs[0..n): one sendmmsg when the kernel takes them all. A message the kernel refuses is
 * dropped (as node:dgram drops it); on EAGAIN the rest waits for the socket to become writable. */
static void send_msgs(sock_t *s, struct mmsghdr *msgs, unsigned n) {
  unsigned i = 0;
  if (s->pend_len > s->pend_head) {
    for (; i < n; i++) queue_pending(s, &msgs[i].msg_hdr);
    return;
  }
  while (i < n) {
    int r = sendmmsg(s->fd, msgs + i, n - i, MSG_DONTWAIT);
    if (r > 0) { i += (unsigned)r; continue; }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && is_again(errno)) {
      for (; i < n; i++) queue_pending(s, &msgs[i].msg_hdr);
      return;
    }
    s->dropped++; /* this message failed (unreachable, too big, ...): skip it */
    i++;
  }
}

static void drain_pending(sock_t *s) {
  while (s->pend_len > s->pend_head && !s->closing) {
    unsigned n = 0;
    for (size_t k = s->pend_head; k < s->pend_len && n < SLOTS; k++, n++) {
      pending_t *p = &s->pend[k];
      s->siov[n].iov_base = p->data;
      s->siov[n].iov_len = p->len;
      memset(&s->smsgs[n], 0, sizeof s->smsgs[n]);
      s->smsgs[n].msg_hdr.msg_name = &p->sa;
      s->smsgs[n].msg_hdr.msg_namelen = p->salen;
      s->smsgs[n].msg_hdr.msg_iov = &s->siov[n];
      s->smsgs[n].msg_hdr.msg_iovlen = 1;
    }
    int r = sendmmsg(s->fd, s->smsgs, n, MSG_DONTWAIT);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && is_again(errno)) return; /* still full: wait for the next writable event */
    unsigned done = r > 0 ? (unsigned)r : 1;
    if (r <= 0) s->dropped++;
    for (unsigned k = 0; k < done; k++) free(s->pend[s->pend_head + k].data);
    s->pend_head += done;
  }
  s->pend_head = s->pend_len = 0;
  set_writable(s, 0);
}

static int salen_of(sock_t *s, const unsigned char *sa) {
  sa_family_t fam;
  memcpy(&fam, sa, sizeof fam);
  if (fam != s->family) return -1;
  return fam == AF_INET ? (int)sizeof(struct sockaddr_in) : (int)sizeof(struct sockaddr_in6);
}

/* ---- receiving ---- */

static void read_batches(sock_t *s) {
  napi_env env = s->env;
  for (int b = 0; b < MAX_BATCHES && !s->closing; b++) {
    unsigned char *meta = s->shared + RECV_META;
    for (unsigned i = 0; i < SLOTS; i++) {
      struct msghdr *h = &s->rmsgs[i].msg_hdr;
      h->msg_name = meta + i * META_SIZE;
      h->msg_namelen = SA_SIZE;
      h->msg_iov = &s->riov[2 * i];
      h->msg_iovlen = s->overflow ? 2 : 1;
      h->msg_control = NULL;
      h->msg_controllen = 0;
      h->msg_flags = 0;
      s->riov[2 * i].iov_base = s->shared + RECV_DATA + i * SLOT_SIZE;
      s->riov[2 * i].iov_len = SLOT_SIZE;
      if (s->overflow) {
        s->riov[2 * i + 1].iov_base = s->overflow + (size_t)i * OVERFLOW_STRIDE;
        s->riov[2 * i + 1].iov_len = OVERFLOW_SIZE;
      }
    }
    int n = recvmmsg(s->fd, s->rmsgs, SLOTS, MSG_DONTWAIT, NULL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    for (int i = 0; i < n; i++) {
      unsigned char *m = meta + i * META_SIZE;
      struct msghdr *h = &s->rmsgs[i].msg_hdr;
      size_t room = s->overflow ? MAX_DATAGRAM : SLOT_SIZE;
      int32_t len = (h->msg_flags & MSG_TRUNC) || s->rmsgs[i].msg_len > room ? -1 : (int32_t)s->rmsgs[i].msg_len;
      if (len > SLOT_SIZE) s->overflow_used = 1;
      int32_t port = 0, textlen = 0;
      uint32_t v4 = 0;
      char *text = (char *)(m + M_TEXT);
      sa_family_t fam;
      memcpy(&fam, m, sizeof fam);
      if (fam == AF_INET && h->msg_namelen >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in sin;
        memcpy(&sin, m, sizeof sin);
        port = ntohs(sin.sin_port);
        v4 = sin.sin_addr.s_addr;
        if (inet_ntop(AF_INET, &sin.sin_addr, text, META_SIZE - M_TEXT)) textlen = (int32_t)strlen(text);
      } else if (fam == AF_INET6 && h->msg_namelen >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 sin6;
        memcpy(&sin6, m, sizeof sin6);
        port = ntohs(sin6.sin6_port);
        if (inet_ntop(AF_INET6, &sin6.sin6_addr, text, META_SIZE - M_TEXT)) textlen = (int32_t)strlen(text);
      } else {
        len = -1; /* no usable source address: cannot answer */
      }
      memcpy(m + M_LEN, &len, 4);
      memcpy(m + M_PORT, &port, 4);
      memcpy(m + M_V4, &v4, 4);
      memcpy(m + M_TEXTLEN, &textlen, 4);
    }
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return;
    napi_value cb, recv, argv[1];
    napi_get_reference_value(env, s->cb_ref, &cb);
    napi_get_global(env, &recv);
    napi_create_int32(env, n, &argv[0]);
    napi_status st = napi_make_callback(env, s->actx, recv, cb, 1, argv, NULL);
    if (s->overflow_used && s->overflow) {
      /* JS copied what it needed during the callback: give the touched pages back */
      madvise(s->overflow, (size_t)SLOTS * OVERFLOW_STRIDE, MADV_DONTNEED);
      s->overflow_used = 0;
    }
    if (st == napi_pending_exception) {
      napi_value e;
      napi_get_and_clear_last_exception(env, &e);
      napi_fatal_exception(env, e);
      napi_close_handle_scope(env, scope);
      return;
    }
    napi_close_handle_scope(env, scope);
    if (n < SLOTS) return; /* drained: the next readable event brings more */
  }
}

static void on_poll(uv_poll_t *h, int status, int events) {
  sock_t *s = h->data;
  if (s->closing) return;
  if (status < 0) {
    /* libuv stops the handle on POLLERR: clear the socket's pending error and poll again. */
    int err = 0;
    socklen_t elen = sizeof err;
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &elen);
    uv_poll_start(&s->poll, s->writable ? UV_READABLE | UV_WRITABLE : UV_READABLE, on_poll);
    return;
  }
  if (events & UV_WRITABLE) drain_pending(s);
  if (events & UV_READABLE) read_batches(s);
}

/* ---- JS API ---- */

static sock_t *unwrap(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || !p) {
    napi_throw_type_error(env, NULL, "clusterdns udp: not a socket handle");
    return NULL;
  }
  return p;
}

/* open(address, port, reusePort, shared: ArrayBuffer, onBatch(n)) → [handle, boundPort, boundAddress] */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) { napi_throw_type_error(env, NULL, "open: 5 arguments"); return NULL; }
  char address[128];
  size_t alen = 0;
  if (napi_get_value_string_utf8(env, argv[0], address, sizeof address, &alen) != napi_ok || alen >= sizeof address - 1) {
    napi_throw_type_error(env, NULL, "open: address must be a short string");
    return NULL;
  }
  int32_t port = 0;
  bool reuse = false;
  CHECK(napi_get_value_int32(env, argv[1], &port));
  CHECK(napi_get_value_bool(env, argv[2], &reuse));
  if (port < 0 || port > 65535) { napi_throw_range_error(env, NULL, "open: port out of range"); return NULL; }
  void *shared = NULL;
  size_t shared_len = 0;
  bool isab = false;
  napi_is_arraybuffer(env, argv[3], &isab);
  if (!isab || napi_get_arraybuffer_info(env, argv[3], &shared, &shared_len) != napi_ok || shared_len < SHARED_SIZE) {
    napi_throw_type_error(env, NULL, "open: shared must be an ArrayBuffer of SHARED_SIZE bytes");
    return NULL;
  }
  napi_valuetype t;
  CHECK(napi_typeof(env, argv[4], &t));
  if (t != napi_function) { napi_throw_type_error(env, NULL, "open: onBatch must be a function"); return NULL; }

  struct sockaddr_storage ss;
  socklen_t sslen;
  memset(&ss, 0, sizeof ss);
  int family;
  if (strchr(address, ':')) {
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    char host[128];
    memcpy(host, address, alen + 1);
    char *pct = strchr(host, '%');
    if (pct) {
      *pct = 0;
      const char *zone = pct + 1;
      char *end;
      unsigned long idx = strtoul(zone, &end, 10);
      a6->sin6_scope_id = (*zone && !*end) ? (uint32_t)idx : if_nametoindex(zone);
      if (!a6->sin6_scope_id) goto notip;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1) goto notip;
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    family = AF_INET6;
    sslen = sizeof *a6;
  } else {
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    if (inet_pton(AF_INET, address, &a4->sin_addr) != 1) goto notip;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    family = AF_INET;
    sslen = sizeof *a4;
  }

  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno, address, port);
  int one = 1;
  if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) goto fail_bind;
  if (reuse) {
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) goto fail_bind;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) goto fail_bind;
  }
  if (bind(fd, (struct sockaddr *)&ss, sslen) < 0) goto fail_bind;
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  if (getsockname(fd, (struct sockaddr *)&bound, &blen) < 0) goto fail_bind;
  char btext[INET6_ADDRSTRLEN + 1];
  int bport;
  if (family == AF_INET) {
    struct sockaddr_in *b4 = (struct sockaddr_in *)&bound;
    inet_ntop(AF_INET, &b4->sin_addr, btext, sizeof btext);
    bport = ntohs(b4->sin_port);
  } else {
    struct sockaddr_in6 *b6 = (struct sockaddr_in6 *)&bound;
    inet_ntop(AF_INET6, &b6->sin6_addr, btext, sizeof btext);
    bport = ntohs(b6->sin6_port);
  }

  sock_t *s = calloc(1, sizeof *s);
  if (!s) { close(fd); napi_throw_error(env, "ENOMEM", "open: out of memory"); return NULL; }
  s->env = env;
  s->fd = fd;
  s->family = family;
  s->shared = shared;
  s->uv_closed = 1; /* until the poll handle exists */
  void *ov = mmap(NULL, (size_t)SLOTS * OVERFLOW_STRIDE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  s->overflow = ov == MAP_FAILED ? NULL : ov;
  uv_loop_t *loop = NULL;
  napi_value name, handle;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop || uv_poll_init(loop, &s->poll, fd) != 0) {
    close(fd);
    if (s->overflow) munmap(s->overflow, (size_t)SLOTS * OVERFLOW_STRIDE);
    free(s);
    napi_throw_error(env, NULL, "open: cannot poll the socket");
    return NULL;
  }
  s->uv_closed = 0;
  s->poll.data = s;
  napi_create_reference(env, argv[3], 1, &s->shared_ref);
  napi_create_reference(env, argv[4], 1, &s->cb_ref);
  napi_create_string_utf8(env, "clusterdns:udp", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &s->actx);
  napi_add_async_cleanup_hook(env, on_env_cleanup, s, &s->cleanup);
  if (napi_create_external(env, s, finalize, NULL, &handle) != napi_ok) {
    s->finalized = 1;
    start_close(s);
    napi_throw_error(env, NULL, "open: cannot create the handle");
    return NULL;
  }
  uv_poll_start(&s->poll, UV_READABLE, on_poll);

  napi_value out, pv, av;
  CHECK(napi_create_array_with_length(env, 3, &out));
  CHECK(napi_create_int32(env, bport, &pv));
  CHECK(napi_create_string_latin1(env, btext, NAPI_AUTO_LENGTH, &av));
  CHECK(napi_set_element(env, out, 0, handle));
  CHECK(napi_set_element(env, out, 1, pv));
  CHECK(napi_set_element(env, out, 2, av));
  return out;

fail_bind: {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err, address, port);
  }
notip: {
    napi_value code, text, error;
    napi_create_string_utf8(env, "ENOTIP", NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, "open: not a numeric IP address", NAPI_AUTO_LENGTH, &text);
    napi_create_error(env, code, text, &error);
    napi_throw(env, error);
    return NULL;
  }
}

/* flush(handle, count): send replies 0..count of the send area (one sendmmsg). */
static napi_value js_flush(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  int32_t count = 0;
  CHECK(napi_get_value_int32(env, argv[1], &count));
  if (s->closing || count <= 0) return NULL;
  if (count > SLOTS) count = SLOTS;
  unsigned n = 0;
  for (int i = 0; i < count; i++) {
    unsigned char *m = s->shared + SEND_META + i * META_SIZE;
    int32_t len;
    memcpy(&len, m + M_LEN, 4);
    int salen = salen_of(s, m);
    if (len < 0 || len > SLOT_SIZE || salen < 0) { s->dropped++; continue; }
    s->siov[n].iov_base = s->shared + SEND_DATA + i * SLOT_SIZE;
    s->siov[n].iov_len = (size_t)len;
    memset(&s->smsgs[n], 0, sizeof s->smsgs[n]);
    s->smsgs[n].msg_hdr.msg_name = m;
    s->smsgs[n].msg_hdr.msg_namelen = (socklen_t)salen;
    s->smsgs[n].msg_hdr.msg_iov = &s->siov[n];
    s->smsgs[n].msg_hdr.msg_iovlen = 1;
    n++;
  }
  if (n) send_msgs(s, s->smsgs, n);
  return NULL;
}

/* sendOne(handle, bytes: Uint8Array, sockaddr: Uint8Array(32)): a reply too large for a slot. */
static napi_value js_send_one(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  bool ok1 = false, ok2 = false;
  napi_is_typedarray(env, argv[1], &ok1);
  napi_is_typedarray(env, argv[2], &ok2);
  if (argc < 3 || !ok1 || !ok2) { napi_throw_type_error(env, NULL, "sendOne: typed arrays"); return NULL; }
  napi_typedarray_type t1, t2;
  size_t n1, n2, o1, o2;
  void *d1, *d2;
  napi_value ab;
  CHECK(napi_get_typedarray_info(env, argv[1], &t1, &n1, &d1, &ab, &o1));
  CHECK(napi_get_typedarray_info(env, argv[2], &t2, &n2, &d2, &ab, &o2));
  if (t1 != napi_uint8_array || (t2 != napi_uint8_array && t2 != napi_uint32_array)) {
    napi_throw_type_error(env, NULL, "sendOne: Uint8Array data, Uint8Array/Uint32Array address");
    return NULL;
  }
  size_t sabytes = t2 == napi_uint32_array ? n2 * 4 : n2;
  if (s->closing) return NULL;
  if (sabytes < SA_SIZE || n1 > 65535) { s->dropped++; return NULL; }
  unsigned char sa[SA_SIZE];
  memcpy(sa, d2, SA_SIZE);
  int salen = salen_of(s, sa);
  if (salen < 0) { s->dropped++; return NULL; }
  struct iovec iov = { .iov_base = d1, .iov_len = n1 };
  struct mmsghdr m;
  memset(&m, 0, sizeof m);
  m.msg_hdr.msg_name = sa;
  m.msg_hdr.msg_namelen = (socklen_t)salen;
  m.msg_hdr.msg_iov = &iov;
  m.msg_hdr.msg_iovlen = 1;
  send_msgs(s, &m, 1);
  return NULL;
}

/* copyOverflow(handle, slot, target: Uint8Array): the bytes past SLOT_SIZE of the datagram received
 * in `slot` of the current batch, into target (at most target's length); returns the count copied. */
static napi_value js_copy_overflow(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) { napi_throw_type_error(env, NULL, "copyOverflow: 3 arguments"); return NULL; }
  sock_t *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  int32_t slot = 0;
  CHECK(napi_get_value_int32(env, argv[1], &slot));
  bool ok = false;
  napi_is_typedarray(env, argv[2], &ok);
  if (!ok) { napi_throw_type_error(env, NULL, "copyOverflow: target must be a Uint8Array"); return NULL; }
  napi_typedarray_type t;
  size_t n, off;
  void *d;
  napi_value ab;
  CHECK(napi_get_typedarray_info(env, argv[2], &t, &n, &d, &ab, &off));
  if (t != napi_uint8_array) { napi_throw_type_error(env, NULL, "copyOverflow: target must be a Uint8Array"); return NULL; }
  size_t copied = 0;
  if (!s->closing && s->overflow && slot >= 0 && slot < SLOTS) {
    unsigned char *m = s->shared + RECV_META + slot * META_SIZE;
    int32_t len;
    memcpy(&len, m + M_LEN, 4);
    if (len > SLOT_SIZE && len <= MAX_DATAGRAM) {
      copied = (size_t)len - SLOT_SIZE;
      if (copied > n) copied = n;
      memcpy(d, s->overflow + (size_t)slot * OVERFLOW_STRIDE, copied);
    }
  }
  napi_value out;
  CHECK(napi_create_uint32(env, (uint32_t)copied, &out));
  return out;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  start_close(s);
  return NULL;
}

/* stats(handle) → [replies dropped, replies waiting for the socket to become writable] */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  napi_value out, a, b;
  CHECK(napi_create_array_with_length(env, 2, &out));
  CHECK(napi_create_double(env, s->dropped, &a));
  CHECK(napi_create_double(env, (double)(s->pend_len - s->pend_head), &b));
  CHECK(napi_set_element(env, out, 0, a));
  CHECK(napi_set_element(env, out, 1, b));
  return out;
}

static void set_int(napi_env env, napi_value obj, const char *name, int v) {
  napi_value n;
  napi_create_int32(env, v, &n);
  napi_set_named_property(env, obj, name, n);
}

static void set_fn(napi_env env, napi_value obj, const char *name, napi_callback cb) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &f);
  napi_set_named_property(env, obj, name, f);
}

NAPI_MODULE_INIT() {
  set_fn(env, exports, "open", js_open);
  set_fn(env, exports, "flush", js_flush);
  set_fn(env, exports, "sendOne", js_send_one);
  set_fn(env, exports, "copyOverflow", js_copy_overflow);
  set_fn(env, exports, "close", js_close);
  set_fn(env, exports, "stats", js_stats);
  set_int(env, exports, "SLOTS", SLOTS);
  set_int(env, exports, "SLOT_SIZE", SLOT_SIZE);
  set_int(env, exports, "MAX_DATAGRAM", MAX_DATAGRAM);
  set_int(env, exports, "META_SIZE", META_SIZE);
  set_int(env, exports, "RECV_DATA", RECV_DATA);
  set_int(env, exports, "RECV_META", RECV_META);
  set_int(env, exports, "SEND_DATA", SEND_DATA);
  set_int(env, exports, "SEND_META", SEND_META);
  set_int(env, exports, "SHARED_SIZE", SHARED_SIZE);
  set_int(env, exports, "M_LEN", M_LEN);
  set_int(env, exports, "M_PORT", M_PORT);
  set_int(env, exports, "M_V4", M_V4);
  set_int(env, exports, "M_TEXTLEN", M_TEXTLEN);
  set_int(env, exports, "M_TEXT", M_TEXT);
  set_int(env, exports, "SA_SIZE", SA_SIZE);
  return exports;
}
