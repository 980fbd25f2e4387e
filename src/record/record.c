/*
 * record.c - `mvm record`: the run as a whole.
 *
 * The program runs to completion under the recorder first, with the log
 * in a private temporary directory; the log holds page runs, not raw
 * accesses, so it stays a small multiple of the trace.  Then two passes
 * over the log: the first collects every mapping's range to plan the
 * relocation (a cluster's place depends on all of them), the second
 * writes the trace in trace order (record_log.c).  The trace begins with
 * `#` lines saying how it was recorded, so a trace kept in a repository
 * carries its own provenance.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record/record.h"

static void collect_mapping(void *ctx, uint32_t pid, const struct rec *r, const char *path)
{
	(void)pid;
	(void)path;
	if (r->type == REC_MMAP && (r->a & 4095) == 0)
		rec_reloc_add(ctx, r->a, r->b);
}

static void write_header(FILE *out, const struct record_opts *o, const struct rec_reloc *reloc)
{
	fprintf(out, "# recorded by: mvm record%s --", o->relocate ? "" : " --no-relocate");
	for (char **a = o->argv; *a; a++)
		fprintf(out, " %s", *a);
	fprintf(out, "\n# (valgrind with mvm's mvmrec tool; data accesses by page, in program order)\n");
	rec_reloc_describe(reloc, out);
	fprintf(out, "mvm-trace 1\n");
}

static void report_status(int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		fprintf(stderr, "mvm record: the program exited with status %d\n", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		fprintf(stderr, "mvm record: the program was killed by signal %d\n", WTERMSIG(status));
}

static int translate(const struct record_opts *o, const char *log_path, double seconds)
{
	struct rec_log *log = rec_log_open(log_path);
	if (!log)
		return 1;
	struct rec_reloc *reloc = rec_reloc_create();
	rec_log_each(log, collect_mapping, reloc);
	int rc = 1;
	if (!rec_reloc_plan(reloc, o->relocate)) {
		fprintf(stderr, "mvm record: the program's mappings do not fit in the window "
			"[0x100000000000, 0x200000000000); try --no-relocate\n");
		goto out;
	}
	FILE *out = o->out ? fopen(o->out, "w") : stdout;
	if (!out) {
		perror(o->out);
		goto out;
	}
	write_header(out, o, reloc);
	struct rec_writer *w = rec_writer_create(out, reloc);
	rec_log_ordered(log, rec_writer_record, w);
	rec_writer_finish(w);
	rec_writer_report(w, stderr, seconds);
	rc = rec_writer_failed(w) ? 1 : 0;
	rec_writer_destroy(w);
	if (out != stdout && fclose(out) != 0)
		rc = 1;
out:
	rec_reloc_destroy(reloc);
	rec_log_close(log);
	return rc;
}

int record_run(const struct record_opts *o)
{
	char dir[] = "/tmp/mvm-record.XXXXXX";
	const char *tmp = getenv("TMPDIR");
	char dirbuf[4096];
	snprintf(dirbuf, sizeof dirbuf, "%s/mvm-record.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	char *d = mkdtemp(tmp && *tmp ? dirbuf : dir);
	if (!d) {
		perror("mvm record: mkdtemp");
		return 1;
	}
	char log_path[4200];
	snprintf(log_path, sizeof log_path, "%s/log", d);
	FILE *f = fopen(log_path, "w");   /* the tool appends; it must exist */
	int rc = 1, status = 0;
	double seconds = 0;
	if (f && fclose(f) == 0 && record_launch(o->tool_dir, log_path, o->argv, &status, &seconds)) {
		report_status(status);
		rc = translate(o, log_path, seconds);
	}
	unlink(log_path);
	rmdir(d);
	return rc;
}
