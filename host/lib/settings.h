/* settings.h: every llmhost setting as a dotted key ("llm.ollama.url") with a
 * value from one of six layers, highest first: -s KEY=VALUE, LLMHOST_<KEY>
 * in the environment, a provider's conventional variable (OPENAI_API_KEY),
 * a profile applied to a copy of the settings (profile.c), the INI file, the
 * built-in default (internal).
 *
 * The INI file: [section] headers map to key prefixes ([llm] -> llm.KEY,
 * [llm.P], [host], [provider.N], [profile.N], [pipeline.N], [pipeline.N.S],
 * [breaker], [cache]; keys before any section are used as written). Other
 * sections are warned about and their keys ignored. KEY = VALUE or KEY: VALUE;
 * comments start with ';' or '#' at the start of a line, or after white space
 * inside a line; a value in "double quotes" keeps its quotes' contents as is
 * (use them for values containing " ;" or " #"). Indented lines are ordinary
 * lines (no multi-line values). A repeated key: the last one wins.
 *
 * Not thread-safe while being changed; concurrent lookups are fine. Lookups
 * read the environment each time (getenv), so they see setenv() at once. */
#ifndef LLMH_SETTINGS_H
#define LLMH_SETTINGS_H

#include <stddef.h>

#include <llmhost/types.h>

typedef struct llmh_settings llmh_settings;

typedef enum {
    LLMH_SRC_NONE,
    LLMH_SRC_DEFAULT,
    LLMH_SRC_FILE,
    LLMH_SRC_ALIAS_ENV,
    LLMH_SRC_ENV,
    LLMH_SRC_CLI,
    LLMH_SRC_PROFILE /* ranks between FILE and ALIAS_ENV; appended to keep the values */
} llmh_setting_source;

/* Owned by the caller, freed with llmh_settings_free(); holds the built-in
 * defaults. NULL when out of memory. */
llmh_settings *llmh_settings_new(void);
/* Frees s and every string it handed out; NULL is fine. */
void llmh_settings_free(llmh_settings *s);
/* A deep copy of s: every layer's values, origins, env aliases, known keys,
 * section list and file names. Owned by the caller (llmh_settings_free);
 * NULL when out of memory or s is NULL. */
llmh_settings *llmh_settings_clone(const llmh_settings *s);

/* Reads explicit_path (-c FILE, must exist) or else the first of
 * $XDG_CONFIG_HOME/llmhost/llmhost.ini ($HOME/.config when unset) and
 * /etc/llmhost/llmhost.ini; none found is LLMH_OK. A file that exists but
 * cannot be read, or has a syntax error ("FILE:LINE: syntax error: hint"), is
 * LLMH_E_CONFIG and leaves s unchanged. Paths are copied. */
/* The user's file, $XDG_CONFIG_HOME/llmhost/llmhost.ini (or under
 * ~/.config); malloc'd, NULL when neither is set. Read before
 * /etc/llmhost/llmhost.ini. */
char *llmh_settings_user_path(void);
llmh_status llmh_settings_load(llmh_settings *s, const char *explicit_path, llmh_error *err);
/* Same parser over text; name (copied; NULL = "<string>") stands for the file
 * in messages, origins and llmh_settings_file(). */
llmh_status llmh_settings_load_string(llmh_settings *s, const char *name, const char *text,
                                      llmh_error *err);

/* "KEY=VALUE" from -s (copied; key and value trimmed). No '=' or an empty key
 * is LLMH_E_INVALID `-s expects KEY=VALUE, got "..."` (anything that may be a
 * value is hidden). */
llmh_status llmh_settings_set_cli(llmh_settings *s, const char *assignment, llmh_error *err);
/* Sets key in one layer (both copied); value NULL removes it from that layer.
 * Plugins give their defaults with LLMH_SRC_DEFAULT, which also makes the key
 * known. Values set in an environment layer rank below the real variable.
 * LLMH_E_INVALID for LLMH_SRC_NONE or a NULL/empty key, LLMH_E_NOMEM. */
llmh_status llmh_settings_set(llmh_settings *s, const char *key, const char *value,
                              llmh_setting_source layer);

/* env_var (copied) also sets key, below LLMHOST_<KEY>; empty or blank counts
 * as unset. Several per key: the first registered wins. Ignored on ENOMEM. */
void llmh_settings_add_env_alias(llmh_settings *s, const char *key, const char *env_var);
/* Declares key (copied) as known, so it draws no "unknown setting" warning. */
void llmh_settings_add_known(llmh_settings *s, const char *key);
/* Warns once per key about keys set in the file or by -s that nothing knows:
 * `FILE:LINE: unknown setting "KEY" (value kept)`. Call after plugins have
 * registered their keys; the values stay readable. */
void llmh_settings_warn_unknown(llmh_settings *s);

/* Effective value, borrowed: valid until that key changes in s, s is freed,
 * or (for values from the environment) the variable changes. NULL when no
 * layer has it. *src (may be NULL) gets the layer. */
const char *llmh_settings_get(const llmh_settings *s, const char *key, llmh_setting_source *src);
/* The variable that would set key: its first alias, else LLMHOST_<KEY> (dots
 * and other non-alphanumerics become '_', letters upper case). Written into
 * buf; returns buf, or NULL when it does not fit. */
const char *llmh_settings_env_name(const llmh_settings *s, const char *key, char *buf,
                                   size_t size);
/* Where the effective value came from, for messages: "FILE:LINE", "-s",
 * "environment variable NAME", "built-in default", "config file" or "not
 * set". Written into buf (truncated to fit); returns buf. */
const char *llmh_settings_source_text(const llmh_settings *s, const char *key, char *buf,
                                      size_t size);
/* 1 when the effective value came from a file line: *file (borrowed, lives as
 * long as s) and *line are set (either may be NULL); else 0. */
int llmh_settings_origin(const llmh_settings *s, const char *key, const char **file, int *line);
/* The last file (or load_string name) read, borrowed; NULL if none. */
const char *llmh_settings_file(const llmh_settings *s);

/* Like llmh_settings_get(), borrowed, but a value that is empty or only white
 * space is missing: NULL. */
const char *llmh_settings_get_secret(const llmh_settings *s, const char *key);

/* Typed getters. Unset: *out = the built-in default when one is registered,
 * else def; LLMH_OK. An empty value counts as unset (so -s KEY= restores the
 * default). A value that does not parse: *out untouched, LLMH_E_CONFIG
 * `KEY: expected <what>, got "VALUE" (from SOURCE)`, where a key named like a
 * secret (…key, …token, …secret, …password) shows "(value hidden)". */
/* Base-10 integer; outside min..max it is clamped, with a warning. */
llmh_status llmh_settings_get_long(const llmh_settings *s, const char *key, long def, long min,
                                   long max, long *out, llmh_error *err);
/* Decimal number, always with '.' whatever the locale; clamped like get_long. */
llmh_status llmh_settings_get_double(const llmh_settings *s, const char *key, double def,
                                     double min, double max, double *out, llmh_error *err);
/* true/false, yes/no, on/off, 1/0, any case; *out is 1 or 0. */
llmh_status llmh_settings_get_bool(const llmh_settings *s, const char *key, int def, int *out,
                                   llmh_error *err);

/* Calls fn(ud, key, value) for each key starting with prefix ("" = all) that
 * has a value, in strcmp order, once at its effective value (environment
 * included for keys s knows of). Strings are borrowed for the call; fn must
 * not change s. */
void llmh_settings_foreach(const llmh_settings *s, const char *prefix,
                           void (*fn)(void *ud, const char *key, const char *value), void *ud);
/* Calls fn(ud, NAME) once per distinct NAME among the file's accepted section
 * headers "PREFIX NAME[.MORE]", in file order: "profile." gives each profile,
 * "pipeline." each pipeline, "pipeline.P." the stages of P. Sections without
 * keys count. name is borrowed for the call. */
void llmh_settings_sections(const llmh_settings *s, const char *prefix,
                            void (*fn)(void *ud, const char *name), void *ud);

/* llm.<provider_key>.request_timeout, else llm.request_timeout, in seconds:
 * default 1800; below 1 becomes 1 (warning); not a number is warned about
 * and skipped (an invalid per-provider value falls back to the global one,
 * an invalid global one to 1800). provider_key may be NULL. */
/* Names under prefix ("profile." → each profile's NAME), from section
 * headers and from keys set any other way, each once, file order first.
 * malloc'd array of malloc'd strings; *n gets the count. */
char **llmh_settings_names(const llmh_settings *s, const char *prefix, size_t *n);

long llmh_settings_request_timeout(const llmh_settings *s, const char *provider_key);
/* Same pattern for max_retries: default 2, clamped to 0..5 (warning). */
long llmh_settings_max_retries(const llmh_settings *s, const char *provider_key);

#endif
