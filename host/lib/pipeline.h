/* pipeline.h: [pipeline.NAME] sections (internal). A pipeline is an ordered
 * list of stages; each stage is a profile, a prompt template with {query},
 * {previous} and {stage.NAME}, an optional condition (when) and what to do
 * when it fails (on_error). Loading validates everything, with FILE:LINE;
 * running calls each stage through profile.c and reports to a callback. */
#ifndef LLMH_PIPELINE_H
#define LLMH_PIPELINE_H

#include <regex.h>

#include <llmhost/llmhost.h>

#include "profile.h"
#include "settings.h"

typedef enum llmh_when_kind {
    LLMH_WHEN_ALWAYS = 0,
    LLMH_WHEN_MATCHES, /* SUBJECT matches REGEX (POSIX extended, any case) */
    LLMH_WHEN_SAYS     /* SUBJECT says WORD: its answer starts with WORD */
} llmh_when_kind;

typedef struct llmh_when {
    llmh_when_kind kind;
    char *text;    /* as written, for reasons */
    char *stage;   /* the subject: a stage name; NULL: previous */
    char *word;    /* says: lower case */
    char *pattern; /* matches: the regex as written */
    regex_t re;
    int has_re;
} llmh_when;

typedef struct llmh_stage_def {
    char *name;
    char *profile_name; /* NULL: the plain settings */
    llmh_profile *profile;
    char *prompt;
    llmh_when when;
    int on_error_continue;
    int may_answer; /* 0: answer = no, its text is never the final answer */
} llmh_stage_def;

typedef struct llmh_pipeline_def {
    char *name;
    char *description; /* NULL when none */
    llmh_stage_def *stages;
    size_t n;
} llmh_pipeline_def;

/* Every pipeline name, sections in file order then names only -s gave;
 * free with llmh_strv_free. */
char **llmh_pipeline_names(const llmh_settings *s, size_t *n);

/* Load and validate pipeline name (its stages' profiles included).
 * LLMH_E_CONFIG "FILE:LINE: pipeline.NAME[.STAGE]: ..." on any problem. */
llmh_status llmh_pipeline_load(llmh_ctx *ctx, const char *name, llmh_pipeline_def **out,
                               llmh_error *err);
void llmh_pipeline_def_free(llmh_pipeline_def *d);

/* Checks a prompt template: {query}, {previous}, {stage.NAME} with NAME one
 * of earlier[0..n); {{ and }} are literal braces; a '{' that does not open
 * a name is literal. 0 when fine, else -1 with why (one line). */
int llmh_template_check(const char *tmpl, const char *const *earlier, size_t n, char *why,
                        size_t whysize);
/* The answer of stage name, or NULL when it did not answer ("" is used). */
typedef const char *(*llmh_template_lookup)(void *ud, const char *stage);
/* Expands a checked template; malloc'd. previous NULL: "". */
char *llmh_template_expand(const char *tmpl, const char *query, const char *previous,
                           llmh_template_lookup lookup, void *ud);

/* Parses `when` text into w: "previous matches REGEX", "previous says WORD",
 * "stage.NAME matches REGEX", "stage.NAME says WORD" (keywords in any case;
 * quotes or slashes around REGEX are removed). 0 when fine, else -1 with why.
 * Free with llmh_when_clear. */
int llmh_when_parse(const char *text, llmh_when *w, char *why, size_t whysize);
void llmh_when_clear(llmh_when *w);
/* Evaluates w. subject is the answer it tests (the previous stage's, or the
 * named stage's); NULL when that stage did not answer. subject_name names it
 * in reasons. 1: run the stage; 0: skip it, *reason malloc'd. */
int llmh_when_eval(const llmh_when *w, const char *subject, const char *subject_name,
                   char **reason);

#endif
