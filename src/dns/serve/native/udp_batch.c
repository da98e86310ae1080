/*
 * Batched UDP for the DNS server (see ../udp-batch.ts): one recvmmsg(2) reads up to 64 queries, one call into
 * JavaScript answers them all, one sendmmsg(2) sends the replies. Node's dgram socket pays a JavaScript round trip,
 * an event and a send request per datagram, about half of a query's CPU; this pays them once per batch.
 *
 * Nothing is made per batch: queries are received straight into `input` (slot i at i * SLOT), JavaScript writes
 * reply i into `output` at i * SLOT, and both sides exchange lengths and source addresses through `meta` (META words
 * per datagram). The three are made once per socket and shared with JavaScript, so a batch costs one call and no
 * Buffer, array or (over IPv4, where the source address is a number) string. At a moderate rate a batch holds few
 * queries to share its cost: at 20,000 queries/s, making those per batch cost about as much CPU as answering.
 *
 * The socket is polled by libuv (uv_poll_t) on Node's own loop. A readable socket is drained in at most ROUNDS
 * batches, then other work (TCP, timers, the etcd watch) gets its turn.
 *
 * Exports: open(host, port, onBatch) -> [handle, boundPort, input, output, meta]; send(handle, buffer, address,
 * port); close(handle); layout (LAYOUT). onBatch(count, addresses) finds datagram i in input at i * SLOT,
 * meta[META*i] bytes long, from port meta[META*i+1] of the IPv4 address meta[META*i+2] (host byte order) or, on an
 * IPv6 socket, of addresses[i] (a string; addresses is undefined on IPv4 sockets). It writes reply i into output at
 * i * SLOT and its length (at most SLOT) into meta[META*i+3], which is 0 (no reply) when it is called.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define BATCH 64
#define SLOT 4096
#define META 4
#define ROUNDS 8
/* The version of this interface (exported as `layout`; ../udp-batch.ts refuses another): 2 = shared memory. */
#define LAYOUT 2

typedef struct {
  int fd;
  int closed;
  int family;
  uv_poll_t poll;
  napi_env env;
  napi_ref on_batch, input_ref, output_ref, meta_ref;
  napi_async_context context;
  unsigned char *input;  /* BATCH slots of SLOT bytes: datagram i is received at i * SLOT */
  unsigned char *output; /* the same for the replies */
  uint32_t *meta;        /* META words per datagram (see above) */
  struct mmsghdr in[BATCH];
  struct iovec in_iov[BATCH];
  struct sockaddr_storage from[BATCH];
  struct mmsghdr out[BATCH];
  struct iovec out_iov[BATCH];
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

/* Reads one batch into the input slots; returns the number of datagrams (0: nothing waiting or an error). */
static int receive(udp_batch *b) {
  for (int i = 0; i < BATCH; i++) b->in[i].msg_hdr.msg_namelen = sizeof b->from[i];
  int n;
  do n = recvmmsg(b->fd, b->in, BATCH, MSG_DONTWAIT, NULL);
  while (n < 0 && errno == EINTR);
  return n < 0 ? 0 : n;
}

/* The source addresses of an IPv6 socket's batch as strings (IPv4 sockets pass numbers in meta: undefined). */
static napi_value addresses_of(udp_batch *b, int n) {
  napi_value addresses;
  napi_get_undefined(b->env, &addresses);
  if (b->family != AF_INET6) return addresses;
  napi_create_array_with_length(b->env, n, &addresses);
  for (int i = 0; i < n; i++) {
    char text[INET6_ADDRSTRLEN];
    address_text(&b->from[i], text, sizeof text);
    napi_value address;
    napi_create_string_latin1(b->env, text, NAPI_AUTO_LENGTH, &address);
    napi_set_element(b->env, addresses, i, address);
  }
  return addresses;
}

/* Calls onBatch with `n` datagrams in the input slots; returns 0 when it threw (reported as uncaught). */
static int answer(udp_batch *b, int n) {
  napi_env env = b->env;
  for (int i = 0; i < n; i++) {
    uint32_t *meta = b->meta + META * i;
    meta[0] = b->in[i].msg_len;
    meta[1] = port_of(&b->from[i]);
    meta[2] = b->from[i].ss_family == AF_INET ? ntohl(((const struct sockaddr_in *)&b->from[i])->sin_addr.s_addr) : 0;
    meta[3] = 0;
  }
  napi_value argv[2], on_batch, global, result;
  napi_create_uint32(env, n, &argv[0]);
  argv[1] = addresses_of(b, n);
  napi_get_reference_value(env, b->on_batch, &on_batch);
  napi_get_global(env, &global);
  if (napi_make_callback(env, b->context, global, on_batch, 2, argv, &result) != napi_ok) {
    napi_value exception;
    if (napi_get_and_clear_last_exception(env, &exception) == napi_ok) napi_fatal_exception(env, exception);
    return 0;
  }
  return 1;
}

/* Sends the replies JavaScript wrote into the output slots in one sendmmsg; a datagram that fails is dropped. */
static void send_replies(udp_batch *b, int n) {
  int k = 0;
  for (int i = 0; i < n; i++) {
    uint32_t length = b->meta[META * i + 3];
    if (length == 0 || length > SLOT) continue;
    b->out_iov[k].iov_base = b->output + (size_t)i * SLOT;
    b->out_iov[k].iov_len = length;
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
    int answered = answer(b, n);
    napi_close_handle_scope(b->env, scope);
    if (answered && !b->closed) send_replies(b, n);
    if (n < BATCH) break;
  }
}

/* Points the message headers at the slots and source addresses, once: only lengths change between batches. */
static void init_headers(udp_batch *b) {
  for (int i = 0; i < BATCH; i++) {
    b->in_iov[i].iov_base = b->input + (size_t)i * SLOT;
    b->in_iov[i].iov_len = SLOT;
    b->in[i].msg_hdr.msg_iov = &b->in_iov[i];
    b->in[i].msg_hdr.msg_iovlen = 1;
    b->in[i].msg_hdr.msg_name = &b->from[i];
    b->out[i].msg_hdr.msg_iov = &b->out_iov[i];
    b->out[i].msg_hdr.msg_iovlen = 1;
  }
}

/* The input and output slots and meta, made as JavaScript values, each held by a reference while the socket is open. */
static napi_status shared_memory(napi_env env, udp_batch *b, napi_value *input, napi_value *output, napi_value *meta) {
  napi_value meta_buffer;
  void *meta_data;
  napi_status status;
  if ((status = napi_create_buffer(env, (size_t)BATCH * SLOT, (void **)&b->input, input)) != napi_ok) return status;
  if ((status = napi_create_buffer(env, (size_t)BATCH * SLOT, (void **)&b->output, output)) != napi_ok) return status;
  if ((status = napi_create_arraybuffer(env, sizeof(uint32_t) * META * BATCH, &meta_data, &meta_buffer)) != napi_ok)
    return status;
  if ((status = napi_create_typedarray(env, napi_uint32_array, META * BATCH, meta_buffer, 0, meta)) != napi_ok)
    return status;
  b->meta = meta_data;
  if ((status = napi_create_reference(env, *input, 1, &b->input_ref)) != napi_ok) return status;
  if ((status = napi_create_reference(env, *output, 1, &b->output_ref)) != napi_ok) return status;
  return napi_create_reference(env, *meta, 1, &b->meta_ref);
}

/* Binds a non-blocking UDP socket to `addr`; returns it, or -1 with errno and the failed call in `syscall`. */
static int bind_socket(struct sockaddr_storage *addr, socklen_t *length, const char **syscall) {
  *syscall = "socket";
  int fd = socket(addr->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  *syscall = "bind";
  int size = 4 * 1024 * 1024; /* capped by net.core.rmem_max; bursts beyond it are dropped, as with any socket */
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (bind(fd, (struct sockaddr *)addr, *length) < 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  getsockname(fd, (struct sockaddr *)addr, length);
  return fd;
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
  const char *syscall;
  int fd = bind_socket(&addr, &length, &syscall);
  if (fd < 0) return throw_system(env, syscall, errno);
  udp_batch *b = calloc(1, sizeof *b);
  if (b == NULL) {
    close(fd);
    return throw_system(env, "calloc", ENOMEM);
  }
  b->fd = fd;
  b->family = addr.ss_family;
  b->env = env;
  napi_value name, handle, bound, input, output, meta, result;
  uv_loop_t *loop;
  if (shared_memory(env, b, &input, &output, &meta) != napi_ok) {
    close(fd);
    free(b);
    return throw_system(env, "napi_create_buffer", ENOMEM);
  }
  init_headers(b);
  NAPI(napi_create_reference(env, argv[2], 1, &b->on_batch));
  NAPI(napi_create_string_utf8(env, "rundock:udp-batch", NAPI_AUTO_LENGTH, &name));
  NAPI(napi_async_init(env, NULL, name, &b->context));
  NAPI(napi_get_uv_event_loop(env, &loop));
  uv_poll_init(loop, &b->poll, fd);
  b->poll.data = b;
  uv_poll_start(&b->poll, UV_READABLE, on_readable);
  NAPI(napi_create_external(env, b, NULL, NULL, &handle));
  NAPI(napi_create_uint32(env, port_of(&addr), &bound));
  NAPI(napi_create_array_with_length(env, 5, &result));
  napi_value parts[5] = {handle, bound, input, output, meta};
  for (uint32_t i = 0; i < 5; i++) napi_set_element(env, result, i, parts[i]);
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
  napi_delete_reference(b->env, b->input_ref);
  napi_delete_reference(b->env, b->output_ref);
  napi_delete_reference(b->env, b->meta_ref);
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
  napi_value layout;
  napi_create_uint32(env, LAYOUT, &layout);
  napi_property_descriptor functions[] = {
      {"open", NULL, open_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, send_one, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, close_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"layout", NULL, NULL, NULL, NULL, layout, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, 4, functions);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
