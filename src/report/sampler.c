/*
 * sampler.c - rows of a series taken from a running replay (sampler.h).
 *
 * The only subtlety is the end: the replay calls the hook once more when
 * the trace ends, which may be right after a regular sample; the row is
 * then not taken twice, so the rows of a run are one per EVERY operations
 * plus the end, whatever the trace's length.
 */
#include "sampler.h"

#include "figures.h"
#include "sim/replay.h"

void sampler_init(struct sampler *smp, const char *const *columns, size_t ncols,
		  sampler_fill_fn fill, void *arg, uint64_t every)
{
	*smp = (struct sampler){.fill = fill, .arg = arg, .every = every ? every : 1};
	series_init(&smp->series, columns, ncols);
}

void sampler_init_figures(struct sampler *smp, uint64_t every)
{
	sampler_init(smp, figures_columns, FIGURES_NCOLS, figures_fill, NULL, every);
}

void sampler_free(struct sampler *smp)
{
	series_free(&smp->series);
}

void sampler_take(struct sampler *smp, struct sim *s, uint64_t ops)
{
	uint64_t row[SERIES_MAX_COLUMNS] = {0};

	if (smp->fill == NULL || (smp->series.nrows > 0 && smp->last_ops == ops))
		return;
	smp->fill(smp->arg, s, ops, row);
	row[0] = ops;   /* the x axis, whatever the fill function did */
	series_add(&smp->series, row);
	smp->last_ops = ops;
}

void sampler_hook(void *arg, struct sim *s, uint64_t ops, bool at_end)
{
	struct sampler *smp = arg;

	if (at_end || ops % smp->every == 0)
		sampler_take(smp, s, ops);
}

void sampler_attach(struct sampler *smp, struct replay_opts *o)
{
	o->sample = sampler_hook;
	o->sample_arg = smp;
	o->sample_every = smp->every;
}
