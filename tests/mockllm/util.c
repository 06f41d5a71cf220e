/*
 * util.c - small helpers shared by the mock LLM server: allocation that
 * aborts on exhaustion (a mock has no useful way to degrade), a growable
 * string vector, and compact JSON serialization.
 */
#include "mockllm.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void oom(void)
{
	fputs("mockllm: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom();
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *d = xmalloc(n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	va_end(ap);
	return s;
}

void strvec_push(struct strvec *sv, char *owned)
{
	strvec_insert(sv, sv->n, owned);
}

void strvec_insert(struct strvec *sv, size_t at, char *owned)
{
	if (sv->n == sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 16;
		sv->v = xrealloc(sv->v, sv->cap * sizeof(*sv->v));
	}
	if (at > sv->n)
		at = sv->n;
	memmove(sv->v + at + 1, sv->v + at, (sv->n - at) * sizeof(*sv->v));
	sv->v[at] = owned;
	sv->n++;
}

void strvec_truncate(struct strvec *sv, size_t n)
{
	while (sv->n > n)
		free(sv->v[--sv->n]);
}

void strvec_free(struct strvec *sv)
{
	strvec_truncate(sv, 0);
	free(sv->v);
	sv->v = NULL;
	sv->cap = 0;
}

bool str_ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

char *json_dump(json_object *o)
{
	return xstrdup(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

char *json_dump_put(json_object *o)
{
	char *s = json_dump(o);
	json_object_put(o);
	return s;
}

const char *json_get_string(json_object *obj, const char *key)
{
	json_object *v;

	if (!obj || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

char *model_display_name(const char *id)
{
	char *d = xstrdup(id);
	bool word_start = true;

	for (char *p = d; *p; p++) {
		if (*p == '-' || *p == ':' || *p == '_') {
			*p = ' ';
			word_start = true;
		} else if (word_start) {
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
			word_start = false;
		}
	}
	return d;
}
