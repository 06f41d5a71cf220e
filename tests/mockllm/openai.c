/*
 * openai.c - the OpenAI-compatible face of the mock: GET {prefix}/models and
 * POST {prefix}/chat/completions, plain or streamed as Server-Sent Events,
 * with optional reasoning (reasoning_content or <think> tags) and usage.
 */
#include "mockllm.h"

#include <stdlib.h>

static void error_full(struct plan *p, int status, const char *message, const char *type,
		       const char *code)
{
	json_object *o = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(e, "type", json_object_new_string(type));
	json_object_object_add(e, "param", NULL);
	json_object_object_add(e, "code", code ? json_object_new_string(code) : NULL);
	json_object_object_add(o, "error", e);
	plan_json(p, status, o);
}

void openai_error(struct plan *p, int status, const char *message)
{
	const char *type = "invalid_request_error", *code = NULL;

	if (status == 401) {
		type = "invalid_request_error";
		code = "invalid_api_key";
	} else if (status == 403) {
		type = "permission_error";
	} else if (status == 404) {
		code = "not_found";
	} else if (status == 429) {
		type = "requests";
		code = "rate_limit_exceeded";
	} else if (status >= 500) {
		type = "server_error";
		code = status == 503 ? "service_unavailable" : "server_error";
	}
	error_full(p, status, message, type, code);
}

void openai_models(struct mreq *r, struct plan *p)
{
	json_object *o = json_object_new_object(), *data = json_object_new_array();

	for (size_t i = 0; i < r->m->models.n; i++) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "id", json_object_new_string(r->m->models.v[i]));
		json_object_object_add(e, "object", json_object_new_string("model"));
		json_object_object_add(e, "created", json_object_new_int(0));
		json_object_object_add(e, "owned_by", json_object_new_string("mock"));
		json_object_array_add(data, e);
	}
	json_object_object_add(o, "object", json_object_new_string("list"));
	json_object_object_add(o, "data", data);
	plan_json(p, 200, o);
}

/* What a chat completion needs while building its events. */
struct oa {
	char id[48];
	const char *model;
	bool include_usage;
};

static json_object *usage_json(const struct answer *a)
{
	json_object *u = json_object_new_object();

	json_object_object_add(u, "prompt_tokens", json_object_new_int64(a->prompt_tokens));
	json_object_object_add(u, "completion_tokens", json_object_new_int64(a->completion_tokens));
	json_object_object_add(u, "total_tokens",
			       json_object_new_int64(a->prompt_tokens + a->completion_tokens));
	return u;
}

static json_object *object_head(const struct oa *o, const char *object)
{
	json_object *c = json_object_new_object();

	json_object_object_add(c, "id", json_object_new_string(o->id));
	json_object_object_add(c, "object", json_object_new_string(object));
	json_object_object_add(c, "created", json_object_new_int64(MOCK_CREATED));
	json_object_object_add(c, "model", json_object_new_string(o->model));
	return c;
}

static char *sse(json_object *c)
{
	char *json = json_dump_put(c);
	char *ev = xasprintf("data: %s\n\n", json);

	free(json);
	return ev;
}

/* One chunk event; consumes DELTA. */
static char *chunk(const struct oa *o, json_object *delta, const char *finish)
{
	json_object *c = object_head(o, "chat.completion.chunk");
	json_object *choices = json_object_new_array(), *ch = json_object_new_object();

	json_object_object_add(ch, "index", json_object_new_int(0));
	json_object_object_add(ch, "delta", delta);
	json_object_object_add(ch, "logprobs", NULL);
	json_object_object_add(ch, "finish_reason", finish ? json_object_new_string(finish) : NULL);
	json_object_array_add(choices, ch);
	json_object_object_add(c, "choices", choices);
	/* Real servers put "usage": null on every chunk when usage is asked for. */
	if (o->include_usage)
		json_object_object_add(c, "usage", NULL);
	return sse(c);
}

static json_object *delta1(const char *key, const char *value)
{
	json_object *d = json_object_new_object();

	json_object_object_add(d, key, json_object_new_string(value));
	return d;
}

static void push_words(const struct oa *o, struct plan *p, const char *key, const char *text)
{
	struct strvec words = { 0 };

	split_words(text, &words);
	for (size_t i = 0; i < words.n; i++)
		strvec_push(&p->pieces, chunk(o, delta1(key, words.v[i]), NULL));
	strvec_free(&words);
}

/* <think>REASONING</think> split so that both tags break across chunks. */
static void push_think_tags(const struct oa *o, struct plan *p, const char *reasoning)
{
	struct strvec words = { 0 };

	split_words(reasoning, &words);
	strvec_push(&p->pieces, chunk(o, delta1("content", "<thi"), NULL));
	for (size_t i = 0; i < words.n; i++) {
		char *s = xasprintf("%s%s%s", i == 0 ? "nk>" : "", words.v[i],
				    i + 1 == words.n ? "</th" : "");
		strvec_push(&p->pieces, chunk(o, delta1("content", s), NULL));
		free(s);
	}
	if (words.n == 0)
		strvec_push(&p->pieces, chunk(o, delta1("content", "nk></th"), NULL));
	strvec_push(&p->pieces, chunk(o, delta1("content", "ink>"), NULL));
	strvec_free(&words);
}

static void build_stream(const struct oa *o, struct plan *p, const struct answer *a,
			 const char *reasoning, bool think_tags)
{
	const char *finish = a->truncated ? "length" : "stop";
	json_object *last;

	p->stream = true;
	p->content_type = "text/event-stream";
	strvec_push(&p->pieces, chunk(o, delta1("role", "assistant"), NULL));
	if (reasoning && think_tags)
		push_think_tags(o, p, reasoning);
	else if (reasoning)
		push_words(o, p, "reasoning_content", reasoning);
	push_words(o, p, "content", a->text);
	strvec_push(&p->pieces, chunk(o, json_object_new_object(), finish));
	if (o->include_usage) {
		last = object_head(o, "chat.completion.chunk");
		json_object_object_add(last, "choices", json_object_new_array());
		json_object_object_add(last, "usage", usage_json(a));
		strvec_push(&p->pieces, sse(last));
	}
	strvec_push(&p->pieces, xstrdup("data: [DONE]\n\n"));
	p->stream_error = xstrdup("data: {\"error\":{\"message\":\"mock: injected stream error\","
				  "\"type\":\"server_error\",\"param\":null,\"code\":\"server_error\"}}\n\n");
}

static void build_plain(const struct oa *o, struct plan *p, const struct answer *a,
			const char *reasoning, bool think_tags)
{
	json_object *c = object_head(o, "chat.completion");
	json_object *choices = json_object_new_array(), *ch = json_object_new_object();
	json_object *msg = json_object_new_object();
	char *content = reasoning && think_tags
				? xasprintf("<think>%s</think>%s", reasoning, a->text)
				: xstrdup(a->text);

	json_object_object_add(msg, "role", json_object_new_string("assistant"));
	json_object_object_add(msg, "content", json_object_new_string(content));
	if (reasoning && !think_tags)
		json_object_object_add(msg, "reasoning_content", json_object_new_string(reasoning));
	json_object_object_add(ch, "index", json_object_new_int(0));
	json_object_object_add(ch, "message", msg);
	json_object_object_add(ch, "logprobs", NULL);
	json_object_object_add(ch, "finish_reason",
			       json_object_new_string(a->truncated ? "length" : "stop"));
	json_object_array_add(choices, ch);
	json_object_object_add(c, "choices", choices);
	json_object_object_add(c, "usage", usage_json(a));
	plan_json(p, 200, c);
	free(content);
}

static long member_long(json_object *obj, const char *key)
{
	json_object *v;

	if (json_object_object_get_ex(obj, key, &v) && json_object_is_type(v, json_type_int))
		return (long)json_object_get_int64(v);
	return 0;
}

void openai_chat(struct mreq *r, struct plan *p)
{
	json_object *body = r->json, *v;
	struct chat_in in = { 0 };
	struct answer a;
	struct oa o = { .include_usage = false };
	const char *reasoning = r->k.reasoning && *r->k.reasoning ? r->k.reasoning : NULL;
	bool stream = false;

	if (!body || !json_object_is_type(body, json_type_object)) {
		openai_error(p, 400, "We could not parse the JSON body of your request.");
		return;
	}
	o.model = json_get_string(body, "model");
	if (!o.model || !*o.model) {
		openai_error(p, 400, "you must provide a model parameter");
		return;
	}
	if (!json_object_object_get_ex(body, "messages", &in.messages) ||
	    !json_object_is_type(in.messages, json_type_array)) {
		openai_error(p, 400, "'messages' is a required property");
		return;
	}
	if (r->k.strict_models && !mock_model_known(r->m, o.model)) {
		char *msg = xasprintf("The model `%s` does not exist or you do not have access to it.",
				      o.model);
		error_full(p, 404, msg, "invalid_request_error", "model_not_found");
		free(msg);
		return;
	}
	if (json_object_object_get_ex(body, "stream", &v))
		stream = json_object_get_boolean(v);
	if (json_object_object_get_ex(body, "stream_options", &v) &&
	    json_object_object_get_ex(v, "include_usage", &v))
		o.include_usage = json_object_get_boolean(v);
	in.max_tokens = member_long(body, "max_completion_tokens");
	if (in.max_tokens <= 0)
		in.max_tokens = member_long(body, "max_tokens");
	snprintf(o.id, sizeof(o.id), "chatcmpl-mock-%lu", r->n);

	answer_make(r->m, &r->k, &in, &a);
	if (stream)
		build_stream(&o, p, &a, reasoning, r->k.think_tags);
	else
		build_plain(&o, p, &a, reasoning, r->k.think_tags);
	answer_free(&a);
}
