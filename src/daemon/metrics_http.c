/*
 * The /metrics HTTP server: libmicrohttpd with its own polling thread. It never reads
 * daemon state: the tick publishes rendered text (metrics_http_publish), a scrape
 * copies it under a mutex held for a memcpy. Hostile clients meet limits, each
 * refusal counted: connections beyond HTTP_CONN_LIMIT, or HTTP_PER_IP_LIMIT from one
 * address (so one host cannot take every slot from Prometheus), are closed at accept;
 * an idle connection times out after HTTP_TIMEOUT_S; a request larger than
 * HTTP_CONN_MEMORY is answered by libmicrohttpd itself (413/414/431) or dropped;
 * only GET/HEAD of /metrics are served (405, 404 otherwise). libmicrohttpd's timeout
 * is one of inactivity: a client trickling a byte now and then keeps its slot until its
 * headers outgrow HTTP_CONN_MEMORY. That denies scrapes from its address at worst; the
 * tick, on another thread, never waits for any of it.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "daemon/metrics.h"
#include "util/log.h"

#define HTTP_CONN_LIMIT 32     /* connections at once; Prometheus needs one */
#define HTTP_PER_IP_LIMIT 16   /* from one address */
#define HTTP_TIMEOUT_S 3       /* idle connection lifetime */
#define HTTP_CONN_MEMORY 16384 /* per connection: request line + headers must fit */
#define HTTP_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static struct MHD_Daemon *http_daemon;
static pthread_mutex_t http_mu = PTHREAD_MUTEX_INITIALIZER;
static struct metrics_text http_text; /* last published; guarded by http_mu */
static atomic_uint_fast64_t http_refused[METRICS_REFUSED__COUNT];
static atomic_uint_fast64_t http_scrapes;

/* Per connection: its peer, and did blimp answer a request on it? */
struct http_conn {
	struct sockaddr_storage peer;
	bool answered;
};
/* Open connections: touched only by libmicrohttpd's thread (accept policy, notify). */
static struct http_conn *http_conns[HTTP_CONN_LIMIT];
static int http_nconns;

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (b->sa_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr,
			       sizeof(struct in6_addr));
	return true;
}

static void http_count(enum metrics_refused r)
{
	atomic_fetch_add(&http_refused[r], 1);
}

static enum MHD_Result http_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	(void)cls, (void)len;
	int same = 0;
	for (int i = 0; i < http_nconns; i++)
		same += same_host(&http_conns[i]->peer, addr);
	if (http_nconns >= HTTP_CONN_LIMIT || same >= HTTP_PER_IP_LIMIT) {
		http_count(METRICS_REFUSED_HTTP_CONNECTIONS);
		return MHD_NO;
	}
	return MHD_YES;
}

static void http_notify(void *cls, struct MHD_Connection *c, void **socket_context,
			enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		struct http_conn *hc = calloc(1, sizeof(*hc));
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (hc && ci && ci->client_addr) {
			socklen_t l = ci->client_addr->sa_family == AF_INET6
					  ? sizeof(struct sockaddr_in6)
					  : sizeof(struct sockaddr_in);
			memcpy(&hc->peer, ci->client_addr, l);
		}
		/* the accept policy keeps http_nconns below the table's size */
		if (hc && http_nconns < HTTP_CONN_LIMIT)
			http_conns[http_nconns++] = hc;
		*socket_context = hc;
		return;
	}
	struct http_conn *hc = *socket_context;
	for (int i = 0; i < http_nconns; i++)
		if (http_conns[i] == hc) {
			http_conns[i] = http_conns[--http_nconns];
			break;
		}
	if (hc && !hc->answered)
		http_count(METRICS_REFUSED_HTTP_DROPPED);
	free(hc);
	*socket_context = NULL;
}

static enum MHD_Result http_reply(struct MHD_Connection *c, unsigned status, const char *body)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result http_access(void *cls, struct MHD_Connection *c, const char *url,
				   const char *method, const char *version, const char *upload_data,
				   size_t *upload_data_size, void **req_cls)
{
	(void)cls, (void)version, (void)upload_data, (void)upload_data_size, (void)req_cls;
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci && ci->socket_context)
		((struct http_conn *)ci->socket_context)->answered = true;
	/* answered at the first call, headers only: a body is never read */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		http_count(METRICS_REFUSED_HTTP_METHOD);
		return http_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
	}
	if (strcmp(url, "/metrics") != 0) {
		http_count(METRICS_REFUSED_HTTP_NOT_FOUND);
		return http_reply(c, MHD_HTTP_NOT_FOUND, "blimpd serves /metrics only\n");
	}
	pthread_mutex_lock(&http_mu);
	struct MHD_Response *r = http_text.len
				     ? MHD_create_response_from_buffer(http_text.len, http_text.buf,
								       MHD_RESPMEM_MUST_COPY)
				     : NULL;
	pthread_mutex_unlock(&http_mu);
	if (!r)
		return http_reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no collection yet\n");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, HTTP_CONTENT_TYPE);
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	atomic_fetch_add(&http_scrapes, 1);
	return ret;
}

/* libmicrohttpd's own complaints (a client's bad request, a limit met) are the
 * clients' business: debug level only. */
static void http_logger(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	if (log_get_level() < LOG_DEBUG)
		return;
	char msg[256];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("metrics", "http: %s", msg);
}

int metrics_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[128];
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || !colon[1])
		return -EINVAL;
	size_t hl = (size_t)(colon - s);
	if (s[0] == '[') { /* [v6]:port */
		if (hl < 3 || s[hl - 1] != ']')
			return -EINVAL;
		s++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return -EINVAL;
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai)
		return -EINVAL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

int metrics_http_start(const char *listen, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	if (metrics_parse_listen(listen, &ss, &sl) < 0) {
		snprintf(err, errlen, "metrics_listen '%s': want ADDR:PORT, e.g. 127.0.0.1:25467",
			 listen);
		return -EINVAL;
	}
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	http_daemon =
	    MHD_start_daemon(flags, 0, http_accept, NULL, http_access, NULL, MHD_OPTION_SOCK_ADDR,
			     (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
			     (unsigned)HTTP_CONN_LIMIT + 4, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
			     (unsigned)HTTP_PER_IP_LIMIT + 2, MHD_OPTION_CONNECTION_TIMEOUT,
			     (unsigned)HTTP_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			     (size_t)HTTP_CONN_MEMORY, MHD_OPTION_NOTIFY_CONNECTION, http_notify,
			     NULL, MHD_OPTION_EXTERNAL_LOGGER, http_logger, NULL, MHD_OPTION_END);
	if (!http_daemon) {
		/* libmicrohttpd says why only through its logger; the usual causes: */
		snprintf(err, errlen,
			 "metrics_listen %s: cannot listen (address in use or not local?)", listen);
		return -EADDRNOTAVAIL;
	}
	return 0;
}

bool metrics_http_running(void)
{
	return http_daemon != NULL;
}

void metrics_http_stop(void)
{
	if (http_daemon)
		MHD_stop_daemon(http_daemon);
	http_daemon = NULL;
	pthread_mutex_lock(&http_mu);
	metrics_text_free(&http_text);
	pthread_mutex_unlock(&http_mu);
}

void metrics_http_publish(struct metrics_text *t)
{
	pthread_mutex_lock(&http_mu);
	struct metrics_text old = http_text;
	http_text = *t;
	pthread_mutex_unlock(&http_mu);
	*t = old;
	t->len = 0;
}

void metrics_http_counters(struct metrics_counters *c)
{
	for (int i = METRICS_REFUSED_HTTP_CONNECTIONS; i <= METRICS_REFUSED_HTTP_DROPPED; i++)
		c->refused[i] = atomic_load(&http_refused[i]);
	c->scrapes = atomic_load(&http_scrapes);
}
