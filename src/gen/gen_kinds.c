/*
 * gen_kinds.c - the list of generators behind `mvm gen KIND`.
 *
 * Each kind is declared beside its generator (gen_<kind>.c, with its
 * option table); this list only orders them, so that `mvm gen`, its
 * messages and `mvm help` name the same kinds in the same order.
 */
#include "gen_options.h"

#include <string.h>

const struct gen_kind *const gen_kinds[] = {
	&gen_random_kind,         &gen_fork_server_kind,   &gen_vm_test_kind,
	&gen_parallel_build_kind, &gen_fragmentation_kind, &gen_translator_kind,
};
const size_t gen_nkinds = sizeof gen_kinds / sizeof gen_kinds[0];

const struct gen_kind *gen_kind_find(const char *name)
{
	for (size_t i = 0; i < gen_nkinds; i++)
		if (strcmp(gen_kinds[i]->name, name) == 0)
			return gen_kinds[i];
	return NULL;
}

const char *gen_kind_names(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < gen_nkinds && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", gen_kinds[i]->name);

		used += n > 0 ? (size_t)n : 0;
	}
	return buf;
}
