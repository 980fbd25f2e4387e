/*
 * rec_out.c - the recorder's log and its reduction of accesses to pages.
 *
 * Every load and store arrives here in program order (valgrind runs one
 * thread of a process at a time, so the threads of a process form one
 * stream, as they form one trace process).  Two reductions keep the log
 * small without changing anything paging can observe:
 *
 *   1. Consecutive accesses to the same page collapse.  What matters is
 *      the first access, and the first write if it comes after a read (a
 *      read fault then a write fault is not one write fault), so a page
 *      visit becomes "r", "w" or "r then w".
 *   2. Page visits of one mode at ascending consecutive pages become one
 *      ranged touch, which the replayer runs page by page in that order.
 *
 * Any other record commits the pending visit and run first, so the log
 * keeps program order exactly.  Records are buffered and appended to the
 * shared log as one chunk per write(2) (see recfmt.h); the log is opened
 * for each chunk and closed again, so the program can never see or
 * close our descriptor.
 */
#include "pub_tool_basics.h"
#include "pub_tool_libcbase.h"
#include "pub_tool_libcassert.h"
#include "pub_tool_libcfile.h"
#include "pub_tool_libcprint.h"
#include "pub_tool_libcproc.h"
#include "pub_tool_vki.h"

#include "rec_tool.h"

#define BUF_SIZE (64 * 1024)
#define PAGE_SHIFT REC_PAGE_SHIFT
#define USER_TOP_PAGE (1ull << (47 - PAGE_SHIFT))

enum visit { V_NONE, V_READ, V_WRITE, V_READ_WRITE };

static const HChar *log_path;
static UChar buf[BUF_SIZE] __attribute__((aligned(8)));
static UInt buf_used = sizeof(struct rec_chunk);

ULong rec_raw_accesses;
static ULong dropped_accesses;

/* The page being visited, and how. */
static ULong cur_page = ~0ull;
static enum visit cur_visit = V_NONE;
/* The run of visits not yet written: pages [run_page, run_page + run_n). */
static ULong run_page, run_n;
static Bool run_write;

/* The main stack: mapped down to stack_lo, may grow down to stack_resv. */
static Addr stack_resv, stack_lo;

void rec_out_open(const HChar *path)
{
	log_path = path;
}

void rec_out_flush(void)
{
	if (buf_used == sizeof(struct rec_chunk))
		return;
	struct rec_chunk *ch = (struct rec_chunk *)buf;
	ch->magic = REC_MAGIC;
	ch->pid = (UInt)VG_(getpid)();
	ch->size = buf_used - sizeof(struct rec_chunk);
	ch->pad = 0;
	SysRes r = VG_(open)(log_path, VKI_O_WRONLY | VKI_O_APPEND, 0);
	if (sr_isError(r)) {
		VG_(umsg)("mvmrec: cannot open %s\n", log_path);
		VG_(exit)(125);
	}
	Int fd = (Int)sr_Res(r);
	Int n = VG_(write)(fd, buf, (Int)buf_used);
	VG_(close)(fd);
	if (n != (Int)buf_used) {
		VG_(umsg)("mvmrec: short write to %s\n", log_path);
		VG_(exit)(125);
	}
	buf_used = sizeof(struct rec_chunk);
}

static struct rec *rec_alloc(UInt extra)
{
	if (buf_used + sizeof(struct rec) + extra > BUF_SIZE)
		rec_out_flush();
	tl_assert(buf_used + sizeof(struct rec) + extra <= BUF_SIZE);
	struct rec *r = (struct rec *)(buf + buf_used);
	buf_used += sizeof(struct rec) + extra;
	return r;
}

static void put(UChar type, UChar prot, UShort flags, UInt aux,
		ULong a, ULong b, ULong c, const HChar *path, UInt pathlen)
{
	UInt padded = (pathlen + 7) & ~7u;
	struct rec *r = rec_alloc(padded);
	r->type = type;
	r->prot = prot;
	r->flags = flags;
	r->aux = aux;
	r->a = a;
	r->b = b;
	r->c = c;
	if (padded) {
		UChar *p = (UChar *)(r + 1);
		VG_(memset)(p, 0, padded);
		VG_(memcpy)(p, path, pathlen);
	}
}

static void run_write_out(void)
{
	if (run_n == 0)
		return;
	put(REC_TOUCH, 0, run_write ? REC_F_WRITE : 0, 0,
	    run_page << PAGE_SHIFT, run_n, 0, NULL, 0);
	run_n = 0;
}

static void run_add(ULong page, Bool write)
{
	if (run_n && page == run_page + run_n && write == run_write) {
		run_n++;
		return;
	}
	run_write_out();
	run_page = page;
	run_n = 1;
	run_write = write;
}

static void visit_commit(void)
{
	switch (cur_visit) {
	case V_NONE:
		break;
	case V_READ:
		run_add(cur_page, False);
		break;
	case V_WRITE:
		run_add(cur_page, True);
		break;
	case V_READ_WRITE:
		run_add(cur_page, False);
		run_add(cur_page, True);
		break;
	}
	cur_visit = V_NONE;
	cur_page = ~0ull;
}

static void pending_commit(void)
{
	visit_commit();
	run_write_out();
}

void rec_out_emit(UChar type, UChar prot, UShort flags, UInt aux,
		  ULong a, ULong b, ULong c, const HChar *path)
{
	UInt pathlen = path ? (UInt)VG_(strlen)(path) : 0;
	pending_commit();
	put(type, prot, flags, path ? pathlen : aux, a, b, c, path, pathlen);
}

void rec_out_note(enum rec_note note, ULong a, ULong b)
{
	rec_out_emit(REC_NOTE, 0, 0, note, a, b, 0, NULL);
}

void rec_out_start(Bool forked, UInt ppid)
{
	/* A fork's child inherits the parent's counters and pending state,
	 * all of which belong to the parent's history. */
	buf_used = sizeof(struct rec_chunk);
	cur_visit = V_NONE;
	cur_page = ~0ull;
	run_n = 0;
	rec_raw_accesses = dropped_accesses = 0;
	rec_out_emit(REC_START, 0, forked ? REC_F_FORKED : 0, ppid, 0, 0, 0, NULL);
}

void rec_out_stats(void)
{
	rec_out_emit(REC_STATS, 0, 0, 0, rec_raw_accesses, dropped_accesses, 0, NULL);
}

void rec_stack_set(Addr resv_lo, Addr mapped_lo)
{
	stack_resv = resv_lo;
	stack_lo = mapped_lo;
}

/* An access below the mapped stack but inside its reservation: map the
 * pages down to it, as Linux's stack growth does. */
static void stack_grow(Addr a)
{
	Addr lo = a & ~(Addr)((1u << PAGE_SHIFT) - 1);
	rec_out_emit(REC_MMAP, 3, 0, 0, lo, stack_lo - lo, 0, NULL);
	stack_lo = lo;
}

static void page_visit(ULong page, Bool write)
{
	if (page == cur_page) {
		if (write && cur_visit == V_READ)
			cur_visit = V_READ_WRITE;
		return;
	}
	visit_commit();
	if (page >= USER_TOP_PAGE) {
		dropped_accesses++;
		rec_out_note(NOTE_HIGH_ACCESS, page << PAGE_SHIFT, 0);
		return;
	}
	Addr a = (Addr)(page << PAGE_SHIFT);
	if (a < stack_lo && a >= stack_resv)
		stack_grow(a);
	cur_page = page;
	cur_visit = write ? V_WRITE : V_READ;
}

void rec_access(Addr a, SizeT size, Bool write)
{
	if (size == 0)
		return;
	ULong first = a >> PAGE_SHIFT, last = (a + size - 1) >> PAGE_SHIFT;
	for (ULong p = first; p <= last; p++)
		page_visit(p, write);
}
