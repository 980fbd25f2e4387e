/*
 * test_dev.c - the simulated block devices, the clock and I/O fault
 * injection (src/sim/dev.c), driven through the port interface the core
 * uses, and then through a booted machine.
 *
 * What must hold: bytes written come back and are in the host file at
 * the right offset, and only once the request has completed; a request
 * costs a seek unless it follows the previous one, plus its transfer; a
 * device serves one request at a time in submission order; poll completes
 * only what is due and never moves the clock, wait moves it exactly to the
 * next completion; done() never runs inside submit and may submit; the
 * injection schedule fails exactly the named requests, which then
 * transfer nothing; a default swap file never has a name in $TMPDIR.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim_helpers.h"
#include "sim/dev.h"
#include "sim/inject.h"

#define PAGE VM_PAGE_SIZE
#define SEEK_NS 1000000ull
#define PAGE_NS 40960ull /* 4096 bytes at 100 MB/s */

static char tmpdir[64];

/* A request with a record of its completion. */
struct req {
	struct port_io io;
	uint8_t buf[4][4096];
	uint64_t done_at;
	int order;        /* 1 for the first completion, ... */
	struct req *then; /* submitted by done() */
};

static int completions;
static bool in_submit;

static void on_done(struct port_io *io)
{
	struct req *r = io->arg;

	CHECK(!in_submit);
	r->done_at = port_time_ns();
	r->order = ++completions;
	if (r->then != NULL) {
		in_submit = true;
		port_io_submit(&r->then->io);
		in_submit = false;
	}
}

static void req_init(struct req *r, int op, uint64_t block, unsigned npages)
{
	memset(r, 0, sizeof *r);
	r->io = (struct port_io){.op = (uint8_t)op, .dev = PORT_DEV_SWAP, .npages = (uint16_t)npages,
				 .block = block, .done = on_done, .arg = r, .err = VM_EINVAL};
	for (unsigned i = 0; i < npages; i++)
		r->io.data[i] = r->buf[i];
}

static void submit(struct req *r)
{
	in_submit = true;
	port_io_submit(&r->io);
	in_submit = false;
}

/* Devices alone: a swap device of BYTES in PATH (NULL: temporary). */
static void boot_dev(uint64_t bytes, const char *path, uint64_t seek_ns, uint64_t rate)
{
	struct sim_dev_config c = {.swap_bytes = bytes, .swap_path = path,
				   .swap_seek_ns = seek_ns, .swap_rate_mbps = rate};
	char err[256];

	inject_install(NULL);
	completions = 0;
	if (!sim_dev_boot(&c, err, sizeof err)) {
		fprintf(stderr, "sim_dev_boot: %s\n", err);
		exit(2);
	}
}

static const char *tmp_path(const char *name)
{
	static char path[128];

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	return path;
}

static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;

	if (d == NULL)
		return -1;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* The host file's byte at OFF. */
static int file_byte(const char *path, uint64_t off)
{
	int fd = open(path, O_RDONLY);
	uint8_t b = 0;
	bool ok = fd >= 0 && pread(fd, &b, 1, (off_t)off) == 1;

	if (fd >= 0)
		close(fd);
	return ok ? b : -1;
}

TEST(bytes_go_to_the_file_at_completion_and_come_back)
{
	const char *path = tmp_path("swap");
	struct req w, r, one;
	struct stat st;

	boot_dev(1 << 20, path, SEEK_NS, 100);
	CHECK_EQ(port_dev_blocks(PORT_DEV_SWAP), 256);
	CHECK(stat(path, &st) == 0 && st.st_size == 1 << 20);
	CHECK_STR(sim_dev_path(PORT_DEV_SWAP), path);
	req_init(&w, PORT_IO_WRITE, 5, 3);
	for (int i = 0; i < 3; i++)
		memset(w.buf[i], 0xa0 + i, PAGE);
	w.buf[2][PAGE - 1] = 0x5c;
	submit(&w);
	CHECK_EQ(file_byte(path, 5 * PAGE), 0); /* not yet: the disk is busy */
	CHECK(port_io_wait());
	CHECK_EQ(w.io.err, VM_OK);
	CHECK_EQ(file_byte(path, 5 * PAGE), 0xa0);
	CHECK_EQ(file_byte(path, 6 * PAGE + 17), 0xa1);
	CHECK_EQ(file_byte(path, 8 * PAGE - 1), 0x5c);
	CHECK_EQ(file_byte(path, 8 * PAGE), 0);
	CHECK_EQ(file_byte(path, 5 * PAGE - 1), 0);
	req_init(&r, PORT_IO_READ, 5, 3);
	req_init(&one, PORT_IO_READ, 7, 1);
	submit(&r);
	submit(&one);
	while (port_io_wait())
		continue;
	CHECK_EQ(r.io.err, VM_OK);
	CHECK_EQ(one.io.err, VM_OK);
	CHECK(memcmp(r.buf, w.buf, 3 * PAGE) == 0);
	CHECK(memcmp(one.buf[0], w.buf[2], PAGE) == 0);
	sim_dev_shutdown();
	CHECK(stat(path, &st) == 0); /* --swap-file stays */
	unlink(path);
}

TEST(a_read_queued_behind_a_write_sees_its_bytes)
{
	struct req w, r;

	boot_dev(1 << 20, NULL, SEEK_NS, 100);
	req_init(&w, PORT_IO_WRITE, 9, 1);
	memset(w.buf[0], 0x3d, PAGE);
	req_init(&r, PORT_IO_READ, 9, 1);
	submit(&w);
	submit(&r);
	while (port_io_wait())
		continue;
	CHECK_EQ(w.order, 1);
	CHECK_EQ(r.order, 2);
	CHECK(memcmp(r.buf[0], w.buf[0], PAGE) == 0);
	sim_dev_shutdown();
}

TEST(the_default_file_never_has_a_name)
{
	char dir[128];
	struct req w, r;

	snprintf(dir, sizeof dir, "%s/tmp", tmpdir);
	CHECK(mkdir(dir, 0700) == 0);
	setenv("TMPDIR", dir, 1);
	boot_dev(64 << 10, NULL, 0, 0);
	CHECK_EQ(dir_entries(dir), 0);
	CHECK_STR(sim_dev_path(PORT_DEV_SWAP), "");
	CHECK_EQ(port_dev_blocks(PORT_DEV_SWAP), 16);
	req_init(&w, PORT_IO_WRITE, 15, 1);
	memset(w.buf[0], 0x77, PAGE);
	req_init(&r, PORT_IO_READ, 15, 1);
	submit(&w);
	submit(&r);
	while (port_io_wait())
		continue;
	CHECK(memcmp(r.buf[0], w.buf[0], PAGE) == 0);
	sim_dev_shutdown();
	CHECK_EQ(dir_entries(dir), 0);
	unsetenv("TMPDIR");
	rmdir(dir);
}

TEST(no_device_when_size_is_zero)
{
	char dir[128];

	snprintf(dir, sizeof dir, "%s/none", tmpdir);
	CHECK(mkdir(dir, 0700) == 0);
	setenv("TMPDIR", dir, 1);
	boot_dev(0, NULL, SEEK_NS, 100);
	CHECK_EQ(port_dev_blocks(PORT_DEV_SWAP), 0);
	CHECK_EQ(port_io_pending(), 0);
	CHECK(!port_io_wait());
	CHECK_EQ(dir_entries(dir), 0);
	sim_dev_shutdown();
	unsetenv("TMPDIR");
	rmdir(dir);
}

TEST(sizes_round_down_to_pages_and_bad_files_are_refused)
{
	struct sim_dev_config c = {.swap_bytes = 3 * PAGE + 100};
	char err[256] = "";

	CHECK(sim_dev_boot(&c, err, sizeof err));
	CHECK_EQ(port_dev_blocks(PORT_DEV_SWAP), 3);
	c.swap_bytes = 100;
	CHECK(!sim_dev_boot(&c, err, sizeof err));
	CHECK(strstr(err, "smaller than a page") != NULL);
	CHECK_EQ(port_dev_blocks(PORT_DEV_SWAP), 0);
	c = (struct sim_dev_config){.swap_bytes = 1 << 20, .swap_path = tmp_path("no/such/dir")};
	CHECK(!sim_dev_boot(&c, err, sizeof err));
	CHECK(strstr(err, "--swap-file") != NULL && strstr(err, "no/such/dir") != NULL);
	CHECK_EQ(port_dev_blocks(PORT_DEV_SWAP), 0);
	sim_dev_shutdown();
}

TEST(a_sequential_pair_costs_one_seek)
{
	struct req a, b;
	struct sim_dev_stats st;

	boot_dev(1 << 20, NULL, SEEK_NS, 100);
	req_init(&a, PORT_IO_WRITE, 10, 2);
	req_init(&b, PORT_IO_WRITE, 12, 1);
	submit(&a);
	CHECK(port_io_wait());
	CHECK_EQ(a.done_at, SEEK_NS + 2 * PAGE_NS);
	submit(&b);
	CHECK(port_io_wait());
	CHECK_EQ(b.done_at, SEEK_NS + 3 * PAGE_NS);
	sim_dev_get_stats(PORT_DEV_SWAP, &st);
	CHECK_EQ(st.seeks, 1);
	CHECK_EQ(st.writes, 2);
	CHECK_EQ(st.pages_written, 3);
	CHECK_EQ(st.busy_ns, SEEK_NS + 3 * PAGE_NS);
	sim_dev_shutdown();
}

TEST(a_non_sequential_pair_costs_two)
{
	struct req a, b, c;
	struct sim_dev_stats st;

	boot_dev(1 << 20, NULL, SEEK_NS, 100);
	req_init(&a, PORT_IO_READ, 10, 2);
	req_init(&b, PORT_IO_READ, 11, 1); /* overlaps: not after the last block */
	req_init(&c, PORT_IO_READ, 9, 1);  /* backwards */
	submit(&a);
	CHECK(port_io_wait());
	submit(&b);
	CHECK(port_io_wait());
	CHECK_EQ(b.done_at, 2 * SEEK_NS + 3 * PAGE_NS);
	submit(&c);
	CHECK(port_io_wait());
	CHECK_EQ(c.done_at, 3 * SEEK_NS + 4 * PAGE_NS);
	sim_dev_get_stats(PORT_DEV_SWAP, &st);
	CHECK_EQ(st.seeks, 3);
	CHECK_EQ(st.reads, 3);
	CHECK_EQ(st.pages_read, 4);
	sim_dev_shutdown();
}

TEST(requests_submitted_together_finish_one_after_the_other)
{
	struct req a, b, c;

	boot_dev(1 << 20, NULL, SEEK_NS, 100);
	sim_clock_advance(500);
	req_init(&a, PORT_IO_WRITE, 0, 4);
	req_init(&b, PORT_IO_WRITE, 4, 1);  /* follows a: no seek */
	req_init(&c, PORT_IO_WRITE, 50, 1); /* seeks */
	submit(&a);
	submit(&b);
	submit(&c);
	CHECK_EQ(port_io_pending(), 3);
	CHECK_EQ(completions, 0); /* submit never completes anything */
	CHECK(port_io_wait());
	CHECK_EQ(port_time_ns(), 500 + SEEK_NS + 4 * PAGE_NS);
	CHECK_EQ(completions, 1); /* exactly one per wait */
	CHECK_EQ(a.order, 1);
	CHECK_EQ(port_io_pending(), 2);
	CHECK(port_io_wait());
	CHECK_EQ(b.done_at, 500 + SEEK_NS + 5 * PAGE_NS);
	CHECK(port_io_wait());
	CHECK_EQ(c.done_at, 500 + 2 * SEEK_NS + 6 * PAGE_NS);
	CHECK_EQ(c.order, 3);
	CHECK(!port_io_wait());
	CHECK_EQ(port_time_ns(), c.done_at);
	sim_dev_shutdown();
}

TEST(an_idle_device_starts_at_submission)
{
	struct req a, b;

	boot_dev(1 << 20, NULL, SEEK_NS, 100);
	req_init(&a, PORT_IO_READ, 0, 1);
	req_init(&b, PORT_IO_READ, 1, 1);
	submit(&a);
	CHECK(port_io_wait());
	sim_clock_advance(7 * SEEK_NS); /* the disk sits idle meanwhile */
	submit(&b);
	CHECK(port_io_wait());
	CHECK_EQ(b.done_at, a.done_at + 7 * SEEK_NS + PAGE_NS);
	sim_dev_shutdown();
}

TEST(poll_completes_only_what_is_due_and_keeps_the_clock)
{
	struct req a, b;
	struct sim_clock_stats cs;
	uint64_t t;

	boot_dev(1 << 20, NULL, SEEK_NS, 100);
	req_init(&a, PORT_IO_WRITE, 0, 1);
	req_init(&b, PORT_IO_WRITE, 1, 1);
	submit(&a);
	submit(&b);
	t = SEEK_NS + PAGE_NS;
	port_io_poll();
	CHECK_EQ(completions, 0);
	CHECK_EQ(port_time_ns(), 0);
	sim_clock_advance(t - 1);
	port_io_poll();
	CHECK_EQ(completions, 0);
	sim_clock_advance(1);
	port_io_poll();
	CHECK_EQ(completions, 1);
	CHECK_EQ(a.done_at, t);
	CHECK_EQ(port_time_ns(), t);
	sim_clock_advance(10 * SEEK_NS); /* b is due long since */
	port_io_poll();
	CHECK_EQ(completions, 2);
	CHECK_EQ(port_io_pending(), 0);
	CHECK_EQ(port_time_ns(), t + 10 * SEEK_NS);
	sim_clock_get_stats(&cs);
	CHECK_EQ(cs.io_waits, 0);
	CHECK_EQ(cs.io_wait_ns, 0);
	sim_dev_shutdown();
}

TEST(wait_moves_the_clock_exactly_to_the_completion)
{
	struct req a;
	struct sim_clock_stats cs;

	boot_dev(1 << 20, NULL, SEEK_NS, 100);
	CHECK(!port_io_wait());
	CHECK_EQ(port_time_ns(), 0);
	sim_clock_advance(123);
	req_init(&a, PORT_IO_READ, 3, 2);
	submit(&a);
	CHECK(port_io_wait());
	CHECK_EQ(port_time_ns(), 123 + SEEK_NS + 2 * PAGE_NS);
	CHECK_EQ(a.done_at, port_time_ns());
	sim_clock_get_stats(&cs);
	CHECK_EQ(cs.io_waits, 1);
	CHECK_EQ(cs.io_wait_ns, SEEK_NS + 2 * PAGE_NS);
	CHECK_EQ(cs.now_ns, port_time_ns());
	sim_dev_shutdown();
}

TEST(a_request_already_due_does_not_move_the_clock_back)
{
	struct req a;

	boot_dev(1 << 20, NULL, SEEK_NS, 100);
	req_init(&a, PORT_IO_READ, 3, 1);
	submit(&a);
	sim_clock_advance(5 * SEEK_NS);
	CHECK(port_io_wait());
	CHECK_EQ(port_time_ns(), 5 * SEEK_NS);
	CHECK_EQ(a.done_at, 5 * SEEK_NS);
	sim_dev_shutdown();
}

TEST(ties_go_to_the_first_submitted)
{
	struct req r[5];

	boot_dev(1 << 20, NULL, 0, 0); /* every request completes at once */
	for (int i = 0; i < 5; i++) {
		req_init(&r[i], PORT_IO_READ, (uint64_t)(40 - 7 * i), 1);
		submit(&r[i]);
	}
	CHECK(port_io_wait());
	CHECK_EQ(r[0].order, 1);
	CHECK_EQ(r[1].order, 0);
	port_io_poll();
	for (int i = 0; i < 5; i++)
		CHECK_EQ(r[i].order, i + 1);
	CHECK_EQ(port_time_ns(), 0);
	sim_dev_shutdown();
}

TEST(done_may_submit)
{
	struct req w, r, r2;

	boot_dev(1 << 20, NULL, SEEK_NS, 100);
	req_init(&w, PORT_IO_WRITE, 20, 1);
	memset(w.buf[0], 0x42, PAGE);
	req_init(&r, PORT_IO_READ, 21, 1);
	req_init(&r2, PORT_IO_READ, 20, 1);
	w.then = &r;  /* sequential after w: no seek */
	r.then = &r2; /* back to 20: a seek */
	submit(&w);
	CHECK(port_io_wait());
	CHECK_EQ(port_io_pending(), 1); /* r, submitted by w's done() */
	CHECK_EQ(r.order, 0);
	CHECK(port_io_wait());
	CHECK(port_io_wait());
	CHECK(!port_io_wait());
	CHECK_EQ(r.done_at, SEEK_NS + 2 * PAGE_NS);
	CHECK_EQ(r2.done_at, 2 * SEEK_NS + 3 * PAGE_NS);
	CHECK_EQ(r2.buf[0][100], 0x42);
	sim_dev_shutdown();
}

TEST(injected_read_errors_transfer_nothing)
{
	struct req w, r[4];
	struct inject_schedule s = {0};
	struct sim_dev_stats st;
	char err[128];

	boot_dev(1 << 20, NULL, SEEK_NS, 100);
	req_init(&w, PORT_IO_WRITE, 0, 4);
	memset(w.buf, 0x11, sizeof w.buf);
	submit(&w);
	CHECK(port_io_wait());
	CHECK(inject_parse(&s, "swap-read@2", err, sizeof err));
	inject_install(&s);
	for (int i = 0; i < 4; i++) {
		req_init(&r[i], PORT_IO_READ, (uint64_t)i, 1);
		memset(r[i].buf[0], 0xee, PAGE);
		submit(&r[i]);
	}
	while (port_io_wait())
		continue;
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(r[i].io.err, i == 1 ? VM_EIO : VM_OK);
		CHECK_EQ(r[i].buf[0][7], i == 1 ? 0xee : 0x11);
		CHECK(r[i].order > 0); /* a failed request completes too */
	}
	CHECK_EQ(inject_events(INJECT_SWAP_READ), 4);
	CHECK_EQ(inject_failures(INJECT_SWAP_READ), 1);
	CHECK_EQ(inject_failures(INJECT_SWAP_WRITE), 0);
	sim_dev_get_stats(PORT_DEV_SWAP, &st);
	CHECK_EQ(st.reads, 3);
	CHECK_EQ(st.pages_read, 3);
	CHECK_EQ(st.errors, 1);
	CHECK_EQ(st.busy_ns, 2 * SEEK_NS + 8 * PAGE_NS); /* the failure took its time */
	sim_dev_shutdown();
}

TEST(injected_write_errors_by_range_and_from_n_on)
{
	const char *path = tmp_path("wswap");
	struct inject_schedule s = {0};
	struct req w[8];
	char err[128], got[9];

	boot_dev(1 << 20, path, SEEK_NS, 100);
	CHECK(inject_parse(&s, "swap-write@2-3,swap-write@6+", err, sizeof err));
	inject_install(&s);
	for (int i = 0; i < 8; i++) {
		req_init(&w[i], PORT_IO_WRITE, (uint64_t)i, 1);
		memset(w[i].buf[0], 0x80 + i, PAGE);
		submit(&w[i]);
	}
	while (port_io_wait())
		continue;
	for (int i = 0; i < 8; i++)
		got[i] = w[i].io.err == VM_EIO ? 'X' : w[i].io.err == VM_OK ? '.' : '?';
	got[8] = '\0';
	CHECK_STR(got, ".XX..XXX");
	for (int i = 0; i < 8; i++)
		CHECK_EQ(file_byte(path, (uint64_t)i * PAGE + 9), got[i] == 'X' ? 0 : 0x80 + i);
	CHECK_EQ(inject_events(INJECT_SWAP_WRITE), 8);
	CHECK_EQ(inject_failures(INJECT_SWAP_WRITE), 5);
	sim_dev_shutdown();
	unlink(path);
}

TEST(allocation_injection_by_site)
{
	struct inject_schedule s = {0};
	char err[128];

	CHECK(inject_parse(&s, "alloc-ptp@2,alloc-boot@1", err, sizeof err));
	inject_install(&s);
	CHECK(!port_alloc_should_fail(PORT_SITE_PTP));
	CHECK(!port_alloc_should_fail(PORT_SITE_PAGE)); /* another site: its own count */
	CHECK(!port_alloc_should_fail(PORT_SITE_KMEM));
	CHECK(port_alloc_should_fail(PORT_SITE_PTP));
	CHECK(!port_alloc_should_fail(PORT_SITE_PTP));
	CHECK(port_alloc(64) == NULL); /* port_alloc asks as PORT_SITE_BOOT */
	void *p = port_alloc(64);
	CHECK(p != NULL);
	port_free(p, 64);
	CHECK_EQ(inject_events(INJECT_ALLOC_PTP), 3);
	CHECK_EQ(inject_events(INJECT_ALLOC), 7); /* every attempt, every site */
	CHECK_EQ(inject_failures(INJECT_ALLOC_PTP), 1);
	CHECK_EQ(inject_failures(INJECT_ALLOC_BOOT), 1);
	CHECK_EQ(sim_port_injected(), 2);
	/* `alloc` counts across sites. */
	s = (struct inject_schedule){0};
	CHECK(inject_parse(&s, "alloc@3-4", err, sizeof err));
	inject_install(&s);
	CHECK(!port_alloc_should_fail(PORT_SITE_PV));
	CHECK(!port_alloc_should_fail(PORT_SITE_PAGE));
	CHECK(port_alloc_should_fail(PORT_SITE_KMEM));
	CHECK(port_alloc_should_fail(PORT_SITE_PV));
	CHECK(!port_alloc_should_fail(PORT_SITE_PAGE));
	CHECK_EQ(inject_failures(INJECT_ALLOC), 2);
	CHECK_EQ(inject_failures(INJECT_ALLOC_PV), 0);
	/* The tests' older interface arms the same counters. */
	sim_port_fail_nth(PORT_SITE_PV, 2);
	CHECK(!port_alloc_should_fail(PORT_SITE_PV));
	CHECK(!port_alloc_should_fail(PORT_SITE_KMEM));
	CHECK(port_alloc_should_fail(PORT_SITE_PV));
	CHECK_EQ(sim_port_alloc_calls(PORT_SITE_PV), 2);
	CHECK_EQ(sim_port_alloc_calls(SIM_SITE_ANY), 3);
	CHECK_EQ(sim_port_injected(), 1);
	sim_port_fail_nth(SIM_SITE_ANY, 0);
	CHECK(!port_alloc_should_fail(PORT_SITE_PV));
	inject_install(NULL);
}

/* ---- through a booted machine ---- */

static void boot_machine(struct sim *s, uint64_t ram, const char *swap_path, const char *inject)
{
	struct sim_config cfg = {.ram_bytes = ram};
	char err[256];

	completions = 0;
	sim_dev_config_defaults(&cfg.dev);
	cfg.dev.swap_bytes = 16 << 20;
	cfg.dev.swap_path = swap_path;
	if (inject != NULL && !inject_parse(&cfg.inject, inject, err, sizeof err)) {
		fprintf(stderr, "inject_parse: %s\n", err);
		exit(2);
	}
	if (!sim_boot(s, &cfg, err, sizeof err)) {
		fprintf(stderr, "sim_boot: %s\n", err);
		exit(2);
	}
	s->report = stderr;
}

TEST(the_machine_boots_with_swap_and_each_op_costs_time)
{
	struct sim s;
	struct stat st;
	const char *path = tmp_path("mswap");

	boot_machine(&s, 4 << 20, path, NULL);
	CHECK_EQ(port_dev_blocks(PORT_DEV_SWAP), 4096);
	CHECK(stat(path, &st) == 0 && st.st_size == 16 << 20);
	CHECK_EQ(port_time_ns(), 0);
	h_run(&s, "1 spawn\n1 mmap 0x10000 8K rw- private anon\n1 touch 0x10000 8K w\n");
	CHECK_EQ(port_time_ns(), 3 * SIM_DEV_OP_COST_NS);
	sim_shutdown(&s);
	CHECK_EQ(port_dev_blocks(PORT_DEV_SWAP), 0);
	unlink(path);
}

TEST(the_machine_completes_due_io_at_each_op_and_drains_at_shutdown)
{
	struct sim s;
	struct req a, b;

	boot_machine(&s, 4 << 20, NULL, NULL);
	h_run(&s, "1 spawn\n");
	req_init(&a, PORT_IO_WRITE, 0, 1);
	req_init(&b, PORT_IO_WRITE, 100, 1);
	submit(&a); /* due at 1000 + seek + one page */
	submit(&b); /* a seek and a page later */
	h_run(&s, "1 mmap 0x10000 8K rw- private anon\n");
	CHECK_EQ(completions, 0);
	sim_clock_advance(SIM_DEV_SEEK_NS + PAGE_NS - 1000);
	CHECK_EQ(completions, 0); /* the clock alone completes nothing */
	h_run(&s, "1 munmap 0x10000 8K\n"); /* its own 1000 ns make a due */
	CHECK_EQ(completions, 1);
	CHECK_EQ(a.done_at, 2 * SIM_DEV_OP_COST_NS + SIM_DEV_SEEK_NS + PAGE_NS);
	CHECK_EQ(port_io_pending(), 1);
	sim_shutdown(&s);
	CHECK_EQ(completions, 2);
	CHECK_EQ(b.io.err, VM_OK);
}

TEST(the_machine_installs_its_injection_schedule)
{
	struct sim s;

	sim_port_fail_nth(PORT_SITE_KMEM, 1); /* boot replaces what was armed */
	boot_machine(&s, 4 << 20, NULL, "swap-write@1");
	CHECK_EQ(inject_events(INJECT_ALLOC_KMEM), 0);
	CHECK(inject_events(INJECT_ALLOC) > 0); /* boot itself allocates */
	CHECK_EQ(inject_failures(INJECT_ALLOC), 0);
	h_run(&s, "1 spawn\n1 exit\n");
	CHECK_EQ(sim_port_injected(), 0);
	sim_shutdown(&s);
}

TEST(swapping_through_the_machine_keeps_the_data)
{
	static const char *const trace =
		"1 spawn\n"
		"1 mmap 0x100000 3M rw- private anon\n"
		"1 write 0x100000 3M 7\n"
		"1 read 0x100000 3M\n"
		"1 read 0x100000 4096\n";
	struct sim s;
	struct sim_dev_stats st;
	char want[1024];

	boot_machine(&s, 64 << 20, NULL, NULL);
	snprintf(want, sizeof want, "%s", h_run(&s, trace));
	sim_shutdown(&s);
	boot_machine(&s, 1 << 20, NULL, NULL); /* a third of the data fits */
	CHECK_STR(h_run(&s, trace), want);
	sim_dev_get_stats(PORT_DEV_SWAP, &st);
	CHECK(st.pages_written > 0);
	CHECK(st.pages_read > 0);
	CHECK(port_time_ns() > 5 * SIM_DEV_OP_COST_NS); /* waits for the disk */
	CHECK(h_check(&s));
	sim_shutdown(&s);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/mvm-test-dev-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 2;
	RUN(bytes_go_to_the_file_at_completion_and_come_back);
	RUN(a_read_queued_behind_a_write_sees_its_bytes);
	RUN(the_default_file_never_has_a_name);
	RUN(no_device_when_size_is_zero);
	RUN(sizes_round_down_to_pages_and_bad_files_are_refused);
	RUN(a_sequential_pair_costs_one_seek);
	RUN(a_non_sequential_pair_costs_two);
	RUN(requests_submitted_together_finish_one_after_the_other);
	RUN(an_idle_device_starts_at_submission);
	RUN(poll_completes_only_what_is_due_and_keeps_the_clock);
	RUN(wait_moves_the_clock_exactly_to_the_completion);
	RUN(a_request_already_due_does_not_move_the_clock_back);
	RUN(ties_go_to_the_first_submitted);
	RUN(done_may_submit);
	RUN(injected_read_errors_transfer_nothing);
	RUN(injected_write_errors_by_range_and_from_n_on);
	RUN(allocation_injection_by_site);
	RUN(the_machine_boots_with_swap_and_each_op_costs_time);
	RUN(the_machine_completes_due_io_at_each_op_and_drains_at_shutdown);
	RUN(the_machine_installs_its_injection_schedule);
	RUN(swapping_through_the_machine_keeps_the_data);
	CHECK_EQ(dir_entries(tmpdir), 0); /* every file a test made is gone */
	rmdir(tmpdir);
	return check_done();
}
