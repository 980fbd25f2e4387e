/*
 * syscall.c - the mmap family, pread and pwrite: the spec's errno rules,
 * then the core.
 *
 * The checks that depend only on the arguments happen here, in the order
 * the spec gives (and Linux applies): EINVAL for unaligned addresses or
 * offsets, zero lengths and ranges that wrap or end at 2^64; ENOENT for a
 * missing file; EOVERFLOW for a file range that reaches 2^63 (Linux's
 * file_mmap_ok(): pgoff may not pass (MAX_LFS_FILESIZE - len) >> 12, so a
 * mapping that ends exactly at 2^63 is refused too).  The core then answers
 * VM_ENOMAP (errno ENOMEM) for ranges outside user space or with
 * unmapped pages, and VM_ENOMEM only when memory is exhausted, which is
 * not an errno at all here: the OOM killer runs and the call is retried.
 *
 * A zero LEN is EINVAL only for mmap and munmap: mprotect, madvise and
 * msync with an aligned ADDR and a zero LEN succeed and change nothing,
 * because Linux returns 0 for them before it looks at the map (the spec's
 * amendment of 2026-12-04).
 *
 * pread and pwrite check ENOENT first (the file must be opened before its
 * offsets mean anything), then EINVAL when OFF + LEN passes 2^63 - 1, then
 * (pwrite with a non-zero LEN) EFBIG when OFF + LEN passes the 2^40 bytes a
 * file may hold: refused whole, before the core dirties a page that the
 * host's file pager could never write back.  They go through the core's page cache, the one copy of the file's data
 * that mappings share; a retry after the OOM killer resumes where the
 * core stopped.  A file pager that fails a transfer the call needs gives
 * EIO, Linux's errno for it.
 */
#include "mvm/vm.h"
#include "sim.h"

/* The largest file offset: 2^63 - 1. */
#define FILE_OFF_MAX ((uint64_t)INT64_MAX)
/* Pages from offset 0 to 2^63, which no file mapping may reach. */
#define FILE_PAGES_MAX ((uint64_t)1 << 51)

static void emit_error(struct trace_events *out, const struct trace_op *op, const char *err)
{
	struct trace_event *ev = trace_events_push(out);

	ev->kind = TEV_ERROR;
	ev->pid = op->pid;
	ev->op = op->kind;
	ev->word = err;
}

static const char *errno_name(enum vm_err err)
{
	switch (err) {
	case VM_EINVAL:
		return "EINVAL";
	case VM_ENOMAP:
	case VM_ENOMEM:
		return "ENOMEM";
	case VM_ENOENT:
		return "ENOENT";
	case VM_EOVERFLOW:
		return "EOVERFLOW";
	default:
		return "EIO";
	}
}

/* mprotect, madvise and msync succeed on an empty range (vm_range_check). */
static bool empty_ok(const struct trace_op *op)
{
	return op->kind == TRACE_MPROTECT || op->kind == TRACE_MADVISE || op->kind == TRACE_MSYNC;
}

static vm_prot_t prot_of(uint8_t trace_prot)
{
	return (vm_prot_t)((trace_prot & TRACE_PROT_R ? VM_PROT_READ : 0) |
			   (trace_prot & TRACE_PROT_W ? VM_PROT_WRITE : 0) |
			   (trace_prot & TRACE_PROT_X ? VM_PROT_EXEC : 0));
}

static enum vm_advice advice_of(enum trace_advice adv)
{
	switch (adv) {
	case TRACE_ADV_DONTNEED:
		return VM_ADV_DONTNEED;
	case TRACE_ADV_WILLNEED:
		return VM_ADV_WILLNEED;
	case TRACE_ADV_PAGEOUT:
		return VM_ADV_PAGEOUT;
	case TRACE_ADV_DONTFORK:
		return VM_ADV_DONTFORK;
	case TRACE_ADV_DOFORK:
		break;
	}
	return VM_ADV_DOFORK;
}

static enum vm_err call_core(struct sim_proc *p, const struct trace_op *op)
{
	uint64_t len = vm_round_len(op->len);

	switch (op->kind) {
	case TRACE_MMAP:
		if (op->file)
			return vm_mmap(p->map, op->addr, len, prot_of(op->prot), op->shared,
				       sim_files_object(op->name), vm_atop(op->off));
		return vm_mmap(p->map, op->addr, len, prot_of(op->prot), op->shared, NULL, 0);
	case TRACE_MUNMAP:
		return vm_munmap(p->map, op->addr, len);
	case TRACE_MPROTECT:
		return vm_mprotect(p->map, op->addr, len, prot_of(op->prot));
	case TRACE_MADVISE:
		return vm_madvise(p->map, op->addr, len, advice_of(op->advice));
	case TRACE_MSYNC:
		return vm_msync(p->map, op->addr, len);
	default:
		return VM_EINVAL;
	}
}

/* The errno of a file mapping's arguments past EINVAL, or NULL. */
static const char *file_mmap_error(const struct trace_op *op)
{
	if (sim_files_object(op->name) == NULL)
		return "ENOENT";
	if (vm_atop(op->off) + vm_atop(vm_round_len(op->len)) >= FILE_PAGES_MAX)
		return "EOVERFLOW";
	return NULL;
}

void sim_syscall(struct sim *s, struct sim_proc *p, const struct trace_op *op,
		 struct trace_events *out, struct sim_result *res)
{
	const char *refused;
	enum vm_err err;
	enum vm_range_verdict range = vm_range_check(op->addr, op->len, empty_ok(op));

	if (range == VM_RANGE_EMPTY)
		return;
	if (range == VM_RANGE_EINVAL ||
	    (op->kind == TRACE_MMAP && op->file && (op->off & VM_PAGE_MASK) != 0)) {
		emit_error(out, op, "EINVAL");
		return;
	}
	if (op->kind == TRACE_MMAP && op->file && (refused = file_mmap_error(op)) != NULL) {
		emit_error(out, op, refused);
		return;
	}
	while ((err = call_core(p, op)) == VM_ENOMEM) {
		if (!sim_oom(s, p, out)) {
			res->killed_self = true;
			return;
		}
	}
	if (err != VM_OK)
		emit_error(out, op, errno_name(err));
}

/* ---- pread and pwrite ---- */

struct pread_sink {
	uint64_t hash;
};

static void pread_hash(void *arg, const uint8_t *bytes, size_t n)
{
	struct pread_sink *sink = arg;

	sink->hash = trace_fnv1a(sink->hash, bytes, n);
}

static void pwrite_pattern(void *arg, uint64_t off, uint8_t *bytes, size_t n)
{
	const struct trace_op *op = arg;

	trace_pattern_fill(op->seed, off, bytes, n);
}

/* One call into the core for the rest of the range, from DONE on. */
static enum vm_err file_io_core(struct vm_object *obj, const struct trace_op *op, uint64_t done,
				struct pread_sink *sink, uint64_t *more)
{
	*more = 0;
	if (op->kind == TRACE_PREAD)
		return vm_file_read(obj, op->off + done, op->len - done, pread_hash, sink, more);
	return vm_file_write(obj, op->off + done, op->len - done, pwrite_pattern, (void *)op, more);
}

static void emit_pread(struct trace_events *out, const struct trace_op *op, uint64_t len,
		       uint64_t hash)
{
	struct trace_event *ev = trace_events_push(out);

	ev->kind = TEV_PREAD;
	ev->pid = op->pid;
	ev->off = op->off;
	ev->len = len;
	ev->hash = hash;
	snprintf(ev->name, sizeof ev->name, "%s", op->name);
}

/* A pwrite that would take its file past the most a file may hold (OFF +
 * LEN below 2^63 here).  A zero LEN writes nothing, so it cannot. */
static bool pwrite_too_big(const struct trace_op *op)
{
	return op->kind == TRACE_PWRITE && op->len != 0 && op->off + op->len > TRACE_FILE_SIZE_MAX;
}

void sim_syscall_file_io(struct sim *s, struct sim_proc *p, const struct trace_op *op,
			 struct trace_events *out, struct sim_result *res)
{
	struct vm_object *obj = sim_files_object(op->name);
	struct pread_sink sink = {.hash = TRACE_FNV_OFFSET};
	uint64_t done = 0, more;
	enum vm_err err = VM_OK;

	if (obj == NULL) {
		emit_error(out, op, "ENOENT");
		return;
	}
	if (op->off > FILE_OFF_MAX || op->len > FILE_OFF_MAX - op->off) {
		emit_error(out, op, "EINVAL");
		return;
	}
	if (pwrite_too_big(op)) {
		emit_error(out, op, "EFBIG");
		return;
	}
	/* Nothing to move: no I/O, and (as on Linux) a pwrite grows nothing. */
	while (op->len != 0) {
		err = file_io_core(obj, op, done, &sink, &more);
		done += more;
		if (err != VM_ENOMEM)
			break;
		if (!sim_oom(s, p, out)) {
			res->killed_self = true;
			res->done_bytes = done;
			return;
		}
	}
	res->done_bytes = done;
	if (op->kind == TRACE_PREAD)
		s->stats.pread_bytes += done;
	else
		s->stats.pwrite_bytes += done;
	if (err == VM_EIO) {
		s->stats.file_io_errors++;
		emit_error(out, op, "EIO");
	} else if (err != VM_OK) {
		emit_error(out, op, errno_name(err));
	} else if (op->kind == TRACE_PREAD) {
		emit_pread(out, op, done, sink.hash);
	}
}
