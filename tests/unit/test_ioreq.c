/*
 * test_ioreq.c - the fixed pools of page I/O requests (src/vm/ioreq.c).
 *
 * Paging out is how memory is freed, so its requests come from pools
 * allocated with the core, never from memory.  A pool must hand out each
 * of its requests once, say so when none is idle (the pageout then backs
 * off), take a request back for reuse with its outcome delivered, and
 * come out of vm_ioreq_init whole whatever an earlier machine left in it:
 * the pools are static and the tests boot many machines in one program.
 * A caller that must have one (a fault's pagein, a file's data_request)
 * waits for I/O to complete rather than fail when all are out.
 */
#include "sim_helpers.h"
#include "sim/dev.h"
#include "vm/ioreq.h"

#define N 4

/* A pool of N, and after it a request that is not the pool's: busy, as
 * if another pool had it out, and never to be touched. */
static struct vm_ioreq pool[N + 1];
static struct vm_ioreq *const neighbour = &pool[N];

/* Takes every request of the pool: each once, then none (the neighbour
 * is never one of them, busy or not). */
static void take_all(struct vm_ioreq **got)
{
	bool neighbour_busy = neighbour->busy;

	for (int i = 0; i < N; i++) {
		got[i] = vm_ioreq_try_get(pool, N);
		CHECK(got[i] != NULL);
		CHECK(got[i] != NULL && got[i]->busy && got[i]->result == NULL);
		for (int j = 0; j < i; j++)
			CHECK(got[i] != got[j]);
	}
	CHECK(vm_ioreq_try_get(pool, N) == NULL);
	CHECK_EQ(neighbour->busy, neighbour_busy);
}

TEST(a_pool_hands_out_each_request_once)
{
	struct vm_ioreq *got[N];

	neighbour->busy = true;
	vm_ioreq_init(pool, N);
	CHECK(neighbour->busy);
	take_all(got);
	for (int i = 0; i < N; i++)
		CHECK(got[i] >= pool && got[i] < pool + N);
	/* An idle request just past the pool is still not the pool's. */
	vm_ioreq_init(pool, N);
	neighbour->busy = false;
	take_all(got);
	CHECK(!neighbour->busy);
}

TEST(init_makes_every_request_idle_again)
{
	struct vm_ioreq *got[N];

	/* A machine that went away with every request taken, then one with
	 * only the first taken: the next boot gets the whole pool back, and
	 * what lies beyond the pool stays as it was. */
	neighbour->busy = true;
	vm_ioreq_init(pool, N);
	take_all(got);
	vm_ioreq_init(pool, N);
	take_all(got);
	vm_ioreq_init(pool, N);
	CHECK(vm_ioreq_try_get(pool, N) == &pool[0]);
	vm_ioreq_init(pool, N);
	take_all(got);
}

TEST(a_request_put_back_is_taken_again_and_reports_its_outcome)
{
	struct vm_ioreq *got[N], *again;
	enum vm_err outcome = VM_OK;

	vm_ioreq_init(pool, N);
	take_all(got);
	got[2]->result = &outcome;
	got[2]->io.err = VM_EIO;
	vm_ioreq_put(got[2]);
	CHECK_EQ(outcome, VM_EIO);
	again = vm_ioreq_try_get(pool, N);
	CHECK(again == got[2]);
	CHECK(again != NULL && again->result == NULL); /* no stale waiter */
	CHECK(vm_ioreq_try_get(pool, N) == NULL);
	/* Without a waiter, putting back delivers nothing. */
	outcome = VM_OK;
	vm_ioreq_put(again);
	CHECK_EQ(outcome, VM_OK);
}

static void put_back(struct port_io *io)
{
	vm_ioreq_put(io->arg);
}

/* With every request carrying a read from swap, vm_ioreq_get waits for
 * one to complete and hands that one out. */
TEST(get_waits_for_a_request_to_come_back)
{
	struct sim_config cfg = {.ram_bytes = 8u << 20};
	struct vm_page *frames[N];
	struct vm_ioreq *r;
	struct sim s;

	sim_dev_config_defaults(&cfg.dev);
	cfg.dev.swap_bytes = 1u << 20;
	h_boot_config(&s, &cfg);
	vm_ioreq_init(pool, N);
	for (int i = 0; i < N; i++) {
		frames[i] = vm_page_alloc(VM_PAGE_ANON);
		CHECK(frames[i] != NULL);
		r = vm_ioreq_try_get(pool, N);
		CHECK(r != NULL);
		if (r == NULL || frames[i] == NULL)
			return;
		r->pages[0] = frames[i];
		vm_ioreq_submit(r, PORT_IO_READ, PORT_DEV_SWAP, (uint64_t)i, 1, put_back);
	}
	CHECK(vm_ioreq_try_get(pool, N) == NULL);
	CHECK_EQ(port_io_pending(), N);
	r = vm_ioreq_get(pool, N);
	CHECK(r >= pool && r < pool + N && r->busy);
	CHECK_EQ(port_io_pending(), N - 1);
	vm_ioreq_put(r);
	while (port_io_wait())
		continue;
	for (int i = 0; i < N; i++)
		vm_page_free(frames[i]);
	sim_shutdown(&s);
}

int main(void)
{
	RUN(a_pool_hands_out_each_request_once);
	RUN(init_makes_every_request_idle_again);
	RUN(a_request_put_back_is_taken_again_and_reports_its_outcome);
	RUN(get_waits_for_a_request_to_come_back);
	return check_done();
}
