/* profile.h: [profile.NAME] sections (internal). A profile names a provider,
 * a model, any llm.* or breaker.* setting, and a shape for the answer (style,
 * length, confidence line, domain expertise, knowledge). Loading one
 * validates it against the registry and the file system and reports errors
 * with the FILE:LINE of the offending key. Applying one clones the context's
 * settings and writes the profile's values into the PROFILE layer of the
 * clone, so -s and the environment still win and the profile beats the
 * file's [llm] and [llm.PROVIDER] sections. A chat then runs on a view
 * context: the caller's context with the clone as its settings. */
#ifndef LLMH_PROFILE_H
#define LLMH_PROFILE_H

#include <llmhost/llmhost.h>

#include "ctx.h"
#include "settings.h"
#include "util.h"

typedef enum llmh_style {
    LLMH_STYLE_NONE = 0,
    LLMH_STYLE_CONCISE,
    LLMH_STYLE_DETAILED,
    LLMH_STYLE_TECHNICAL,
    LLMH_STYLE_SIMPLE
} llmh_style;

/* One setting the profile writes into the PROFILE layer. */
typedef struct llmh_profile_set {
    char *key; /* the setting's full name: "llm.temperature", "breaker.failures" */
    char *value;
} llmh_profile_set;

typedef struct llmh_profile {
    char *name;
    char *provider; /* as written; NULL when the profile does not say */
    char *model;
    char *fallback;
    char *system;     /* the text, or the file's contents for @path; NULL: none */
    char *system_ref; /* "@path" as written; NULL when inline or absent */
    llmh_style style;
    long max_length; /* words; 0: no limit */
    int include_confidence;
    char *domain;
    double expertise; /* 0..1; < 0: not set */
    char *knowledge;  /* the text, or the file's contents */
    char *knowledge_ref;
    llmh_profile_set *sets;
    size_t n_sets;
    char *where; /* "FILE:LINE" of its first key; "" when unknown */
} llmh_profile;

/* 1 when s has a [profile.NAME] section or a profile.NAME.* key. */
int llmh_profile_exists(const llmh_settings *s, const char *name);
/* Every profile name (sections in file order, then names that only -s
 * gave), malloc'd array of malloc'd strings; free with llmh_strv_free. */
char **llmh_profile_names(const llmh_settings *s, size_t *n);

/* Load and validate profile name from ctx's settings (plugins are opened to
 * check the provider). LLMH_E_CONFIG "unknown profile" or, for a bad value,
 * "FILE:LINE: profile.NAME: what is wrong". *out: llmh_profile_free. */
llmh_status llmh_profile_load(llmh_ctx *ctx, const char *name, llmh_profile **out, llmh_error *err);
void llmh_profile_free(llmh_profile *p);

/* The system prompt the profile sends: base (the request's system prompt,
 * else the profile's own), then domain and expertise, knowledge, style,
 * length and the confidence instruction, separated by blank lines.
 * malloc'd; NULL when there is nothing to send. p may be NULL. */
char *llmh_profile_system_prompt(const llmh_profile *p, const char *base);

/* max_tokens for a max_length of words: ceil(words * 1.5), plus 10 for the
 * confidence line, never above cap (cap <= 0: no cap). */
long llmh_profile_length_tokens(long words, int include_confidence, long cap);

/* A clone of s with p's settings in its PROFILE layer. provider (may be
 * NULL) is the provider the call will use when the request names one, else
 * the effective llm.provider. For a key the profile sets that also exists
 * per provider (temperature, max_tokens, rpm, ...), the general key's
 * effective value (the profile's, or -s / the environment above it) is also
 * written as llm.<provider>.KEY, unless -s or the environment set that one:
 * so the order is -s, environment, profile, [llm.PROVIDER], [llm], as
 * DESIGN.md says. p may be NULL (a plain clone). NULL on OOM. */
llmh_settings *llmh_profile_settings(const llmh_profile *p, const llmh_settings *s,
                                     const char *provider);

/* A context that shares everything ctx holds (registry, plugins, breakers,
 * cache, transport) but reads settings from s. Nothing of ctx is freed with
 * it: llmh_ctx_view_clear hands what the view opened lazily (the response
 * cache) back to ctx and destroys the view's own lock. A member added to
 * struct llmh_ctx that is created on first use must be handed back there. */
void llmh_ctx_view_init(llmh_ctx *view, llmh_ctx *ctx, llmh_settings *s);
void llmh_ctx_view_clear(llmh_ctx *view, llmh_ctx *ctx);

/* Parses and removes a final "Confidence: NN%" line (also "confidence:
 * 0.85", "Confidence level: 8/10", markdown emphasis around it) from
 * content, in place, with the white space before it. Returns 0..100, or -1
 * when the last non-empty line is not one (content untouched). */
int llmh_confidence_strip(char *content);

/* One chat through a profile: the request merged with the profile, the view
 * context, and the filter that holds back a confidence line while streaming.
 * Lives on the caller's stack between begin and end. */
typedef struct llmh_profile_call {
    llmh_ctx view;
    llmh_ctx *parent;
    llmh_settings *settings;
    llmh_chat_request req; /* what is sent: the caller's, merged */
    const llmh_chat_request *orig;
    char *system;
    char *provider; /* who will be asked, for headings; NULL if unknown */
    char *model;
    int include_confidence;
    llmh_buf held; /* streamed text that may be the confidence line */
} llmh_profile_call;

/* p may be NULL: the request as is, on a view of ctx. */
llmh_status llmh_profile_call_begin(llmh_ctx *ctx, const llmh_profile *p,
                                    const llmh_chat_request *req, llmh_profile_call *pc,
                                    llmh_error *err);
/* Runs the chat; *confidence (may be NULL) gets 0..100 or -1. */
llmh_status llmh_profile_call_run(llmh_profile_call *pc, llmh_chat_result **out, int *confidence,
                                  llmh_error *err);
void llmh_profile_call_end(llmh_profile_call *pc);

#endif
