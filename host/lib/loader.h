/* loader.h: opening one plugin file and checking it against the ABI
 * (internal). Registry-wide checks (deny list, duplicates, init) are in
 * registry.c. */
#ifndef LLMH_LOADER_H
#define LLMH_LOADER_H

#include "registry.h"

/* Refuse a file or its directory when someone other than the owner and
 * root can write it. Returns LLMH_GATE_OK or LLMH_GATE_UNSAFE_PERMS with
 * *reason (malloc'd) set. */
llmh_gate llmh_loader_check_perms(const char *path, char **reason);

/* Open path with libltdl and run the per-file gate checks in order. On
 * LLMH_GATE_OK, rec->handle and rec->desc are set; otherwise rec->reason
 * names the file, what was found and what was expected, and nothing stays
 * open. rec->name must be set (the file's stem). */
llmh_gate llmh_loader_open(llmh_plugin_rec *rec);

/* Close what llmh_loader_open opened. */
void llmh_loader_close(llmh_plugin_rec *rec);

/* Check one provider descriptor (struct size, required hooks, capability
 * flags). Returns the gate result and a malloc'd reason. */
llmh_gate llmh_loader_check_provider(const char *file, const llmh_provider *p, char **reason);

#endif
