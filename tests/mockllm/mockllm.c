/*
 * mockllm.c - entry point of the mock LLM server used by llmhost's tests:
 * parses the command line, binds 127.0.0.1 (ephemeral port by default),
 * announces the port, runs the event loop until SIGTERM/SIGINT or
 * --max-seconds, and frees everything on the way out.
 */
#include "mockllm.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

struct options {
	long port;
	const char *port_file;
	const char *log_file;
	const char *script_file;
	const char *models;
	long max_seconds;
};

static void usage(FILE *out)
{
	fputs("usage: mockllm [--port N] [--port-file F] [--log FILE] [--script FILE]\n"
	      "               [--models a,b,c] [--require-key KEY] [--max-seconds N]\n"
	      "               [--config JSON] [knob flags]\n"
	      "Serves mock OpenAI, Ollama, Anthropic and Gemini-listing APIs on 127.0.0.1.\n"
	      "Knob flags (also POST /_mock/config and X-Mock-<Knob> headers):\n",
	      out);
	knobs_usage(out);
}

static int parse_long(const char *opt, const char *s, long min, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	if (errno || end == s || *end || *out < min) {
		fprintf(stderr, "mockllm: %s needs an integer >= %ld, got '%s'\n", opt, min, s);
		return -1;
	}
	return 0;
}

static void set_models(struct mock *m, const char *list)
{
	const char *p = list;

	strvec_truncate(&m->models, 0);
	while (*p) {
		size_t n = strcspn(p, ",");
		const char *s = p, *e = p + n;

		while (s < e && *s == ' ')
			s++;
		while (e > s && e[-1] == ' ')
			e--;
		if (e > s)
			strvec_push(&m->models, xstrndup(s, (size_t)(e - s)));
		p += n;
		if (*p == ',')
			p++;
	}
}

static int apply_config(struct mock *m, const char *text)
{
	json_object *o = json_tokener_parse(text);
	char err[256];
	int rc = knobs_merge_json(&m->start_knobs, o, err, sizeof(err));

	if (rc < 0)
		fprintf(stderr, "mockllm: --config: %s\n", o ? err : "not valid JSON");
	json_object_put(o);
	return rc;
}

static bool is_option(const char *name)
{
	static const char *names[] = { "port", "port-file", "log", "script", "models",
				       "require-key", "max-seconds", "config" };

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

/* Accepts "--name value" and "--name=value"; boolean knobs take no value.
 * Returns 0 to run, 1 after --help, -1 on a usage error. */
static int parse_args(int argc, char **argv, struct mock *m, struct options *o)
{
	for (int i = 1; i < argc; i++) {
		char name[64], err[256];
		const char *arg = argv[i], *eq, *val = NULL;
		bool is_bool = false;

		if (strncmp(arg, "--", 2) != 0) {
			fprintf(stderr, "mockllm: unexpected argument '%s'\n", arg);
			return -1;
		}
		arg += 2;
		eq = strchr(arg, '=');
		snprintf(name, sizeof(name), "%.*s", (int)(eq ? eq - arg : (long)strlen(arg)), arg);
		if (eq)
			val = eq + 1;
		if (strcmp(name, "help") == 0) {
			usage(stdout);
			return 1;
		}
		if (!is_option(name) && !knobs_exists(name, NULL)) {
			fprintf(stderr, "mockllm: unknown option --%s (see --help)\n", name);
			return -1;
		}
		if (knobs_exists(name, &is_bool) && is_bool && !val)
			val = "true";
		if (!val) {
			if (i + 1 >= argc) {
				fprintf(stderr, "mockllm: --%s needs a value\n", name);
				return -1;
			}
			val = argv[++i];
		}

		if (strcmp(name, "port") == 0) {
			if (parse_long("--port", val, 0, &o->port) < 0)
				return -1;
			if (o->port > 65535) {
				fprintf(stderr, "mockllm: --port must be at most 65535\n");
				return -1;
			}
		} else if (strcmp(name, "port-file") == 0) {
			o->port_file = val;
		} else if (strcmp(name, "log") == 0) {
			o->log_file = val;
		} else if (strcmp(name, "script") == 0) {
			o->script_file = val;
		} else if (strcmp(name, "models") == 0) {
			o->models = val;
		} else if (strcmp(name, "require-key") == 0) {
			free(m->require_key);
			m->require_key = xstrdup(val);
		} else if (strcmp(name, "max-seconds") == 0) {
			if (parse_long("--max-seconds", val, 0, &o->max_seconds) < 0)
				return -1;
		} else if (strcmp(name, "config") == 0) {
			if (apply_config(m, val) < 0)
				return -1;
		} else if (knobs_set(&m->start_knobs, name, val, err, sizeof(err)) < 0) {
			fprintf(stderr, "mockllm: --%s: %s\n", name, err);
			return -1;
		}
	}
	return 0;
}

/* Written to a temporary name and renamed, so a reader never sees half. */
static int write_port_file(const char *file, int port)
{
	char *tmp = xasprintf("%s.tmp.%ld", file, (long)getpid());
	FILE *f = fopen(tmp, "w");
	int rc = -1;

	if (f) {
		fprintf(f, "%d\n", port);
		rc = fclose(f) == 0 ? 0 : -1;
		if (rc == 0)
			rc = rename(tmp, file);
	}
	if (rc < 0) {
		fprintf(stderr, "mockllm: cannot write port file %s: %s\n", file, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

static int bind_server(struct mock *m, long port)
{
	struct evhttp_bound_socket *bs;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	bs = evhttp_bind_socket_with_handle(m->http, "127.0.0.1", (ev_uint16_t)port);
	if (!bs) {
		fprintf(stderr, "mockllm: cannot bind 127.0.0.1:%ld: %s\n", port, strerror(errno));
		return -1;
	}
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin, &len) < 0) {
		fprintf(stderr, "mockllm: getsockname: %s\n", strerror(errno));
		return -1;
	}
	return ntohs(sin.sin_port);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	fputs("mockllm: --max-seconds reached, exiting\n", stderr);
	event_base_loopbreak(arg);
}

static void mock_free(struct mock *m)
{
	if (m->http)
		evhttp_free(m->http); /* closes connections: our close callbacks run */
	server_free_conns(m);
	knobs_free(&m->start_knobs);
	knobs_free(&m->knobs);
	strvec_free(&m->models);
	free(m->require_key);
	script_free(m->script);
	json_object_put(m->requests);
	if (m->log)
		fclose(m->log);
}

int main(int argc, char **argv)
{
	struct mock m = { .epoch = 1 };
	struct options o = { .port = 0, .models = MOCK_DEFAULT_MODELS, .max_seconds = 300 };
	struct event *ev_term = NULL, *ev_int = NULL, *ev_deadline = NULL;
	char err[256];
	int port, rc = 2;

	knobs_init(&m.start_knobs);
	knobs_init(&m.knobs);
	m.requests = json_object_new_array();
	switch (parse_args(argc, argv, &m, &o)) {
	case 0:
		break;
	case 1:
		rc = 0;
		goto out;
	default:
		goto out;
	}
	set_models(&m, o.models);
	if (o.script_file && script_load(&m, o.script_file, err, sizeof(err)) < 0) {
		fprintf(stderr, "mockllm: --script: %s\n", err);
		goto out;
	}
	if (o.log_file && !(m.log = fopen(o.log_file, "w"))) {
		fprintf(stderr, "mockllm: cannot open log %s: %s\n", o.log_file, strerror(errno));
		goto out;
	}
	knobs_free(&m.knobs);
	knobs_copy(&m.knobs, &m.start_knobs);

	/* A client that hangs up mid-stream must not kill the server. */
	signal(SIGPIPE, SIG_IGN);
	m.base = event_base_new();
	m.http = m.base ? evhttp_new(m.base) : NULL;
	if (!m.http) {
		fputs("mockllm: cannot initialize libevent\n", stderr);
		goto out;
	}
	evhttp_set_gencb(m.http, server_handle, &m);
	if ((port = bind_server(&m, o.port)) < 0)
		goto out;
	printf("%d\n", port);
	fflush(stdout);
	if (o.port_file && write_port_file(o.port_file, port) < 0)
		goto out;

	ev_term = evsignal_new(m.base, SIGTERM, on_signal, m.base);
	ev_int = evsignal_new(m.base, SIGINT, on_signal, m.base);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);
	if (o.max_seconds > 0) {
		struct timeval tv = { o.max_seconds, 0 };
		ev_deadline = evtimer_new(m.base, on_deadline, m.base);
		evtimer_add(ev_deadline, &tv);
	}
	event_base_dispatch(m.base);
	rc = 0;
out:
	mock_free(&m);
	if (ev_term)
		event_free(ev_term);
	if (ev_int)
		event_free(ev_int);
	if (ev_deadline)
		event_free(ev_deadline);
	if (m.base)
		event_base_free(m.base);
	libevent_global_shutdown();
	return rc;
}
