/*
 * trace.h - the parsed form of a workload trace (shared/spec/trace-format.md).
 *
 * One parser serves every consumer: `mvm replay`, the reference model, the
 * generators' self-checks and tools/native-replay, so that all of them agree
 * on what a line means.  The parser is purely syntactic: it checks tokens,
 * number forms, suffixes, operand counts and names, and the one limit the
 * spec makes bad input, a `file` SIZE past TRACE_FILE_SIZE_MAX.  Whether
 * process 7 exists, or whether an address is aligned, is for the executor
 * to decide (alignment and zero lengths are runtime errors with an errno
 * line, or none, not bad input).
 *
 * The reader takes whole buffers and tokenizes in place, because replay
 * throughput is a target (millions of one-page `touch` lines a second).
 */
#ifndef MVM_SIM_TRACE_H
#define MVM_SIM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum trace_kind {
	TRACE_SPAWN,    /* P spawn */
	TRACE_FORK,     /* P fork C             -> child */
	TRACE_EXEC,     /* P exec */
	TRACE_EXIT,     /* P exit */
	TRACE_MMAP,     /* P mmap ADDR LEN PROT SHARING anon|file NAME OFF */
	TRACE_MUNMAP,   /* P munmap ADDR LEN */
	TRACE_MPROTECT, /* P mprotect ADDR LEN PROT */
	TRACE_MADVISE,  /* P madvise ADDR LEN ADVICE */
	TRACE_MSYNC,    /* P msync ADDR LEN */
	TRACE_MAPS,     /* P maps */
	TRACE_VMDUMP,   /* P vmdump */
	TRACE_WRITE,    /* P write ADDR LEN SEED */
	TRACE_READ,     /* P read ADDR LEN */
	TRACE_TOUCH,    /* P touch ADDR LEN r|w */
	TRACE_PREAD,    /* P pread NAME OFF LEN */
	TRACE_PWRITE,   /* P pwrite NAME OFF LEN SEED */
	TRACE_FILE,     /* file NAME SIZE SEED  (global; pid = 0) */
	TRACE_CHECK,    /* check (global) */
	TRACE_STAT,     /* stat (global) */
	TRACE_KIND_COUNT
};

enum trace_advice {
	TRACE_ADV_DONTNEED,
	TRACE_ADV_WILLNEED,
	TRACE_ADV_PAGEOUT,
	TRACE_ADV_DONTFORK,
	TRACE_ADV_DOFORK,
};

/* PROT bits, as in the trace: r = 1, w = 2, x = 4. */
#define TRACE_PROT_R 1u
#define TRACE_PROT_W 2u
#define TRACE_PROT_X 4u

/* Longest NAME accepted; longer names are bad input (Linux NAME_MAX). */
#define TRACE_NAME_MAX 255

/* The most bytes a file holds (spec amendment of 2026-12-04): 1 TiB, below
 * every host file system's limit, so that every executor refuses the same
 * sizes.  A `file` line with a larger SIZE is bad input; a `pwrite` past
 * it gives EFBIG. */
#define TRACE_FILE_SIZE_MAX ((uint64_t)1 << 40)

struct trace_op {
	enum trace_kind kind;
	uint64_t line;     /* 1-based line number in the trace */
	uint64_t pid;      /* P; 0 for global lines */
	uint64_t child;    /* fork: C */
	uint64_t addr;     /* ADDR */
	uint64_t len;      /* LEN, or SIZE for `file` (suffix applied) */
	uint64_t off;      /* OFF: mmap file, pread, pwrite */
	uint64_t seed;     /* SEED: write, pwrite, file */
	uint8_t prot;      /* TRACE_PROT_* bits: mmap, mprotect */
	bool shared;       /* mmap: SHARING is `shared` */
	bool file;         /* mmap: backed by file NAME */
	bool touch_write;  /* touch: MODE is `w` */
	enum trace_advice advice; /* madvise */
	char name[TRACE_NAME_MAX + 1]; /* NAME: mmap file, pread, pwrite, file */
};

/* The operation's keyword as written in a trace ("mmap", "check"...). */
const char *trace_kind_name(enum trace_kind kind);
const char *trace_advice_name(enum trace_advice advice);

/*
 * A reader over a stream.  Errors are reported as the spec demands:
 * trace_reader_error() gives "FILE:LINE: message" ready to print.
 */
struct trace_reader;

/* Opens PATH ("-" is standard input).  NULL with *err set on failure. */
struct trace_reader *trace_reader_open(const char *path, char *err, size_t errlen);
/* Reads from an in-memory buffer (copied); DISPLAY_NAME is used in errors. */
struct trace_reader *trace_reader_from_buffer(const char *display_name,
					      const char *buf, size_t len);
void trace_reader_close(struct trace_reader *r);

/*
 * Parses the next operation into *op.  Returns 1 for an operation, 0 at end
 * of input, -1 on bad input (then trace_reader_error() says why and where;
 * the reader must not be used further).
 */
int trace_next(struct trace_reader *r, struct trace_op *op);
const char *trace_reader_error(const struct trace_reader *r);
/* FILE as error messages show it (`<stdin>` for "-"). */
const char *trace_reader_name(const struct trace_reader *r);

/*
 * Parses one line of text (no newline) as line number LINE.  Returns 1 for
 * an operation, 0 for a blank or comment line, -1 on bad input with a
 * message (without the FILE:LINE: prefix) in ERR.  The header line
 * `mvm-trace 1` is accepted only when HEADER_ALLOWED.
 */
int trace_parse_line(const char *text, size_t len, uint64_t line,
		     bool header_allowed, struct trace_op *op,
		     char *err, size_t errlen);

/* Writes OP back as one trace line (with newline), in canonical form. */
void trace_format_op(const struct trace_op *op, FILE *out);
/* Same, into a buffer; returns the length written (excluding NUL). */
size_t trace_format_op_buf(const struct trace_op *op, char *buf, size_t cap);

/* The pattern and hash of the spec. */
uint64_t trace_splitmix64(uint64_t x);
/* Byte of the pattern of SEED at position A. */
static inline uint8_t trace_pattern_byte(uint64_t seed, uint64_t a)
{
	return (uint8_t)(trace_splitmix64(seed ^ (a & ~(uint64_t)7)) >> (8 * (a & 7)));
}
/* Fills BUF with LEN bytes of the pattern of SEED starting at position A. */
void trace_pattern_fill(uint64_t seed, uint64_t a, uint8_t *buf, size_t len);
/* Writes LEN bytes of the pattern of SEED into the host file FD at offset
 * OFF, positions counted from OFF as a file's offsets are; false if a
 * write failed (errno says why) or wrote nothing (errno untouched). */
bool trace_pattern_write_fd(int fd, uint64_t seed, uint64_t off, uint64_t len);

#define TRACE_FNV_OFFSET 0xcbf29ce484222325ull
#define TRACE_FNV_PRIME 0x100000001b3ull
static inline uint64_t trace_fnv1a(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * TRACE_FNV_PRIME;
	return h;
}

/*
 * Output events: the lines `mvm replay` prints (spec, "Output").  Every
 * executor (mvm, the reference model, tools/native-replay) produces these,
 * and one formatter prints them, so two runs can be diffed byte for byte.
 */
enum trace_event_kind {
	TEV_READ,    /* P read ADDR LEN HASH */
	TEV_PREAD,   /* P pread NAME OFF LEN HASH */
	TEV_SEGV,    /* P segv ADDR */
	TEV_SIGBUS,  /* P sigbus ADDR */
	TEV_KILLED,  /* P killed REASON */
	TEV_ERROR,   /* P OP error ERRNO */
	TEV_MAP,     /* P map START END PROT SHARING anon|file NAME OFF */
};

struct trace_event {
	enum trace_event_kind kind;
	uint64_t pid;
	uint64_t addr;      /* READ, SEGV, SIGBUS: ADDR; MAP: START */
	uint64_t end;       /* MAP: END */
	uint64_t len;       /* READ, PREAD: LEN */
	uint64_t off;       /* PREAD: OFF; MAP (file): OFF at START */
	uint64_t hash;      /* READ, PREAD */
	bool hash_unspecified; /* model only: the bytes read are unspecified
	                        * by the spec, so any hash is acceptable */
	uint8_t prot;       /* MAP */
	bool shared;        /* MAP */
	bool file;          /* MAP */
	enum trace_kind op; /* ERROR: the operation, printed as written */
	const char *word;   /* KILLED: reason ("oom", "io");
	                     * ERROR: errno name ("EINVAL", "ENOMEM", ...) */
	char name[TRACE_NAME_MAX + 1]; /* PREAD, MAP (file) */
};

/* Prints EV as one output line with newline, exactly as the spec says. */
/* A growable list of events. */
struct trace_events {
	struct trace_event *ev;
	size_t n, cap;
};
void trace_events_clear(struct trace_events *e);
/* Appends a zeroed event and returns it (aborts on host OOM). */
struct trace_event *trace_events_push(struct trace_events *e);
void trace_events_free(struct trace_events *e);

void trace_event_format(const struct trace_event *ev, FILE *out);
size_t trace_event_format_buf(const struct trace_event *ev, char *buf, size_t cap);

/*
 * Parses one output line back into an event (for comparators).  Returns 1
 * on success, 0 for a line that is not an event (`#` lines, blank), -1 if
 * malformed.  KILLED and ERROR words point into static storage.
 */
int trace_event_parse(const char *text, size_t len, struct trace_event *ev);

/* Whether two events agree (hash_unspecified on either side matches any
 * hash).  MAP events are not compared here: see trace_maps_compare. */
bool trace_event_equal(const struct trace_event *a, const struct trace_event *b);

/*
 * Compares two `maps` outputs of one process by content, page by page:
 * both lists are normalised into maximal runs (adjacent lines with the
 * same PROT, SHARING and backing, file offsets contiguous) and the runs
 * compared.  Returns true when the contents agree; the entry counts of the
 * two sides may differ.  On disagreement writes a one-line explanation.
 */
bool trace_maps_compare(const struct trace_event *a, size_t na,
			const struct trace_event *b, size_t nb,
			char *why, size_t whylen);

/*
 * Which processes exist, shared by every executor so that all of them
 * treat the spec's process rules alike:
 *   - an operation of a live process runs;
 *   - after `P killed`, P's operations are skipped until P is created
 *     again by spawn or fork, and a skipped fork makes its child skipped;
 *   - anything else naming a process that does not exist, and spawn or
 *     fork of a process that exists, is bad input.
 */
enum trace_admit { TRACE_RUN, TRACE_SKIP, TRACE_BAD };
struct trace_pids;
struct trace_pids *trace_pids_create(void);
void trace_pids_destroy(struct trace_pids *p);
/* Decides OP's fate and updates the table (spawn, fork, exit). On
 * TRACE_BAD writes a message (no FILE:LINE prefix) to ERR. */
enum trace_admit trace_pids_admit(struct trace_pids *p, const struct trace_op *op,
				  char *err, size_t errlen);
/* The system ended PID (a `killed` line was printed). */
void trace_pids_killed(struct trace_pids *p, uint64_t pid);
bool trace_pids_live(const struct trace_pids *p, uint64_t pid);

#endif
