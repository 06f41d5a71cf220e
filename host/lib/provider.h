/* provider.h: resolving a provider's base URL and key from settings (internal). */
#ifndef LLMH_PROVIDER_H
#define LLMH_PROVIDER_H

#include <llmhost/plugin.h>

#include "settings.h"

/* The setting that holds the provider's URL: its url_setting, else
 * llm.<key>.url. Written into buf. */
const char *llmh_provider_url_key(const llmh_provider *p, char *buf, size_t size);
/* The setting that holds the key: its api_key_setting, else llm.<key>.api_key. */
const char *llmh_provider_key_key(const llmh_provider *p, char *buf, size_t size);

/* Base URL: the URL setting (llm.<key>.url also accepted for every provider),
 * else the default; normalized, with url_suffix added when missing.
 * *out malloc'd. LLMH_E_CONFIG when none is set or it is refused. */
llmh_status llmh_provider_resolve_url(const llmh_settings *s, const llmh_provider *p, char **out,
                                      llmh_error *err);
/* The API key or NULL (empty / white space counts as missing). Borrowed. */
const char *llmh_provider_api_key(const llmh_settings *s, const llmh_provider *p);
const char *llmh_kind_name(llmh_kind k);

#endif
