/*
 * sg_poll.h - the scaffolding every sixgate addon shares: errors thrown with
 * errno/syscall, and one non-blocking fd watched by a uv_poll_t on the Node
 * loop that calls a JS function once per wake-up.
 *
 * Used by packages/tun (TUN device), packages/dns64 (batched UDP) and
 * packages/ra (raw ICMPv6); each binding.gyp adds this directory to its
 * include_dirs. Header-only (static functions), so every addon stays one
 * shared object with no extra link step.
 *
 * Ownership: an addon's handle struct embeds `sg_poller` as its FIRST member
 * and is allocated with calloc(). The struct is freed with free() once both
 * the JS external is finalized and the uv handle has finished closing,
 * whichever comes last (uv_close completes on a later loop turn).
 *
 * Before including, an addon may define SG_NATIVE_ERROR to the error code
 * SG_CHECK throws with when an N-API call fails.
 */
#ifndef SIXGATE_SG_POLL_H
#define SIXGATE_SG_POLL_H

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SG_NATIVE_ERROR
#define SG_NATIVE_ERROR "ERR_SIXGATE_NATIVE"
#endif

/* Returns NULL from the calling N-API function with a pending exception when `call` fails. */
#define SG_CHECK(call)                                                        \
  do {                                                                        \
    if ((call) != napi_ok) {                                                  \
      napi_throw_error(env, SG_NATIVE_ERROR, "N-API call failed: " #call);    \
      return NULL;                                                            \
    }                                                                         \
  } while (0)

typedef struct sg_poller {
  int fd;            /* -1 once closed */
  napi_env env;
  uv_poll_t poll;
  int poll_init;     /* uv_poll_init done, uv_close not yet finished */
  int poll_active;
  int finalized;     /* the JS external is gone; free on poll close */
  napi_ref callback;
  napi_async_context async;
  /* Held while the poll handle is open: lets a worker's teardown wait for
   * uv_close to finish before the addon is unloaded. */
  napi_async_cleanup_hook_handle cleanup;
  /* Counter bumped once per wake-up (a slot of the addon's stats), or NULL. */
  double *wakeups;
} sg_poller;

/*
 * Throws a plain Error whose message is "<syscall>: <strerror>", with numeric
 * `errno` and string `syscall` properties (the TypeScript wrappers map them
 * to their own error codes). Returns NULL for `return sg_throw_errno(...)`.
 */
static napi_value sg_throw_errno(napi_env env, int err, const char *syscall) {
  napi_value msg, error, num, sc;
  char text[160];
  snprintf(text, sizeof text, "%s: %s", syscall, strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &error);
  napi_create_int32(env, err, &num);
  napi_set_named_property(env, error, "errno", num);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, error, "syscall", sc);
  napi_throw(env, error);
  return NULL;
}

static void sg_free_if_done(sg_poller *p) {
  if (p->finalized && !p->poll_init) free(p);
}

static void sg_on_poll_closed(uv_handle_t *h) {
  sg_poller *p = (sg_poller *)h->data;
  p->poll_init = 0;
  if (p->cleanup != NULL) {
    napi_remove_async_cleanup_hook(p->cleanup);
    p->cleanup = NULL;
  }
  sg_free_if_done(p);
}

static void sg_close_poll(sg_poller *p) {
  if (p->poll_init && !uv_is_closing((uv_handle_t *)&p->poll)) {
    uv_poll_stop(&p->poll);
    p->poll_active = 0;
    uv_close((uv_handle_t *)&p->poll, sg_on_poll_closed);
  }
}

/*
 * Environment teardown (worker exit, process exit) with the poll still open:
 * close it now, while the loop still runs and this code is still mapped. The
 * hook is released in sg_on_poll_closed.
 */
static void sg_on_env_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  (void)handle;
  sg_poller *p = (sg_poller *)arg;
  sg_close_poll(p);
  if (p->fd >= 0) {
    close(p->fd);
    p->fd = -1;
  }
}

/* Stops readiness polling, drops the callback and closes the fd; idempotent. */
static void sg_poller_shutdown(napi_env env, sg_poller *p) {
  sg_close_poll(p);
  if (p->callback != NULL) {
    napi_delete_reference(env, p->callback);
    p->callback = NULL;
  }
  if (p->fd >= 0) {
    close(p->fd);
    p->fd = -1;
  }
}

/* napi_finalize for the external that wraps the handle. */
static void sg_poller_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  sg_poller *p = (sg_poller *)data;
  sg_poller_shutdown(env, p);
  /* Destroyed here, not in close(): close() may run inside this context's callback. */
  if (p->async != NULL) {
    napi_async_destroy(env, p->async);
    p->async = NULL;
  }
  p->finalized = 1;
  sg_free_if_done(p);
}

/*
 * Called by libuv when the fd is readable (status 0) or polling failed
 * (status < 0, a libuv error code): one JS call per wake-up with the status.
 * An exception thrown by the callback is reported as uncaught, like any
 * other callback's.
 */
static void sg_on_readable(uv_poll_t *h, int status, int events) {
  (void)events;
  sg_poller *p = (sg_poller *)h->data;
  napi_env env = p->env;
  napi_handle_scope scope;
  napi_value fn, recv, arg, result;
  if (p->callback == NULL) return;
  if (p->wakeups != NULL) (*p->wakeups)++;
  napi_open_handle_scope(env, &scope);
  napi_get_reference_value(env, p->callback, &fn);
  napi_get_global(env, &recv);
  napi_create_int32(env, status, &arg);
  if (napi_make_callback(env, p->async, recv, fn, 1, &arg, &result) == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
  }
  napi_close_handle_scope(env, scope);
}

/*
 * poll(h, callback | null) for any addon: with a function, (re)starts
 * readiness callbacks; with anything else, stops them. `resource` names the
 * async resource (async_hooks) the callbacks run in.
 */
static napi_value sg_poller_poll(napi_env env, sg_poller *p, napi_value fn, const char *resource) {
  napi_valuetype vt;
  napi_value name;
  if (p->fd < 0) return sg_throw_errno(env, EBADF, "closed");
  SG_CHECK(napi_typeof(env, fn, &vt));
  if (vt != napi_function) {
    if (p->poll_active) uv_poll_stop(&p->poll);
    p->poll_active = 0;
    return NULL;
  }
  if (p->callback != NULL) napi_delete_reference(env, p->callback);
  p->callback = NULL;
  SG_CHECK(napi_create_reference(env, fn, 1, &p->callback));
  p->env = env;
  if (p->async == NULL) {
    SG_CHECK(napi_create_string_utf8(env, resource, NAPI_AUTO_LENGTH, &name));
    SG_CHECK(napi_async_init(env, NULL, name, &p->async));
  }
  if (!p->poll_init) {
    uv_loop_t *loop;
    SG_CHECK(napi_get_uv_event_loop(env, &loop));
    int rc = uv_poll_init(loop, &p->poll, p->fd);
    if (rc != 0) return sg_throw_errno(env, -rc, "uv_poll_init");
    p->poll.data = p;
    p->poll_init = 1;
    if (napi_add_async_cleanup_hook(env, sg_on_env_cleanup, p, &p->cleanup) != napi_ok) p->cleanup = NULL;
  }
  if (!p->poll_active) {
    int rc = uv_poll_start(&p->poll, UV_READABLE, sg_on_readable);
    if (rc != 0) return sg_throw_errno(env, -rc, "uv_poll_start");
    p->poll_active = 1;
  }
  return NULL;
}

/*
 * The handle struct behind a JS external made by an addon's open(): its
 * sg_poller (the struct's first member). With `open_only`, a closed handle
 * throws EBADF "closed". NULL, with an exception pending, for anything else;
 * `code`/`what` name the TypeError ("ERR_X_ARGUMENT", "not a ... handle").
 */
static sg_poller *sg_handle(napi_env env, napi_value v, const char *code, const char *what, int open_only) {
  void *ptr = NULL;
  if (napi_get_value_external(env, v, &ptr) != napi_ok || ptr == NULL) {
    napi_throw_type_error(env, code, what);
    return NULL;
  }
  sg_poller *p = (sg_poller *)ptr;
  if (open_only && p->fd < 0) {
    sg_throw_errno(env, EBADF, "closed");
    return NULL;
  }
  return p;
}

/* A typed array argument of the given type as pointer + element count; -1 when it is something else. */
static int sg_typed_arg(napi_env env, napi_value v, napi_typedarray_type want, void **p, size_t *n) {
  napi_typedarray_type t;
  void *data = NULL;
  if (napi_get_typedarray_info(env, v, &t, n, &data, NULL, NULL) != napi_ok) return -1;
  if (t != want) return -1;
  *p = data;
  return 0;
}

#endif /* SIXGATE_SG_POLL_H */
