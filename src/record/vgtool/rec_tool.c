/*
 * rec_tool.c - mvmrec, the valgrind tool behind `mvm record`.
 *
 * Valgrind translates the program into VEX IR; this tool adds a call
 * before every load and store (plain, guarded, compare-and-swap, LL/SC
 * and the memory effects of helper calls), and hooks the system calls
 * and the core's memory events, so that one ordered stream per process
 * holds every access and every change of the address space with its
 * result.  The stream is reduced to pages in process (rec_out.c) and
 * appended to the shared log (recfmt.h); `mvm record` turns the log into
 * a trace.
 *
 * Where a change comes from:
 *   - the program's startup mappings (executable, loader, stack, brk
 *     page), mapped by valgrind's own loader: track_new_mem_startup;
 *   - mmap, munmap, mprotect, madvise, mremap, shmat/shmdt, fork and
 *     exec: the system call hooks, which see arguments and results;
 *   - brk: valgrind emulates it, so the core's brk events;
 *   - main stack growth: rec_out.c, from the accesses themselves;
 *   - the kernel's accesses for the program (read(2) filling a buffer,
 *     write(2) reading one): the core's pre_mem_read / post_mem_write.
 */
#include "pub_tool_basics.h"
#include "pub_tool_aspacemgr.h"
#include "pub_tool_libcassert.h"
#include "pub_tool_libcbase.h"
#include "pub_tool_libcfile.h"
#include "pub_tool_libcprint.h"
#include "pub_tool_libcproc.h"
#include "pub_tool_machine.h"
#include "pub_tool_options.h"
#include "pub_tool_tooliface.h"
#include "pub_tool_vki.h"
#include "pub_tool_vkiscnums.h"

#include "rec_tool.h"

static const HChar *clo_out;

#define PAGE_MASK ((Addr)(1u << REC_PAGE_SHIFT) - 1)

static Addr page_up(Addr a)
{
	return (a + PAGE_MASK) & ~PAGE_MASK;
}

/* ---- accesses ----------------------------------------------------- */

static VG_REGPARM(2) void on_load(Addr a, SizeT size)
{
	rec_raw_accesses++;
	rec_access(a, size, False);
}

static VG_REGPARM(2) void on_store(Addr a, SizeT size)
{
	rec_raw_accesses++;
	rec_access(a, size, True);
}

static void add_call(IRSB *sb, IRExpr *addr, Int size, Bool store, IRExpr *guard)
{
	IRDirty *d = unsafeIRDirty_0_N(2, store ? "on_store" : "on_load",
				       VG_(fnptr_to_fnentry)(store ? (void *)on_store : (void *)on_load),
				       mkIRExprVec_2(addr, mkIRExpr_HWord((HWord)size)));
	if (guard)
		d->guard = guard;
	addStmtToIRSB(sb, IRStmt_Dirty(d));
}

static Int loadg_size(IRLoadGOp cvt)
{
	switch (cvt) {
	case ILGop_IdentV128: return 16;
	case ILGop_Ident64: return 8;
	case ILGop_Ident32: return 4;
	case ILGop_16Uto32: case ILGop_16Sto32: return 2;
	case ILGop_8Uto32: case ILGop_8Sto32: return 1;
	default: tl_assert(0);
	}
}

/* The calls for one statement's memory accesses, placed before it. */
static void instrument_stmt(IRSB *sb, IRTypeEnv *env, IRStmt *st)
{
	switch (st->tag) {
	case Ist_WrTmp:
		if (st->Ist.WrTmp.data->tag == Iex_Load) {
			IRExpr *ld = st->Ist.WrTmp.data;
			add_call(sb, ld->Iex.Load.addr, sizeofIRType(ld->Iex.Load.ty), False, NULL);
		}
		break;
	case Ist_Store:
		add_call(sb, st->Ist.Store.addr,
			 sizeofIRType(typeOfIRExpr(env, st->Ist.Store.data)), True, NULL);
		break;
	case Ist_StoreG: {
		IRStoreG *sg = st->Ist.StoreG.details;
		add_call(sb, sg->addr, sizeofIRType(typeOfIRExpr(env, sg->data)), True, sg->guard);
		break;
	}
	case Ist_LoadG: {
		IRLoadG *lg = st->Ist.LoadG.details;
		add_call(sb, lg->addr, loadg_size(lg->cvt), False, lg->guard);
		break;
	}
	case Ist_Dirty: {
		IRDirty *d = st->Ist.Dirty.details;
		if (d->mFx == Ifx_None)
			break;
		if (d->mFx == Ifx_Read || d->mFx == Ifx_Modify)
			add_call(sb, d->mAddr, d->mSize, False, NULL);
		if (d->mFx == Ifx_Write || d->mFx == Ifx_Modify)
			add_call(sb, d->mAddr, d->mSize, True, NULL);
		break;
	}
	case Ist_CAS: {
		IRCAS *cas = st->Ist.CAS.details;
		Int size = sizeofIRType(typeOfIRExpr(env, cas->dataLo)) * (cas->dataHi ? 2 : 1);
		add_call(sb, cas->addr, size, False, NULL);
		add_call(sb, cas->addr, size, True, NULL);
		break;
	}
	case Ist_LLSC:
		if (st->Ist.LLSC.storedata == NULL)
			add_call(sb, st->Ist.LLSC.addr,
				 sizeofIRType(typeOfIRTemp(env, st->Ist.LLSC.result)), False, NULL);
		else
			add_call(sb, st->Ist.LLSC.addr,
				 sizeofIRType(typeOfIRExpr(env, st->Ist.LLSC.storedata)), True, NULL);
		break;
	default:
		break;
	}
}

static IRSB *rec_instrument(VgCallbackClosure *closure, IRSB *in,
			    const VexGuestLayout *layout, const VexGuestExtents *vge,
			    const VexArchInfo *archinfo, IRType gWordTy, IRType hWordTy)
{
	(void)closure; (void)layout; (void)vge; (void)archinfo;
	if (gWordTy != hWordTy)
		VG_(tool_panic)("host/guest word size mismatch");
	IRSB *out = deepCopyIRSBExceptStmts(in);
	for (Int i = 0; i < in->stmts_used; i++) {
		IRStmt *st = in->stmts[i];
		if (st == NULL)
			continue;
		instrument_stmt(out, out->tyenv, st);
		addStmtToIRSB(out, st);
	}
	return out;
}

/* ---- the kernel's accesses for the program ------------------------ */

static void on_pre_mem_read(CorePart part, ThreadId tid, const HChar *s, Addr a, SizeT size)
{
	(void)part; (void)tid; (void)s;
	rec_access(a, size, False);
}

static void on_pre_mem_read_asciiz(CorePart part, ThreadId tid, const HChar *s, Addr a)
{
	(void)part; (void)tid; (void)s;
	rec_access(a, VG_(strlen)((const HChar *)a) + 1, False);
}

static void on_post_mem_write(CorePart part, ThreadId tid, Addr a, SizeT size)
{
	(void)part; (void)tid;
	rec_access(a, size, True);
}

/* ---- mappings ----------------------------------------------------- */

static UChar prot_bits(Bool r, Bool w, Bool x)
{
	return (UChar)((r ? 1 : 0) | (w ? 2 : 0) | (x ? 4 : 0));
}

/* Maps [a, a+len) as file PATH at OFF if it is a regular file, else as
 * anonymous memory with a note; SHARED as the program asked. */
static void map_file(Addr a, SizeT len, UChar prot, Bool shared,
		     const HChar *path, struct vg_stat *st, ULong off)
{
	if (path && st && VKI_S_ISREG(st->mode)) {
		rec_out_emit(REC_FILE, 0, 0, 0, st->dev, st->ino, (ULong)st->size, path);
		rec_out_emit(REC_MMAP, prot, REC_F_FILE | (shared ? REC_F_SHARED : 0), 0,
			     a, len, off, NULL);
		return;
	}
	rec_out_note(st ? NOTE_DEVICE_MAP : NOTE_MMAP_FAILED_LOOKUP, st ? st->mode : 0, 0);
	rec_out_emit(REC_MMAP, prot, shared ? REC_F_SHARED : 0, 0, a, len, 0, NULL);
}

static Bool is_tool_binary(const HChar *path)
{
	static const HChar me[] = "/mvmrec-amd64-linux";
	SizeT n = VG_(strlen)(path), m = sizeof me - 1;
	return n >= m && VG_(strcmp)(path + n - m, me) == 0;
}

/* A segment valgrind's loader mapped before the program started. */
static void on_startup(Addr a, SizeT len, Bool rr, Bool ww, Bool xx, ULong di)
{
	(void)di;
	NSegment const *seg = VG_(am_find_nsegment)(a);
	UChar prot = prot_bits(rr, ww, xx);
	if (seg && seg->kind == SkFileC) {
		const HChar *path = VG_(am_get_filename)(seg);
		/* valgrind's signal-return trampoline, placed in the program's
		 * space by valgrind: not the program's memory. */
		if (path && is_tool_binary(path))
			return;
		struct vg_stat st;
		Bool ok = path && !sr_isError(VG_(stat)(path, &st));
		map_file(a, len, prot, False, path, ok ? &st : NULL,
			 (ULong)seg->offset + (a - seg->start));
		return;
	}
	rec_out_emit(REC_MMAP, prot, 0, 0, a, len, 0, NULL);
	/* The main stack is the client segment with a reservation below. */
	NSegment const *below = a ? VG_(am_find_nsegment)(a - 1) : NULL;
	if (below && below->kind == SkResvn && ww)
		rec_stack_set(below->start, a);
}

static Addr brk_mapped_end;

static void on_brk_grow(Addr a, SizeT len, ThreadId tid)
{
	(void)tid;
	/* The first event starts inside the brk page valgrind mapped at
	 * startup (unless the break is page aligned). */
	Addr lo = brk_mapped_end ? brk_mapped_end : page_up(a);
	Addr hi = page_up(a + len);
	if (hi > lo)
		rec_out_emit(REC_MMAP, 3, 0, 0, lo, hi - lo, 0, NULL);
	if (hi > brk_mapped_end)
		brk_mapped_end = hi;
}

static void on_brk_shrink(Addr a, SizeT len)
{
	(void)len;
	Addr end = page_up(a);
	if (brk_mapped_end && end < brk_mapped_end) {
		rec_out_emit(REC_MUNMAP, 0, 0, 0, end, brk_mapped_end - end, 0, NULL);
		brk_mapped_end = end;
	}
}

/* ---- system calls ------------------------------------------------- */

/* What an mremap's source was, looked up before the call moves it. */
static struct {
	Bool valid, file;
	UChar prot;
	ULong off;
	struct vg_stat st;
	HChar path[4096];
} remap_src;

static void pre_mremap(Addr old)
{
	NSegment const *seg = VG_(am_find_nsegment)(old);
	remap_src.valid = seg && (seg->kind == SkAnonC || seg->kind == SkFileC || seg->kind == SkShmC);
	if (!remap_src.valid)
		return;
	remap_src.prot = prot_bits(seg->hasR, seg->hasW, seg->hasX);
	remap_src.file = False;
	if (seg->kind == SkFileC) {
		const HChar *path = VG_(am_get_filename)(seg);
		if (path && !sr_isError(VG_(stat)(path, &remap_src.st))) {
			remap_src.file = True;
			VG_(strncpy)(remap_src.path, path, sizeof remap_src.path - 1);
			remap_src.off = (ULong)seg->offset + (old - seg->start);
		}
	}
}

static void post_mremap(UWord *args, Addr res)
{
	rec_out_note(NOTE_MREMAP, args[0], args[1]);
	if (!(args[3] & 4 /* MREMAP_DONTUNMAP */))
		rec_out_emit(REC_MUNMAP, 0, 0, 0, args[0], args[1], 0, NULL);
	if (!remap_src.valid)
		return;
	if (remap_src.file)
		map_file(res, args[2], remap_src.prot, False, remap_src.path, &remap_src.st, remap_src.off);
	else
		rec_out_emit(REC_MMAP, remap_src.prot, 0, 0, res, args[2], 0, NULL);
}

static void post_mmap(UWord *args, Addr res)
{
	SizeT len = args[1];
	UChar prot = (UChar)(args[2] & 7);
	Bool shared = (args[3] & 1) != 0;   /* MAP_SHARED (1) or MAP_SHARED_VALIDATE (3), not MAP_PRIVATE (2) */
	if (args[3] & VKI_MAP_ANONYMOUS) {
		rec_out_emit(REC_MMAP, prot, shared ? REC_F_SHARED : 0, 0, res, len, 0, NULL);
		return;
	}
	struct vg_stat st;
	Bool ok = VG_(fstat)((Int)args[4], &st) == 0;
	NSegment const *seg = VG_(am_find_nsegment)(res);
	const HChar *path = seg && seg->kind == SkFileC ? VG_(am_get_filename)(seg) : NULL;
	map_file(res, len, prot, shared, path ? path : "unnamed", ok ? &st : NULL, args[5]);
}

/* Linux's advice numbers and their trace words (enum trace_advice). */
static void post_madvise(UWord *args)
{
	Int adv;
	switch (args[2]) {
	case 4: adv = 0; break;                     /* MADV_DONTNEED */
	case 8: adv = 0; rec_out_note(NOTE_MADV_FREE, args[0], args[1]); break;
	case 3: adv = 1; break;                     /* MADV_WILLNEED */
	case 21: adv = 2; break;                    /* MADV_PAGEOUT */
	case 10: adv = 3; break;                    /* MADV_DONTFORK */
	case 11: adv = 4; break;                    /* MADV_DOFORK */
	default:
		rec_out_note(NOTE_MADV_IGNORED, args[2], 0);
		return;
	}
	rec_out_emit(REC_MADVISE, 0, 0, (UInt)adv, args[0], args[1], 0, NULL);
}

static Bool is_fork(UInt sysno, UWord *args)
{
	if (sysno == __NR_fork || sysno == __NR_vfork)
		return True;
	if (sysno == __NR_clone)
		return !(args[0] & VKI_CLONE_VM);
#if defined(__NR_clone3)
	/* valgrind 3.19 refuses clone3 (ENOSYS), and glibc falls back to clone */
#endif
	return False;
}

static void rec_pre_syscall(ThreadId tid, UInt sysno, UWord *args, UInt nargs)
{
	(void)tid; (void)nargs;
	if (sysno == __NR_execve || sysno == __NR_execveat) {
		/* If it succeeds this instance is gone: its history must be
		 * in the log first; if it fails nothing is lost. */
		rec_out_stats();
		rec_out_flush();
	} else if (sysno == __NR_mremap) {
		pre_mremap(args[0]);
	}
}

static void rec_post_syscall(ThreadId tid, UInt sysno, UWord *args, UInt nargs, SysRes res)
{
	(void)tid; (void)nargs;
	if (sr_isError(res))
		return;
	UWord r = sr_Res(res);
	switch (sysno) {
	case __NR_mmap: post_mmap(args, r); break;
	case __NR_munmap: rec_out_emit(REC_MUNMAP, 0, 0, 0, args[0], args[1], 0, NULL); break;
	case __NR_mprotect:
		rec_out_emit(REC_MPROTECT, (UChar)(args[2] & 7), 0, 0, args[0], args[1], 0, NULL);
		break;
	case __NR_madvise: post_madvise(args); break;
	case __NR_mremap: post_mremap(args, r); break;
	case __NR_shmat: {
		NSegment const *seg = VG_(am_find_nsegment)(r);
		rec_out_note(NOTE_SHM, r, 0);
		if (seg)
			rec_out_emit(REC_MMAP, prot_bits(seg->hasR, seg->hasW, seg->hasX), REC_F_SHARED,
				     0, r, seg->end + 1 - seg->start, 0, NULL);
		break;
	}
	default:
		if (is_fork(sysno, args) && r != 0)
			rec_out_emit(REC_FORK, 0, 0, 0, r, 0, 0, NULL);
		else if (sysno == __NR_clone && (args[0] & VKI_CLONE_VM) &&
			 !(args[0] & VKI_CLONE_THREAD))
			rec_out_note(NOTE_CLONE_VM, args[0], 0);
		break;
	}
}

/* ---- processes ---------------------------------------------------- */

static UInt parent_pid;

static void at_fork_pre(ThreadId tid)
{
	(void)tid;
	/* The child gets a copy of the buffer: empty it first, so each
	 * record is written once, by the process it belongs to. */
	rec_out_flush();
	parent_pid = (UInt)VG_(getpid)();
}

static void at_fork_child(ThreadId tid)
{
	(void)tid;
	rec_out_start(True, parent_pid);
}

static void rec_post_clo_init(void)
{
	if (clo_out == NULL)
		VG_(fmsg_bad_option)("--mvm-out", "the log file must be given\n");
	rec_out_open(clo_out);
	rec_out_start(False, (UInt)VG_(getppid)());
}

static void rec_fini(Int exitcode)
{
	(void)exitcode;
	rec_out_stats();
	rec_out_emit(REC_EXIT, 0, 0, 0, 0, 0, 0, NULL);
	rec_out_flush();
}

static Bool rec_option(const HChar *arg)
{
	if VG_STR_CLO(arg, "--mvm-out", clo_out) {}
	else
		return False;
	return True;
}

static void rec_usage(void)
{
	VG_(printf)("    --mvm-out=FILE    append the page log to FILE (must exist)\n");
}

static void rec_debug_usage(void)
{
}

static void rec_pre_clo_init(void)
{
	VG_(details_name)("mvmrec");
	VG_(details_version)("1");
	VG_(details_description)("records page accesses and mappings for mvm");
	VG_(details_copyright_author)("mvm");
	VG_(details_bug_reports_to)("the mvm repository");
	VG_(basic_tool_funcs)(rec_post_clo_init, rec_instrument, rec_fini);
	VG_(needs_command_line_options)(rec_option, rec_usage, rec_debug_usage);
	VG_(needs_syscall_wrapper)(rec_pre_syscall, rec_post_syscall);
	VG_(track_new_mem_startup)(on_startup);
	VG_(track_new_mem_brk)(on_brk_grow);
	VG_(track_die_mem_brk)(on_brk_shrink);
	VG_(track_pre_mem_read)(on_pre_mem_read);
	VG_(track_pre_mem_read_asciiz)(on_pre_mem_read_asciiz);
	VG_(track_post_mem_write)(on_post_mem_write);
	VG_(atfork)(at_fork_pre, NULL, at_fork_child);
}

VG_DETERMINE_INTERFACE_VERSION(rec_pre_clo_init)
