/* fixture.h: nothing shared yet; keeps the fixture sources' shape uniform. */
#ifndef LLMH_FIXTURE_H
#define LLMH_FIXTURE_H
#include <llmhost/plugin.h>
#endif
