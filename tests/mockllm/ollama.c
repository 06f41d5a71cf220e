/*
 * ollama.c - the Ollama-native face of the mock: /api/tags, /api/version,
 * /api/show and /api/chat (NDJSON stream by default, one object with
 * "stream": false), including "thinking" output for thinking models.
 */
#include "mockllm.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CREATED_AT "2025-01-01T00:00:00.000000Z"
#define CONTEXT_LENGTH 40960

void ollama_error(struct plan *p, int status, const char *message)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(message));
	plan_json(p, status, o);
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* "qwen3:8b" -> family "qwen3", size "8B"; untagged names get "7B". */
static char *family_of(const char *model)
{
	const char *colon = strchr(model, ':');
	return colon ? xstrndup(model, (size_t)(colon - model)) : xstrdup(model);
}

static char *param_size_of(const char *model)
{
	const char *colon = strchr(model, ':');
	char *s;

	if (!colon || !isdigit((unsigned char)colon[1]))
		return xstrdup("7B");
	s = xstrdup(colon + 1);
	for (char *q = s; *q; q++)
		*q = (char)toupper((unsigned char)*q);
	return s;
}

static json_object *details_json(const char *model)
{
	json_object *d = json_object_new_object();
	char *family = family_of(model), *size = param_size_of(model);
	json_object *families = json_object_new_array();

	json_object_array_add(families, json_object_new_string(family));
	json_object_object_add(d, "parent_model", json_object_new_string(""));
	json_object_object_add(d, "format", json_object_new_string("gguf"));
	json_object_object_add(d, "family", json_object_new_string(family));
	json_object_object_add(d, "families", families);
	json_object_object_add(d, "parameter_size", json_object_new_string(size));
	json_object_object_add(d, "quantization_level", json_object_new_string("Q4_K_M"));
	free(family);
	free(size);
	return d;
}

void ollama_tags(struct mreq *r, struct plan *p)
{
	json_object *o = json_object_new_object(), *models = json_object_new_array();

	for (size_t i = 0; i < r->m->models.n; i++) {
		const char *name = r->m->models.v[i];
		uint64_t h = fnv1a(name);
		char digest[65];
		json_object *e = json_object_new_object();

		for (int k = 0; k < 4; k++)
			snprintf(digest + 16 * k, 17, "%016llx",
				 (unsigned long long)(h * (uint64_t)(k + 1)));
		json_object_object_add(e, "name", json_object_new_string(name));
		json_object_object_add(e, "model", json_object_new_string(name));
		json_object_object_add(e, "modified_at", json_object_new_string(CREATED_AT));
		json_object_object_add(e, "size",
				       json_object_new_int64(1000000000LL + (long long)(h % 9000000000ULL)));
		json_object_object_add(e, "digest", json_object_new_string(digest));
		json_object_object_add(e, "details", details_json(name));
		json_object_array_add(models, e);
	}
	json_object_object_add(o, "models", models);
	plan_json(p, 200, o);
}

void ollama_version(struct mreq *r, struct plan *p)
{
	json_object *o = json_object_new_object();

	(void)r;
	json_object_object_add(o, "version", json_object_new_string("0.12.0"));
	plan_json(p, 200, o);
}

static char *not_found(const char *model)
{
	return xasprintf("model \"%s\" not found, try pulling it first", model);
}

/* Model name of a body, accepting the older "name" member too. */
static const char *body_model(json_object *body)
{
	const char *m = json_get_string(body, "model");
	return m ? m : json_get_string(body, "name");
}

void ollama_show(struct mreq *r, struct plan *p)
{
	const char *model;
	json_object *o, *info, *caps;
	char *family, *key, *msg;

	if (!r->json || !json_object_is_type(r->json, json_type_object)) {
		ollama_error(p, 400, "invalid request body");
		return;
	}
	model = body_model(r->json);
	if (!model || !*model) {
		ollama_error(p, 400, "model is required");
		return;
	}
	if (!mock_model_known(r->m, model)) {
		msg = not_found(model);
		ollama_error(p, 404, msg);
		free(msg);
		return;
	}
	o = json_object_new_object();
	info = json_object_new_object();
	caps = json_object_new_array();
	family = family_of(model);
	key = xasprintf("%s.context_length", family);
	json_object_object_add(info, "general.architecture", json_object_new_string(family));
	json_object_object_add(info, key, json_object_new_int(CONTEXT_LENGTH));
	json_object_array_add(caps, json_object_new_string("completion"));
	json_object_array_add(caps, json_object_new_string("thinking"));
	json_object_object_add(o, "modelfile", json_object_new_string("# mock modelfile"));
	json_object_object_add(o, "parameters", json_object_new_string(""));
	json_object_object_add(o, "template", json_object_new_string("{{ .Prompt }}"));
	json_object_object_add(o, "details", details_json(model));
	json_object_object_add(o, "model_info", info);
	json_object_object_add(o, "capabilities", caps);
	json_object_object_add(o, "modified_at", json_object_new_string(CREATED_AT));
	plan_json(p, 200, o);
	free(family);
	free(key);
}

static json_object *message_json(const char *content, const char *thinking)
{
	json_object *msg = json_object_new_object();

	json_object_object_add(msg, "role", json_object_new_string("assistant"));
	json_object_object_add(msg, "content", json_object_new_string(content));
	if (thinking)
		json_object_object_add(msg, "thinking", json_object_new_string(thinking));
	return msg;
}

static json_object *line_head(const char *model)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "model", json_object_new_string(model));
	json_object_object_add(o, "created_at", json_object_new_string(CREATED_AT));
	return o;
}

static char *ndjson(json_object *o)
{
	char *json = json_dump_put(o);
	char *line = xasprintf("%s\n", json);

	free(json);
	return line;
}

/* The closing fields; durations are in nanoseconds, fixed for determinism. */
static void add_done(json_object *o, const struct answer *a)
{
	json_object_object_add(o, "done", json_object_new_boolean(1));
	json_object_object_add(o, "done_reason",
			       json_object_new_string(a->truncated ? "length" : "stop"));
	json_object_object_add(o, "total_duration", json_object_new_int64(250000000));
	json_object_object_add(o, "load_duration", json_object_new_int64(10000000));
	json_object_object_add(o, "prompt_eval_count", json_object_new_int64(a->prompt_tokens));
	json_object_object_add(o, "prompt_eval_duration", json_object_new_int64(40000000));
	json_object_object_add(o, "eval_count", json_object_new_int64(a->completion_tokens));
	json_object_object_add(o, "eval_duration", json_object_new_int64(200000000));
}

static void push_chunks(struct plan *p, const char *model, const char *text, bool thinking)
{
	struct strvec words = { 0 };

	split_words(text, &words);
	for (size_t i = 0; i < words.n; i++) {
		json_object *o = line_head(model);
		json_object_object_add(o, "message", thinking ? message_json("", words.v[i])
							      : message_json(words.v[i], NULL));
		json_object_object_add(o, "done", json_object_new_boolean(0));
		strvec_push(&p->pieces, ndjson(o));
	}
	strvec_free(&words);
}

static bool wants_think(json_object *body)
{
	json_object *v;

	if (!json_object_object_get_ex(body, "think", &v) || !v)
		return false;
	/* gpt-oss style levels ("low", "high") count as on. */
	if (json_object_is_type(v, json_type_string))
		return strcmp(json_object_get_string(v), "false") != 0;
	return json_object_get_boolean(v);
}

void ollama_chat(struct mreq *r, struct plan *p)
{
	json_object *body = r->json, *v, *o;
	struct chat_in in = { 0 };
	struct answer a;
	const char *model, *reasoning = NULL;
	char *content, *msg;
	bool stream = true, think;

	if (!body || !json_object_is_type(body, json_type_object)) {
		ollama_error(p, 400, "invalid character in request body");
		return;
	}
	model = body_model(body);
	if (!model || !*model) {
		ollama_error(p, 400, "model is required");
		return;
	}
	if (!mock_model_known(r->m, model)) {
		msg = not_found(model);
		ollama_error(p, 404, msg);
		free(msg);
		return;
	}
	if (json_object_object_get_ex(body, "stream", &v) && v)
		stream = json_object_get_boolean(v);
	json_object_object_get_ex(body, "messages", &in.messages);
	if (json_object_object_get_ex(body, "options", &v) &&
	    json_object_object_get_ex(v, "num_predict", &v) && json_object_is_type(v, json_type_int))
		in.max_tokens = (long)json_object_get_int64(v);

	if (r->k.reasoning && *r->k.reasoning)
		reasoning = r->k.reasoning;
	else if (strstr(model, "think") || strstr(model, "qwen3"))
		reasoning = MOCK_DEFAULT_REASONING;
	think = reasoning && wants_think(body);

	answer_make(r->m, &r->k, &in, &a);
	/* Without "think", a thinking model inlines its reasoning as tags. */
	content = reasoning && !think && r->k.think_tags
			  ? xasprintf("<think>%s</think>%s", reasoning, a.text)
			  : xstrdup(a.text);
	if (stream) {
		p->stream = true;
		p->content_type = "application/x-ndjson";
		if (think)
			push_chunks(p, model, reasoning, true);
		push_chunks(p, model, content, false);
		o = line_head(model);
		json_object_object_add(o, "message", message_json("", NULL));
		add_done(o, &a);
		strvec_push(&p->pieces, ndjson(o));
		p->stream_error = xstrdup("{\"error\":\"mock: injected stream error\"}\n");
	} else {
		o = line_head(model);
		json_object_object_add(o, "message", message_json(content, think ? reasoning : NULL));
		add_done(o, &a);
		plan_json(p, 200, o);
	}
	free(content);
	answer_free(&a);
}
