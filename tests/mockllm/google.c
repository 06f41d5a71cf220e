/*
 * google.c - the one Google-native endpoint llmhost uses: GET /v1beta/models
 * (Gemini chat itself goes through the OpenAI face under /v1beta/openai).
 * The listing includes an embedding-only model, which clients must skip.
 */
#include "mockllm.h"

#include <stdlib.h>

#define EMBEDDING_MODEL "text-embedding-004"

static const char *status_name(int status)
{
	switch (status) {
	case 400: return "INVALID_ARGUMENT";
	case 401: return "UNAUTHENTICATED";
	case 403: return "PERMISSION_DENIED";
	case 404: return "NOT_FOUND";
	case 429: return "RESOURCE_EXHAUSTED";
	case 503: return "UNAVAILABLE";
	case 504: return "DEADLINE_EXCEEDED";
	default: return status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
	}
}

void google_error(struct plan *p, int status, const char *message)
{
	json_object *o = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_int(status));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(e, "status", json_object_new_string(status_name(status)));
	json_object_object_add(o, "error", e);
	plan_json(p, status, o);
}

static json_object *model_json(const char *id, const char **methods, size_t nmethods, int limit)
{
	json_object *e = json_object_new_object(), *arr = json_object_new_array();
	char *name = xasprintf("models/%s", id), *label = model_display_name(id);

	for (size_t i = 0; i < nmethods; i++)
		json_object_array_add(arr, json_object_new_string(methods[i]));
	json_object_object_add(e, "name", json_object_new_string(name));
	json_object_object_add(e, "version", json_object_new_string("001"));
	json_object_object_add(e, "displayName", json_object_new_string(label));
	json_object_object_add(e, "description", json_object_new_string("A mock model."));
	json_object_object_add(e, "inputTokenLimit", json_object_new_int(limit));
	json_object_object_add(e, "outputTokenLimit", json_object_new_int(8192));
	json_object_object_add(e, "supportedGenerationMethods", arr);
	free(name);
	free(label);
	return e;
}

void google_models(struct mreq *r, struct plan *p)
{
	static const char *chat[] = { "generateContent", "countTokens" };
	static const char *embed[] = { "embedContent" };
	json_object *o = json_object_new_object(), *models = json_object_new_array();

	for (size_t i = 0; i < r->m->models.n; i++)
		json_object_array_add(models, model_json(r->m->models.v[i], chat, 2, 1048576));
	json_object_array_add(models, model_json(EMBEDDING_MODEL, embed, 1, 2048));
	json_object_object_add(o, "models", models);
	plan_json(p, 200, o);
}
