/* version.h: the host's version string (internal). */
#ifndef LLMH_VERSION_H
#define LLMH_VERSION_H
#include "config.h"
#define LLMH_VERSION_STRING PACKAGE_VERSION
#endif
