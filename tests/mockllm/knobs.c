/*
 * knobs.c - the fault knobs of the mock LLM server. One table describes
 * every knob, so the command line, POST /_mock/config and the per-request
 * X-Mock-* headers all accept exactly the same names and values.
 */
#include "mockllm.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum ktype { K_LONG, K_BOOL, K_STR };

struct kdef {
	const char *name;
	enum ktype type;
	size_t off;
	long def;  /* default of K_LONG knobs */
	long min;  /* smallest accepted value of K_LONG knobs */
	const char *help;
};

#define KL(n, d, mn, h) { #n, K_LONG, offsetof(struct knobs, n), d, mn, h }
#define KB(n, h) { #n, K_BOOL, offsetof(struct knobs, n), 0, 0, h }
#define KS(n, h) { #n, K_STR, offsetof(struct knobs, n), 0, 0, h }

static const struct kdef kdefs[] = {
	KL(latency_ms, 0, 0, "wait before sending the response headers"),
	KL(ttft_ms, 0, 0, "wait before the first stream event (after headers)"),
	KL(chunk_delay_ms, 0, 0, "pause between stream events"),
	KL(status, 0, 0, "answer API requests with this HTTP status (0: off)"),
	KS(retry_after, "Retry-After header value added to error responses"),
	KL(fail_first, 0, 0, "only the first N API requests get `status` (503 if unset)"),
	KL(close_after_chunks, -1, -1, "streams: drop the connection after K events (-1: off)"),
	KL(error_event, -1, -1, "streams: send an in-stream error after K events (-1: off)"),
	KB(malformed, "send broken JSON (streams: one broken event mid-stream)"),
	KB(never_answer, "accept the request and never answer"),
	KL(drip_ms, 0, 0, "send the body in drip_bytes pieces every drip_ms"),
	KL(drip_bytes, 0, 0, "piece size for dripping (default 1)"),
	KL(large_bytes, 0, 0, "answer text is exactly N bytes of filler"),
	KS(reasoning, "reasoning text the model thinks before answering"),
	KB(think_tags, "put reasoning in the content as <think>...</think>"),
	KB(strict_models, "unknown models get 404 (OpenAI and Anthropic faces)"),
};

#define NKDEFS (sizeof(kdefs) / sizeof(kdefs[0]))

/* latency-ms, Latency-Ms and latency_ms all name the same knob. */
static const struct kdef *kdef_find(const char *name)
{
	char norm[64];
	size_t i;

	for (i = 0; name[i] && i < sizeof(norm) - 1; i++)
		norm[i] = name[i] == '-' ? '_' : (char)tolower((unsigned char)name[i]);
	if (name[i])
		return NULL;
	norm[i] = '\0';
	for (size_t j = 0; j < NKDEFS; j++)
		if (strcmp(kdefs[j].name, norm) == 0)
			return &kdefs[j];
	return NULL;
}

static long *kl(struct knobs *k, const struct kdef *d)
{
	return (long *)((char *)k + d->off);
}

static bool *kb(struct knobs *k, const struct kdef *d)
{
	return (bool *)((char *)k + d->off);
}

static char **ks(struct knobs *k, const struct kdef *d)
{
	return (char **)((char *)k + d->off);
}

static void kdef_reset(struct knobs *k, const struct kdef *d)
{
	switch (d->type) {
	case K_LONG:
		*kl(k, d) = d->def;
		break;
	case K_BOOL:
		*kb(k, d) = false;
		break;
	case K_STR:
		free(*ks(k, d));
		*ks(k, d) = NULL;
		break;
	}
}

void knobs_init(struct knobs *k)
{
	memset(k, 0, sizeof(*k));
	for (size_t i = 0; i < NKDEFS; i++)
		kdef_reset(k, &kdefs[i]);
}

void knobs_free(struct knobs *k)
{
	for (size_t i = 0; i < NKDEFS; i++)
		if (kdefs[i].type == K_STR)
			kdef_reset(k, &kdefs[i]);
}

void knobs_copy(struct knobs *dst, const struct knobs *src)
{
	*dst = *src;
	for (size_t i = 0; i < NKDEFS; i++) {
		if (kdefs[i].type == K_STR) {
			char **s = ks(dst, &kdefs[i]);
			if (*s)
				*s = xstrdup(*s);
		}
	}
}

bool knobs_exists(const char *name, bool *is_bool)
{
	const struct kdef *d = kdef_find(name);

	if (d && is_bool)
		*is_bool = d->type == K_BOOL;
	return d != NULL;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *yes[] = { "1", "true", "yes", "on" };
	static const char *no[] = { "0", "false", "no", "off", "" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
		if (strcasecmp(v, yes[i]) == 0)
			return *out = true, 0;
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
		if (strcasecmp(v, no[i]) == 0)
			return *out = false, 0;
	return -1;
}

static int set_long(struct knobs *k, const struct kdef *d, long v, char *err, size_t errlen)
{
	if (v < d->min) {
		snprintf(err, errlen, "knob %s must be >= %ld", d->name, d->min);
		return -1;
	}
	if (strcmp(d->name, "status") == 0 && v != 0 && (v < 100 || v > 599)) {
		snprintf(err, errlen, "knob status must be 0 or 100..599");
		return -1;
	}
	*kl(k, d) = v;
	return 0;
}

int knobs_set(struct knobs *k, const char *name, const char *value, char *err, size_t errlen)
{
	const struct kdef *d = kdef_find(name);
	char *end;
	long v;
	bool b;

	if (!d) {
		snprintf(err, errlen, "unknown knob '%s'", name);
		return -1;
	}
	switch (d->type) {
	case K_LONG:
		errno = 0;
		v = strtol(value, &end, 10);
		if (errno || end == value || *end) {
			snprintf(err, errlen, "knob %s needs an integer, got '%s'", d->name, value);
			return -1;
		}
		return set_long(k, d, v, err, errlen);
	case K_BOOL:
		if (parse_bool(value, &b) < 0) {
			snprintf(err, errlen, "knob %s needs true or false, got '%s'", d->name, value);
			return -1;
		}
		*kb(k, d) = b;
		return 0;
	case K_STR:
		free(*ks(k, d));
		*ks(k, d) = *value ? xstrdup(value) : NULL;
		return 0;
	}
	return -1;
}

static int merge_one(struct knobs *k, const struct kdef *d, json_object *v, char *err, size_t errlen)
{
	if (!v) {
		kdef_reset(k, d);
		return 0;
	}
	switch (d->type) {
	case K_LONG:
		if (json_object_is_type(v, json_type_int))
			return set_long(k, d, (long)json_object_get_int64(v), err, errlen);
		break;
	case K_BOOL:
		if (json_object_is_type(v, json_type_boolean) || json_object_is_type(v, json_type_int)) {
			*kb(k, d) = json_object_get_boolean(v);
			return 0;
		}
		break;
	case K_STR:
		if (!json_object_is_type(v, json_type_object) && !json_object_is_type(v, json_type_array))
			return knobs_set(k, d->name, json_object_get_string(v), err, errlen);
		break;
	}
	if (json_object_is_type(v, json_type_string))
		return knobs_set(k, d->name, json_object_get_string(v), err, errlen);
	snprintf(err, errlen, "knob %s has a value of the wrong type", d->name);
	return -1;
}

int knobs_merge_json(struct knobs *k, json_object *obj, char *err, size_t errlen)
{
	if (!obj || !json_object_is_type(obj, json_type_object)) {
		snprintf(err, errlen, "knob configuration must be a JSON object");
		return -1;
	}
	/* Validate all names first so a typo changes nothing. */
	json_object_object_foreach(obj, key, val) {
		(void)val;
		if (!kdef_find(key)) {
			snprintf(err, errlen, "unknown knob '%s'", key);
			return -1;
		}
	}
	json_object_object_foreach(obj, key2, val2) {
		if (merge_one(k, kdef_find(key2), val2, err, errlen) < 0)
			return -1;
	}
	return 0;
}

json_object *knobs_to_json(const struct knobs *k)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < NKDEFS; i++) {
		const struct kdef *d = &kdefs[i];
		const void *field = (const char *)k + d->off;
		json_object *v = NULL;

		switch (d->type) {
		case K_LONG:
			v = json_object_new_int64(*(const long *)field);
			break;
		case K_BOOL:
			v = json_object_new_boolean(*(const bool *)field);
			break;
		case K_STR:
			if (*(char *const *)field)
				v = json_object_new_string(*(char *const *)field);
			break;
		}
		json_object_object_add(o, d->name, v);
	}
	return o;
}

void knobs_usage(FILE *out)
{
	for (size_t i = 0; i < NKDEFS; i++) {
		char flag[64];
		size_t j;

		for (j = 0; kdefs[i].name[j] && j < sizeof(flag) - 1; j++)
			flag[j] = kdefs[i].name[j] == '_' ? '-' : kdefs[i].name[j];
		flag[j] = '\0';
		fprintf(out, "  --%-20s %s %s\n", flag, kdefs[i].type == K_BOOL ? "   " : "ARG",
			kdefs[i].help);
	}
}
