/*
 * Batched UDP for the DNS server (see ../udp-batch.ts): one recvmmsg(2) reads up to 64 queries, one call into
 * JavaScript answers them all, one sendmmsg(2) sends the replies. Node's dgram socket pays a JavaScript round trip,
 * an event and a send request per datagram, about half of a query's CPU; this pays them once per batch.
 *
 * The socket is polled by libuv (uv_poll_t) on Node's own loop. A readable socket is drained in at most ROUNDS
 * batches, then other work (TCP, timers, the etcd watch) gets its turn.
 *
 * Exports: open(host, port, onBatch) -> [handle, boundPort]; send(handle, buffer, address, port); close(handle).
 * onBatch(data, meta, addresses, count) gets the datagrams back to back in `data`, meta[2i] = length and
 * meta[2i+1] = source port of datagram i, addresses[i] its source address; it returns an array whose element i is
 * the reply to datagram i (a Buffer) or anything else for none.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define BATCH 64
#define MAX_DATAGRAM 4096
#define ROUNDS 8

typedef struct {
  int fd;
  int closed;
  uv_poll_t poll;
  napi_env env;
  napi_ref on_batch;
  napi_async_context context;
  struct mmsghdr in[BATCH];
  struct iovec in_iov[BATCH];
  struct sockaddr_storage from[BATCH];
  struct mmsghdr out[BATCH];
  struct iovec out_iov[BATCH];
  unsigned char buffer[BATCH * MAX_DATAGRAM];
} udp_batch;

#define NAPI(call)                                                        \
  do {                                                                    \
    if ((call) != napi_ok) {                                              \
      napi_throw_error(env, "RUNDOCK_E_INTERNAL", "udp_batch: " #call);   \
      return NULL;                                                        \
    }                                                                     \
  } while (0)

/* Throws an Error shaped like Node's socket errors: code (EADDRINUSE, ...), errno, syscall. */
static napi_value throw_system(napi_env env, const char *syscall, int err) {
  char text[160];
  const char *code = err == EADDRINUSE ? "EADDRINUSE" : err == EACCES ? "EACCES" : err == EADDRNOTAVAIL ? "EADDRNOTAVAIL" : "EIO";
  snprintf(text, sizeof text, "%s %s: %s", syscall, code, strerror(err));
  napi_value message, code_value, syscall_value, errno_value, error;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value);
  napi_create_int32(env, -err, &errno_value);
  napi_create_error(env, code_value, message, &error);
  napi_set_named_property(env, error, "syscall", syscall_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_throw(env, error);
  return NULL;
}

/* Parses an IPv4 or IPv6 literal and a port into `addr`; returns its length, or 0 if `host` is not one. */
static socklen_t parse_address(const char *host, unsigned port, struct sockaddr_storage *addr) {
  memset(addr, 0, sizeof *addr);
  struct sockaddr_in *in4 = (struct sockaddr_in *)addr;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
  if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(port);
    return sizeof *in4;
  }
  if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    return sizeof *in6;
  }
  return 0;
}

static unsigned port_of(const struct sockaddr_storage *addr) {
  return ntohs(addr->ss_family == AF_INET ? ((const struct sockaddr_in *)addr)->sin_port : ((const struct sockaddr_in6 *)addr)->sin6_port);
}

static void address_text(const struct sockaddr_storage *addr, char *text, size_t size) {
  if (addr->ss_family == AF_INET) inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, text, size);
  else inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)addr)->sin6_addr, text, size);
}

/* Reads one batch; returns the number of datagrams (0: nothing waiting or an error). */
static int receive(udp_batch *b) {
  for (int i = 0; i < BATCH; i++) {
    b->in_iov[i].iov_base = b->buffer + i * MAX_DATAGRAM;
    b->in_iov[i].iov_len = MAX_DATAGRAM;
    memset(&b->in[i].msg_hdr, 0, sizeof b->in[i].msg_hdr);
    b->in[i].msg_hdr.msg_iov = &b->in_iov[i];
    b->in[i].msg_hdr.msg_iovlen = 1;
    b->in[i].msg_hdr.msg_name = &b->from[i];
    b->in[i].msg_hdr.msg_namelen = sizeof b->from[i];
  }
  int n;
  do n = recvmmsg(b->fd, b->in, BATCH, MSG_DONTWAIT, NULL);
  while (n < 0 && errno == EINTR);
  return n < 0 ? 0 : n;
}

/* Calls onBatch with `n` datagrams; returns its result, or NULL when it threw (reported as uncaught). */
static napi_value answer(udp_batch *b, int n) {
  napi_env env = b->env;
  size_t total = 0;
  for (int i = 0; i < n; i++) total += b->in[i].msg_len;
  void *data, *meta_data;
  napi_value data_value, meta_buffer, meta, addresses, count, on_batch, global, result;
  napi_create_buffer(env, total > 0 ? total : 1, &data, &data_value);
  napi_create_arraybuffer(env, sizeof(uint32_t) * 2 * n, &meta_data, &meta_buffer);
  napi_create_typedarray(env, napi_uint32_array, 2 * n, meta_buffer, 0, &meta);
  napi_create_array_with_length(env, n, &addresses);
  uint32_t *lengths_ports = meta_data;
  size_t at = 0;
  for (int i = 0; i < n; i++) {
    memcpy((unsigned char *)data + at, b->in_iov[i].iov_base, b->in[i].msg_len);
    at += b->in[i].msg_len;
    lengths_ports[2 * i] = b->in[i].msg_len;
    lengths_ports[2 * i + 1] = port_of(&b->from[i]);
    char text[INET6_ADDRSTRLEN];
    address_text(&b->from[i], text, sizeof text);
    napi_value address;
    napi_create_string_latin1(env, text, NAPI_AUTO_LENGTH, &address);
    napi_set_element(env, addresses, i, address);
  }
  napi_create_uint32(env, n, &count);
  napi_get_reference_value(env, b->on_batch, &on_batch);
  napi_get_global(env, &global);
  napi_value argv[4] = {data_value, meta, addresses, count};
  if (napi_make_callback(env, b->context, global, on_batch, 4, argv, &result) != napi_ok) {
    napi_value exception;
    if (napi_get_and_clear_last_exception(env, &exception) == napi_ok) napi_fatal_exception(env, exception);
    return NULL;
  }
  return result;
}

/* Sends the Buffers of `replies` (element i answers datagram i) in one sendmmsg; a datagram that fails is dropped. */
static void send_replies(udp_batch *b, napi_value replies, int n) {
  napi_env env = b->env;
  bool is_array = false;
  if (replies == NULL || napi_is_array(env, replies, &is_array) != napi_ok || !is_array) return;
  int k = 0;
  for (int i = 0; i < n; i++) {
    napi_value reply;
    bool is_buffer = false;
    if (napi_get_element(env, replies, i, &reply) != napi_ok) continue;
    if (napi_is_buffer(env, reply, &is_buffer) != napi_ok || !is_buffer) continue;
    void *bytes;
    size_t length;
    napi_get_buffer_info(env, reply, &bytes, &length);
    b->out_iov[k].iov_base = bytes;
    b->out_iov[k].iov_len = length;
    memset(&b->out[k].msg_hdr, 0, sizeof b->out[k].msg_hdr);
    b->out[k].msg_hdr.msg_iov = &b->out_iov[k];
    b->out[k].msg_hdr.msg_iovlen = 1;
    b->out[k].msg_hdr.msg_name = &b->from[i];
    b->out[k].msg_hdr.msg_namelen = b->in[i].msg_hdr.msg_namelen;
    k++;
  }
  for (int sent = 0; sent < k;) {
    int r = sendmmsg(b->fd, b->out + sent, k - sent, MSG_DONTWAIT);
    if (r > 0) sent += r;
    else if (r < 0 && errno == EINTR) continue;
    else sent++; /* this datagram cannot go (buffer full, unreachable): UDP may drop it, the client retries */
  }
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  udp_batch *b = poll->data;
  if (status < 0 || b->closed) return;
  for (int round = 0; round < ROUNDS && !b->closed; round++) {
    int n = receive(b);
    if (n == 0) break;
    napi_handle_scope scope;
    napi_open_handle_scope(b->env, &scope);
    napi_value replies = answer(b, n);
    if (!b->closed) send_replies(b, replies, n);
    napi_close_handle_scope(b->env, scope);
    if (n < BATCH) break;
  }
}

static napi_value open_socket(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char host[INET6_ADDRSTRLEN + 1];
  size_t host_length;
  uint32_t port;
  NAPI(napi_get_value_string_utf8(env, argv[0], host, sizeof host, &host_length));
  NAPI(napi_get_value_uint32(env, argv[1], &port));
  struct sockaddr_storage addr;
  socklen_t length = parse_address(host, port, &addr);
  if (length == 0 || port > 65535) {
    napi_throw_type_error(env, NULL, "udp_batch: not an IP address and port");
    return NULL;
  }
  int fd = socket(addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_system(env, "socket", errno);
  int size = 4 * 1024 * 1024; /* capped by net.core.rmem_max; bursts beyond it are dropped, as with any socket */
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (bind(fd, (struct sockaddr *)&addr, length) < 0) {
    int err = errno;
    close(fd);
    return throw_system(env, "bind", err);
  }
  getsockname(fd, (struct sockaddr *)&addr, &length);
  udp_batch *b = calloc(1, sizeof *b);
  if (b == NULL) {
    close(fd);
    return throw_system(env, "calloc", ENOMEM);
  }
  b->fd = fd;
  b->env = env;
  napi_value name, handle, bound, result;
  uv_loop_t *loop;
  NAPI(napi_create_reference(env, argv[2], 1, &b->on_batch));
  NAPI(napi_create_string_utf8(env, "rundock:udp-batch", NAPI_AUTO_LENGTH, &name));
  NAPI(napi_async_init(env, NULL, name, &b->context));
  NAPI(napi_get_uv_event_loop(env, &loop));
  uv_poll_init(loop, &b->poll, fd);
  b->poll.data = b;
  uv_poll_start(&b->poll, UV_READABLE, on_readable);
  NAPI(napi_create_external(env, b, NULL, NULL, &handle));
  NAPI(napi_create_uint32(env, port_of(&addr), &bound));
  NAPI(napi_create_array_with_length(env, 2, &result));
  napi_set_element(env, result, 0, handle);
  napi_set_element(env, result, 1, bound);
  return result;
}

static napi_value send_one(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  udp_batch *b;
  void *bytes;
  size_t length, host_length;
  char host[INET6_ADDRSTRLEN + 1];
  uint32_t port;
  NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  NAPI(napi_get_value_external(env, argv[0], (void **)&b));
  NAPI(napi_get_buffer_info(env, argv[1], &bytes, &length));
  NAPI(napi_get_value_string_utf8(env, argv[2], host, sizeof host, &host_length));
  NAPI(napi_get_value_uint32(env, argv[3], &port));
  struct sockaddr_storage addr;
  socklen_t addr_length = parse_address(host, port, &addr);
  if (!b->closed && addr_length > 0) sendto(b->fd, bytes, length, MSG_DONTWAIT, (struct sockaddr *)&addr, addr_length);
  return NULL;
}

static void on_closed(uv_handle_t *handle) {
  udp_batch *b = handle->data;
  close(b->fd);
  napi_delete_reference(b->env, b->on_batch);
  napi_async_destroy(b->env, b->context);
  free(b);
}

static napi_value close_socket(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  udp_batch *b;
  NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  NAPI(napi_get_value_external(env, argv[0], (void **)&b));
  if (b->closed) return NULL;
  b->closed = 1;
  uv_poll_stop(&b->poll);
  uv_close((uv_handle_t *)&b->poll, on_closed);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor functions[] = {
      {"open", NULL, open_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, send_one, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, close_socket, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, 3, functions);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
