/* cache.h: the response cache (internal). Two tiers: an in-memory LRU bounded
 * in bytes, and a persistent SQLite store shared by processes (WAL). Plus
 * single flight, so that concurrent identical requests in one process make
 * one upstream call. Any SQLite failure degrades to "miss" / "not stored"
 * with a warning; nothing here fails a chat. */
#ifndef LLMH_CACHE_H
#define LLMH_CACHE_H

#include <stddef.h>

#include <llmhost/types.h>

#include "settings.h"

typedef enum {
    LLMH_CACHE_OFF,
    LLMH_CACHE_ON,
    LLMH_CACHE_READ_ONLY, /* look up, never store or delete */
    LLMH_CACHE_WRITE_ONLY /* store, never look up: refreshes the cache */
} llmh_cache_mode;

typedef struct llmh_cache_config {
    llmh_cache_mode mode; /* llm.cache = off|on|read_only|write_only (default off) */
    long ttl_s;           /* llm.cache_ttl seconds (default 86400); 0 = never expires */
    size_t mem_bytes;     /* cache.memory_bytes (default 64 MiB): bound of the memory tier,
                             in bytes of keys + values + per-entry overhead; 0 disables it */
    char *path;           /* cache.path, default $XDG_CACHE_HOME/llmhost/cache.sqlite
                             ($HOME/.cache when unset); malloc'd. NULL: memory tier only */
} llmh_cache_config;

/* Fills *c (owned by the caller, freed with llmh_cache_config_clear()) from
 * s. llm.<provider>.cache and llm.<provider>.cache_ttl override llm.cache and
 * llm.cache_ttl; provider may be NULL. A bad mode is LLMH_E_CONFIG
 * `llm.cache: expected off, on, read_only or write_only, got "x" (from SRC)`
 * (naming the key actually read); a bad number is LLMH_E_CONFIG from the
 * settings getters. No path derivable (no cache.path, XDG_CACHE_HOME nor
 * HOME) is LLMH_E_CONFIG unless the mode is off. On error *c is cleared. */
llmh_status llmh_cache_config_from_settings(const llmh_settings *s, const char *provider,
                                            llmh_cache_config *c, llmh_error *err);
/* Frees c->path and zeroes *c; NULL is fine. */
void llmh_cache_config_clear(llmh_cache_config *c);

/* One cached answer. */
typedef struct llmh_cached {
    char *content, *reasoning, *model; /* malloc'd, each may be NULL */
    llmh_finish finish;
    llmh_usage usage;
    long long created_ms; /* wall clock (ms since the epoch) */
} llmh_cached;
/* Frees the strings and zeroes *a; NULL is fine. */
void llmh_cached_clear(llmh_cached *a);

/* Thread-safe: every function may be called from any thread, except close. */
typedef struct llmh_cache llmh_cache;

/* Owned by the caller, freed with llmh_cache_close(); c is copied. Nothing is
 * touched on disk here: the directory (0700) and the SQLite file (0600) are
 * created on the first store; a lookup opens an existing file. A corrupt file
 * (not a database, or failing `PRAGMA quick_check`) is renamed to
 * PATH.corrupt-<epoch> with one warning naming both paths, and a fresh one is
 * created (in read_only mode it is left alone and not used). WAL,
 * synchronous=NORMAL, a busy timeout: processes share the file. Returns NULL
 * (LLMH_E_INVALID) only for a NULL or invalid config; LLMH_E_NOMEM aborts. */
llmh_cache *llmh_cache_open(const llmh_cache_config *c, llmh_error *err);
/* NULL is fine. No flight may be in progress. */
void llmh_cache_close(llmh_cache *c);

/* The key: SHA-256 hex of a canonical request text the caller builds
 * (provider, base URL, model, messages, every answer-changing parameter;
 * never the API key). canonical is borrowed. */
void llmh_cache_key(const char *canonical, size_t len, char out[65]);

/* Lookup: the memory tier first, then SQLite (a hit there is promoted into
 * memory). Expired entries are misses, and removed (not in read_only mode).
 * OFF and WRITE_ONLY always miss. 1 hit: *out (overwritten, not freed first)
 * holds copies the caller frees with llmh_cached_clear(); 0 miss: *out zeroed. */
int llmh_cache_get(llmh_cache *c, const char *key, llmh_cached *out);
/* Store a copy of *a (borrowed) under key, in both tiers for ON, in SQLite
 * only for WRITE_ONLY (nothing would read the memory tier); nothing for OFF
 * and READ_ONLY. The entry expires ttl_s after a->created_ms (now when 0), so
 * an answer created long ago may be stored already expired. */
void llmh_cache_put(llmh_cache *c, const char *key, const llmh_cached *a);

/* Single flight (modes ON and READ_ONLY; OFF and WRITE_ONLY make every caller
 * a leader). begin returns 1 for the leader, which calls upstream and then
 * end exactly once; 0 for a follower, which must then call wait: it blocks
 * until the leader ends and returns 1 with the leader's answer (copied into
 * *out as for llmh_cache_get) or 0, *out zeroed, when the leader failed (the
 * follower then calls upstream itself). end's answer is borrowed, NULL for a
 * failure; end does not store it: call llmh_cache_put() for that. */
int llmh_cache_flight_begin(llmh_cache *c, const char *key);
int llmh_cache_flight_wait(llmh_cache *c, const char *key, llmh_cached *out);
void llmh_cache_flight_end(llmh_cache *c, const char *key, const llmh_cached *answer_or_null);

/* For `llmhost cache stats|clear|prune`. These work whatever the mode (they
 * are explicit requests), but never create the file. */
typedef struct llmh_cache_stats {
    long entries, expired; /* rows of the SQLite store; expired ones among them */
    long long bytes;       /* bytes of keys + values in the SQLite store */
    long hits, misses;     /* lookups through this handle */
    long mem_entries;
    long long mem_bytes; /* as counted against cache.memory_bytes */
    const char *path;    /* borrowed from c; NULL when memory only */
} llmh_cache_stats;
/* LLMH_E_IO when the store exists but cannot be read. */
llmh_status llmh_cache_stats_get(llmh_cache *c, llmh_cache_stats *st, llmh_error *err);
/* Removes every entry of both tiers; *removed (may be NULL) counts SQLite
 * rows, or memory entries when memory only. */
llmh_status llmh_cache_clear(llmh_cache *c, long *removed, llmh_error *err);
/* Removes expired entries of both tiers; *removed as for clear. */
llmh_status llmh_cache_prune(llmh_cache *c, long *removed, llmh_error *err);

#endif
