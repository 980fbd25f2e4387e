/*
 * demo_run.h - what every `mvm demo` scenario does: replay a generated
 * trace while sampling figures, then print the common parts of a report.
 *
 * A scenario, in order:
 *
 *   static const char *const cols[] = {"ops", "swap_inuse", "free"};
 *   static int generate(FILE *out, const void *p)   // the generator, typed
 *   { return gen_fork_server(out, p); }
 *   struct demo_run run;
 *
 *   demo_run_init(&run, ctx, "fork-server", cols, 3);
 *   run.opts.ram_bytes = 16 << 20;      // the scenario's machine
 *   run.sample = my_sample;             // fills one row from the machine
 *   if (!demo_run_replay_gen(&run, generate, &params))   // output lines are
 *           return 1;                                     // counted, not kept
 *   (or demo_trace_text, then demo_run_replay of the text)
 *
 *   demo_say(&run, "heap %s, %u forks", ...);   // its parameters
 *   demo_report_machine(&run);                  // RAM, swap, checks, time
 *   demo_report_chart(&run, "swap_inuse");      // chart of a column vs ops
 *   ... its own end state and judgement, with demo_say ...
 *   return demo_run_finish(&run, ok, "passed: ...");  // the series kept for
 *                       // --series FILE, the checker's verdict, the last line; frees
 *
 * Every report line goes to ctx->out and starts with "# " (the spec keeps
 * standard output for `#` lines besides the trace's own output).
 *
 * The first series column is the x axis by convention: the operations run
 * so far (the OPS argument of the sampler).  Rows are taken by the
 * report's sampler (src/report/sampler.h, which `mvm replay --series`
 * uses too) every `sample_every` operations (default: --sample-every, or
 * about DEMO_SAMPLE_ROWS rows over the whole trace, judged from its line
 * count) and once at the end.
 */
#ifndef MVM_CLI_DEMO_RUN_H
#define MVM_CLI_DEMO_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "demo.h"
#include "sim/replay.h"
#include "report/figures.h"
#include "report/sampler.h"
#include "report/series.h"

struct sim;
struct demo_run;

#define DEMO_SAMPLE_ROWS 240

/* Fills ROW (one value per series column, column 0 = OPS) from the machine. */
typedef void (*demo_sample_fn)(struct demo_run *run, struct sim *s, uint64_t ops, uint64_t *row);

struct demo_run {
	/* Set by demo_run_init; the scenario may change them before replay. */
	struct demo_ctx *ctx;
	const char *name;          /* scenario name: trace name in errors, in the series file */
	struct replay_opts opts;   /* ctx->base (the command line's replay
	                            * options); the scenario sets its RAM */
	struct sampler sampler;    /* its series: the columns given to demo_run_init */
	demo_sample_fn sample;     /* NULL: no rows */
	uint64_t sample_every;     /* 0: about DEMO_SAMPLE_ROWS rows in all */
	FILE *echo;                /* NULL: the trace's output lines are only
	                            * counted; else they are copied here too */
	/* Called right after each `stat` line of the trace has run, with the
	 * machine as the line left it: the moment to read an end state
	 * before the trace's processes exit.  NULL: none. */
	void (*at_stat)(struct demo_run *run, struct sim *s);
	void *arg;                 /* the scenario's own state, for its hooks */

	/* Results, set by demo_run_replay. */
	int status;                /* REPLAY_OK, REPLAY_FAILED or REPLAY_BAD_INPUT */
	uint64_t ops;              /* trace operations run */
	uint64_t checks;           /* consistency checks run (`check` lines and
	                            * --check-every); all passed iff status is OK */
	uint64_t out_lines;        /* output lines the trace printed (discarded) */
	uint64_t killed;           /* ... of which `P killed WHY` lines */
	uint64_t oom_kills;        /* processes the OOM killer ended */
	uint64_t swap_slots;       /* size of swap in pages (0: none) */
	uint64_t swap_peak;        /* the allocator's high-water mark, in slots */
	uint64_t swap_end;         /* slots in use when the trace ended */
	double seconds;            /* host time the replay took */
	uint64_t stats_seen;       /* (internal) `stat` lines seen */
};

/* A generator of src/sim/gen*.h, taking its own parameter struct. */
typedef int (*demo_gen_fn)(FILE *out, const void *params);

/* The whole trace GEN writes for PARAMS, in memory (free() it), its length
 * in *LEN; NULL if the generator or the stream failed. */
char *demo_trace_text(demo_gen_fn gen, const void *params, size_t *len);

void demo_run_init(struct demo_run *run, struct demo_ctx *ctx, const char *name,
		   const char *const *columns, size_t ncolumns);
void demo_run_free(struct demo_run *run);

/* Replays TEXT (a whole trace) with run->opts; returns run->status. */
int demo_run_replay(struct demo_run *run, const char *text, size_t len);
/* demo_run_replay of the trace GEN writes for PARAMS; false if the trace
 * could not be made, and then RUN is freed. */
bool demo_run_replay_gen(struct demo_run *run, demo_gen_fn gen, const void *params);

/* One report line: "# " + the formatted text + newline. */
void demo_say(const struct demo_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* BYTES as people write sizes: "64 MiB", "384 KiB", "1.5 GiB", "100 B". */
const char *demo_size(uint64_t bytes, char *buf, size_t len);
/* "trace: mvm gen KIND --opt V ...", the command that makes the trace. */
struct gen_kind;
void demo_say_trace(const struct demo_run *run, const struct gen_kind *kind, const void *params);

/* "machine: RAM 16 MiB, swap 256 MiB; replay of N operations took S s". */
void demo_report_machine(const struct demo_run *run);
/* A chart of COLUMN against operations, and its peak. */
void demo_report_chart(const struct demo_run *run, const char *column);
/* Keeps the series for --series FILE (written once every scenario ran). */
void demo_report_series(struct demo_run *run);
/* "checker: N checks ran, all passed" (or why not); true if the replay
 * ended well. */
bool demo_report_verdict(const struct demo_run *run);
/* How every scenario ends: the series (demo_report_series), the verdict,
 * and "NAME passed: ..." with PASSED, or "NAME FAILED"; frees RUN.  OK is
 * the scenario's own judgement.  Returns the scenario's status: 0 if OK
 * and the verdict was too, else 1. */
int demo_run_finish(struct demo_run *run, bool ok, const char *passed);

/*
 * How anonymous memory is held, walked from the processes' maps through
 * the core's structures (each anon counted once, however many maps and
 * copy-on-write shares reach it).  The swap leak is swap in use beyond
 * `slots` counted over every process.
 */
struct demo_anons {
	uint64_t anons;      /* distinct anons reached */
	uint64_t resident;   /* ... with a frame */
	uint64_t slots;      /* ... owning a swap slot (paged out, or a clean copy) */
	uint64_t paged_out;  /* ... owning a slot and no frame */
};
/* Counts what PID's map reaches (PID 0: every process's); zeroes if PID
 * does not exist. */
void demo_count_anons(struct sim *s, uint64_t pid, struct demo_anons *out);

/*
 * The swap leak, watched: at every sample, swap in use against the slots
 * that anons some live process reaches own (any difference is a leak, or
 * a slot counted twice), and the end state at the trace's `stat`.  The
 * fork-server and vm-test scenarios report it.
 */
struct demo_swap_watch {
	uint64_t gaps;              /* samples where swap in use != owned */
	uint64_t worst_gap;         /* the largest such difference */
	bool ended;                 /* the trace's `stat` ran */
	uint64_t end_inuse;         /* swap slots in use at the `stat` */
	uint64_t end_procs;         /* live processes then */
	struct demo_anons end_all;  /* every live process's anons then */
};
/* A sample: INUSE slots in use, OWNED owned by live processes' anons. */
void demo_swap_watch_sample(struct demo_swap_watch *w, uint64_t inuse, uint64_t owned);
/* The trace's `stat` line has just run on S. */
void demo_swap_watch_stat(struct demo_swap_watch *w, struct sim *s);
/*
 * The end state: swap in use at the `stat` against OWNER (the anons that
 * should hold all of it then), the leak, the swap left once every process
 * exited, and the samples.  The words: "end state, WHEN: ...; WHOSE own
 * ..." and "after GONE exited".  True if nothing leaked, no slot was left
 * and every sample agreed.
 */
bool demo_swap_watch_report(const struct demo_run *run, const struct demo_swap_watch *w,
			    const struct demo_anons *owner, const char *when, const char *whose,
			    const char *gone);

#endif
