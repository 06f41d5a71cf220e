/*
 * answer.c - what the mock "model" says. Answers are deterministic: filler
 * of a given size (large_bytes), a scripted rule or answer (--script), or an
 * echo of the last user message. Also the word splitting and counting that
 * usage numbers and stream chunking are based on.
 */
#include "mockllm.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct rule {
	char *match;
	char *answer;
};

struct script {
	struct strvec answers;
	struct rule *rules;
	size_t nrules;
};

void script_free(struct script *s)
{
	if (!s)
		return;
	strvec_free(&s->answers);
	for (size_t i = 0; i < s->nrules; i++) {
		free(s->rules[i].match);
		free(s->rules[i].answer);
	}
	free(s->rules);
	free(s);
}

static int load_answers(struct script *s, json_object *arr, char *err, size_t errlen)
{
	if (!json_object_is_type(arr, json_type_array)) {
		snprintf(err, errlen, "\"answers\" must be an array of strings");
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *a = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(a, json_type_string)) {
			snprintf(err, errlen, "answers[%zu] is not a string", i);
			return -1;
		}
		strvec_push(&s->answers, xstrdup(json_object_get_string(a)));
	}
	return 0;
}

static int load_rules(struct script *s, json_object *arr, char *err, size_t errlen)
{
	size_t n;

	if (!json_object_is_type(arr, json_type_array)) {
		snprintf(err, errlen, "\"rules\" must be an array of {match, answer}");
		return -1;
	}
	n = json_object_array_length(arr);
	s->rules = xcalloc(n, sizeof(*s->rules));
	for (size_t i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(arr, i);
		const char *match = json_get_string(r, "match");
		const char *answer = json_get_string(r, "answer");

		if (!match || !answer) {
			snprintf(err, errlen, "rules[%zu] needs string members match and answer", i);
			return -1;
		}
		s->rules[i].match = xstrdup(match);
		s->rules[i].answer = xstrdup(answer);
		s->nrules++;
	}
	return 0;
}

int script_load(struct mock *m, const char *file, char *err, size_t errlen)
{
	json_object *root = json_object_from_file(file);
	json_object *v;
	struct script *s;
	int rc = 0;

	if (!root || !json_object_is_type(root, json_type_object)) {
		const char *why = root ? "not a JSON object" : json_util_get_last_err();
		snprintf(err, errlen, "%s: %.*s", file, (int)strcspn(why ? why : "unreadable", "\n"),
			 why ? why : "unreadable");
		json_object_put(root);
		return -1;
	}
	s = xcalloc(1, sizeof(*s));
	if (json_object_object_get_ex(root, "answers", &v))
		rc = load_answers(s, v, err, errlen);
	if (rc == 0 && json_object_object_get_ex(root, "rules", &v))
		rc = load_rules(s, v, err, errlen);
	json_object_put(root);
	if (rc < 0) {
		script_free(s);
		return -1;
	}
	script_free(m->script);
	m->script = s;
	return 0;
}

char *content_text(json_object *content)
{
	struct strvec parts = { 0 };
	size_t len = 0;
	char *out, *p;

	if (!content)
		return xstrdup("");
	if (json_object_is_type(content, json_type_string))
		return xstrdup(json_object_get_string(content));
	if (!json_object_is_type(content, json_type_array))
		return xstrdup("");
	/* Multi-part content (OpenAI and Anthropic): keep the text parts. */
	for (size_t i = 0; i < json_object_array_length(content); i++) {
		json_object *part = json_object_array_get_idx(content, i);
		const char *t = json_object_is_type(part, json_type_string)
					? json_object_get_string(part)
					: json_get_string(part, "text");
		if (t) {
			strvec_push(&parts, xstrdup(t));
			len += strlen(t) + 1;
		}
	}
	out = p = xmalloc(len + 1);
	for (size_t i = 0; i < parts.n; i++) {
		size_t l = strlen(parts.v[i]);
		if (i)
			*p++ = ' ';
		memcpy(p, parts.v[i], l);
		p += l;
	}
	*p = '\0';
	strvec_free(&parts);
	return out;
}

long count_words(const char *s)
{
	long n = 0;
	bool in_word = false;

	for (; *s; s++) {
		bool space = isspace((unsigned char)*s);
		if (!space && !in_word)
			n++;
		in_word = !space;
	}
	return n;
}

void split_words(const char *s, struct strvec *out)
{
	const char *start = s, *p = s;

	/* Leading white space belongs to the first piece. */
	while (*p && isspace((unsigned char)*p))
		p++;
	while (*p) {
		while (*p && !isspace((unsigned char)*p))
			p++;
		while (*p && isspace((unsigned char)*p))
			p++;
		strvec_push(out, xstrndup(start, (size_t)(p - start)));
		start = p;
	}
	if (out->n == 0 && *s)
		strvec_push(out, xstrdup(s));
}

static char *filler(long n)
{
	static const char phrase[] = "The quick brown fox jumps over the lazy dog. ";
	char *s = xmalloc((size_t)n + 1);

	for (long i = 0; i < n; i++)
		s[i] = phrase[(size_t)i % (sizeof(phrase) - 1)];
	/* End on a word so the exact byte count survives trimming by clients. */
	if (n > 0 && s[n - 1] == ' ')
		s[n - 1] = '.';
	s[n] = '\0';
	return s;
}

/* Every message content (and the system prompt) as text, for rules and
 * prompt token counting. */
static void all_texts(const struct chat_in *in, struct strvec *out)
{
	if (in->system)
		strvec_push(out, content_text(in->system));
	if (!in->messages || !json_object_is_type(in->messages, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(in->messages); i++) {
		json_object *msg = json_object_array_get_idx(in->messages, i), *c;
		if (json_object_object_get_ex(msg, "content", &c))
			strvec_push(out, content_text(c));
	}
}

static char *last_user_text(const struct chat_in *in)
{
	if (!in->messages || !json_object_is_type(in->messages, json_type_array))
		return xstrdup("");
	for (size_t i = json_object_array_length(in->messages); i-- > 0;) {
		json_object *msg = json_object_array_get_idx(in->messages, i), *c;
		const char *role = json_get_string(msg, "role");
		if (role && strcmp(role, "user") == 0 && json_object_object_get_ex(msg, "content", &c))
			return content_text(c);
	}
	return xstrdup("");
}

static char *choose_text(struct mock *m, const struct knobs *k, const struct chat_in *in,
			 const struct strvec *texts)
{
	struct script *s = m->script;
	char *user, *out;

	if (k->large_bytes > 0)
		return filler(k->large_bytes);
	if (s) {
		for (size_t i = 0; i < s->nrules; i++)
			for (size_t j = 0; j < texts->n; j++)
				if (strstr(texts->v[j], s->rules[i].match))
					return xstrdup(s->rules[i].answer);
		if (s->answers.n) {
			size_t idx = m->answer_seen < s->answers.n ? m->answer_seen : s->answers.n - 1;
			m->answer_seen++;
			return xstrdup(s->answers.v[idx]);
		}
	}
	user = last_user_text(in);
	out = xasprintf("echo: %s", user);
	free(user);
	return out;
}

void answer_make(struct mock *m, const struct knobs *k, const struct chat_in *in, struct answer *a)
{
	struct strvec texts = { 0 };

	memset(a, 0, sizeof(*a));
	all_texts(in, &texts);
	for (size_t i = 0; i < texts.n; i++)
		a->prompt_tokens += count_words(texts.v[i]);
	a->text = choose_text(m, k, in, &texts);
	strvec_free(&texts);

	if (in->max_tokens > 0 && count_words(a->text) > in->max_tokens) {
		struct strvec words = { 0 };
		size_t keep = 0;

		split_words(a->text, &words);
		for (long i = 0; i < in->max_tokens; i++)
			keep += strlen(words.v[i]);
		while (keep > 0 && isspace((unsigned char)a->text[keep - 1]))
			keep--;
		a->text[keep] = '\0';
		a->truncated = true;
		strvec_free(&words);
	}
	a->completion_tokens = count_words(a->text);
}

void answer_free(struct answer *a)
{
	free(a->text);
	a->text = NULL;
}
