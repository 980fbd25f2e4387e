/*
 * swap_alloc.c - the swap-slot allocator: a radix bitmap with run summaries.
 *
 * Shape.  One bit per slot, 1 = free, in 64-bit words.  Four words (256
 * slots, exactly SWAP_RUN_MAX) make a group, and every group has a 32-bit
 * summary: the free run touching its start (prefix), the free run touching
 * its end (suffix) and the longest free run inside it (longest), 9 bits
 * each.  Above the groups sits a tree of fan-out 16 whose nodes carry the
 * same three numbers for everything below them, up to a single root:
 *
 *     root            [p s l]
 *     ...           16 children each
 *     level 1    [p s l] [p s l] ...          one per 4096 slots
 *     groups     [p s l] [p s l] ...          one per 256 slots
 *     bitmap     |64|64|64|64|64|64|64|64| ...
 *
 * Summaries saturate at SWAP_RUN_MAX: a value of 256 means "256 or more",
 * which is all a caller can ask for.  Because a group is exactly 256
 * slots, saturation also makes the combining rule trivial: a node's prefix
 * is its first child's prefix and its suffix its last child's suffix (a
 * child that is entirely free already reads as "256 or more"), and its
 * longest is the largest of its children's longest runs and of each
 * suffix + next prefix, capped.  Runs that cross word, group and node
 * boundaries are therefore all visible from the level above them.
 *
 * Cost.  1 bit per slot for the bitmap, 32/256 = 0.125 bits per slot for
 * group summaries, 0.125/15 = 0.008 for the tree: about 1.133 bits per slot
 * (FreeBSD's blist spends about 2), plus the fixed structure.  A 64 GiB
 * device (16 Mi slots) needs 2.27 MiB; the largest device, 2^32-1 slots
 * (16 TiB), 580 MiB.  Depth is at most 7 summary levels.
 *
 * Search.  To place a run of N, start at the root (its longest must be at
 * least N) and walk one node down per level.  Scanning a node's children
 * in address order we carry the free run that ends where the next child
 * starts: if carry + that child's prefix reaches N the run starts carry
 * slots back and we are done; otherwise, if the child's longest reaches N
 * we descend into it (a run inside the child always starts lower than one
 * leaving it); otherwise carry becomes the child's suffix.  At the group
 * the same walk runs over its four words, using a shift-and to find runs
 * inside one word.  Cost: at most 16 summaries per level plus 4 words,
 * O(log n), no recursion, and it is complete: it finds a run of N exactly
 * when one exists (the tests check this against a naive model).
 *
 * Policy: lowest address first (address-ordered first fit), not a rotor.
 * Pageout wants long contiguous runs, and the studies of allocators
 * (Wilson et al., "Dynamic Storage Allocation: A Survey and Critical
 * Review", 1995) found address-ordered first fit among the least
 * fragmenting policies, and next fit clearly worse: a rotor spreads live
 * slots over the whole device, so frees leave short holes everywhere,
 * while first fit packs live slots at the low end and leaves the high end
 * in long free runs that pageout clusters can use.  First fit's classic
 * cost, rescanning the crowded low end on every call, does not arise
 * here: a subtree whose longest run is too short is skipped from its
 * summary.  The result is also a pure function of the allocator's state,
 * which keeps replay deterministic without a cursor to save.
 * swap_alloc_upto asks for min(N, longest free run), so it returns N
 * when it can and otherwise the device's longest run, the lowest one.
 *
 * Retired slots stay 0 (allocated) in the bitmap and are listed in a
 * sorted table of 32-bit slot numbers: the first SWAP_RETIRED_INLINE live
 * inside the structure, beyond that the table doubles through port_alloc.
 * Failing devices are rare, so a table beats a second bitmap (which would
 * cost another bit per slot); lookups are a binary search.
 *
 * Memory: the structure, bitmap and summaries are one port_alloc block,
 * so creation fails or succeeds as a whole.  Nothing is allocated after
 * creation except when the retired table grows.
 */
#include "swap_alloc.h"

#define WORD_BITS 64u
#define GROUP_WORDS 4u
#define GROUP_SHIFT 8u /* log2 slots per group */
#define GROUP_SLOTS (1u << GROUP_SHIFT)
#define FANOUT_SHIFT 4u
#define FANOUT (1u << FANOUT_SHIFT)
#define SUM_CAP ((uint32_t)SWAP_RUN_MAX)
#define SUM_BITS 9u
#define SUM_MASK ((1u << SUM_BITS) - 1u)
#define MAX_LEVELS 8u
#define ALL_FREE UINT64_MAX

_Static_assert(GROUP_SLOTS == SWAP_RUN_MAX,
	       "the summary combining rule relies on groups of SWAP_RUN_MAX");
_Static_assert(GROUP_SLOTS == GROUP_WORDS * WORD_BITS, "group geometry");
_Static_assert(SUM_CAP <= SUM_MASK, "a summary field must hold SUM_CAP");

/*
 * One allocator.  Owned by its creator; not locked (the core is single
 * threaded, a kernel would hold the swap lock around every call).
 */
struct swap_alloc {
	uint64_t nslots;
	uint64_t nfree;     /* bits set in words[] */
	uint64_t nretired;  /* entries in retired[] */
	uint64_t *words;    /* bitmap, 1 = free; bits past nslots are 0 */
	uint32_t *sum;      /* summaries, all levels, groups first */
	uint64_t nwords;
	uint32_t nlevels;   /* summary levels; the last has one node */
	uint64_t level_off[MAX_LEVELS]; /* index of a level's first node */
	uint64_t level_len[MAX_LEVELS]; /* nodes in a level */
	size_t block_bytes; /* the port_alloc block holding all of the above */
	uint32_t *retired;  /* sorted slot numbers; retired_inline or heap */
	uint64_t retired_cap;
	uint32_t retired_inline[SWAP_RETIRED_INLINE];
};

/* --- summaries ----------------------------------------------------------- */

static inline uint32_t sum_make(uint32_t prefix, uint32_t suffix, uint32_t longest)
{
	return prefix | suffix << SUM_BITS | longest << (2 * SUM_BITS);
}

static inline uint32_t sum_prefix(uint32_t s) { return s & SUM_MASK; }
static inline uint32_t sum_suffix(uint32_t s) { return (s >> SUM_BITS) & SUM_MASK; }
static inline uint32_t sum_longest(uint32_t s) { return (s >> (2 * SUM_BITS)) & SUM_MASK; }

static inline uint32_t max_u32(uint32_t a, uint32_t b) { return a > b ? a : b; }
static inline uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }

/* Free slots at the start of a word (bit 0 is the lowest slot). */
static inline uint32_t word_head(uint64_t w)
{
	return w == ALL_FREE ? WORD_BITS : (uint32_t)__builtin_ctzll(~w);
}

/* Free slots at the end of a word. */
static inline uint32_t word_tail(uint64_t w)
{
	return w == ALL_FREE ? WORD_BITS : (uint32_t)__builtin_clzll(~w);
}

/* Set bits in W; by hand, so a kernel needs no libgcc helper for it. */
static uint32_t word_popcount(uint64_t w)
{
	w = w - ((w >> 1) & 0x5555555555555555ull);
	w = (w & 0x3333333333333333ull) + ((w >> 2) & 0x3333333333333333ull);
	w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (uint32_t)((w * 0x0101010101010101ull) >> 56);
}

/* The longest run of set bits, one step per run. */
static uint32_t word_longest(uint64_t w)
{
	uint32_t best = 0;

	while (w != 0) {
		uint32_t run;

		w >>= __builtin_ctzll(w);
		run = word_head(w);
		best = max_u32(best, run);
		if (run == WORD_BITS)
			break;
		w >>= run;
	}
	return best;
}

/*
 * Lowest bit at which N (1..64) set bits start inside W, or -1.  After
 * the loop bit i of y is set iff bits i..i+len-1 of w all are; shifting in
 * zeros from the top keeps runs from leaving the word.
 */
static int word_find(uint64_t w, uint32_t n)
{
	uint64_t y = w;
	uint32_t len = 1;

	while (len < n && y != 0) {
		uint32_t s = min_u32(len, n - len);

		y &= y >> s;
		len += s;
	}
	return y == 0 ? -1 : __builtin_ctzll(y);
}

static uint32_t group_summary(const uint64_t *w)
{
	uint32_t prefix = 0, longest = 0, run = 0;
	bool in_prefix = true;

	for (uint32_t i = 0; i < GROUP_WORDS; i++) {
		uint32_t head;

		if (w[i] == ALL_FREE) {
			run += WORD_BITS;
			if (in_prefix)
				prefix += WORD_BITS;
			continue;
		}
		head = word_head(w[i]);
		if (in_prefix)
			prefix += head;
		in_prefix = false;
		longest = max_u32(longest, max_u32(run + head, word_longest(w[i])));
		run = word_tail(w[i]);
	}
	longest = max_u32(longest, run);
	return sum_make(prefix, run, longest);
}

/* CHILD[0..n-1] are a node's children in address order (n >= 1). */
static uint32_t node_summary(const uint32_t *child, uint64_t n)
{
	uint32_t longest = sum_longest(child[0]);

	for (uint64_t i = 1; i < n; i++) {
		longest = max_u32(longest, sum_longest(child[i]));
		longest = max_u32(longest, sum_suffix(child[i - 1]) + sum_prefix(child[i]));
	}
	return sum_make(sum_prefix(child[0]), sum_suffix(child[n - 1]),
			min_u32(longest, SUM_CAP));
}

/* --- geometry ------------------------------------------------------------ */

static inline uint32_t *level_sum(const struct swap_alloc *sa, uint32_t level)
{
	return sa->sum + sa->level_off[level];
}

static inline uint32_t root_sum(const struct swap_alloc *sa)
{
	return level_sum(sa, sa->nlevels - 1)[0];
}

/* First slot covered by node IDX of LEVEL (level 0 = groups). */
static inline uint64_t node_first_slot(uint32_t level, uint64_t idx)
{
	return idx << (GROUP_SHIFT + FANOUT_SHIFT * level);
}

/* Number of children of node IDX at LEVEL >= 1. */
static inline uint64_t node_nchildren(const struct swap_alloc *sa, uint32_t level,
				      uint64_t idx)
{
	uint64_t first = idx * FANOUT, len = sa->level_len[level - 1];

	return len - first < FANOUT ? len - first : FANOUT;
}

static void refresh_node(struct swap_alloc *sa, uint32_t level, uint64_t idx)
{
	uint32_t *s = level_sum(sa, level);

	if (level == 0)
		s[idx] = group_summary(sa->words + idx * GROUP_WORDS);
	else
		s[idx] = node_summary(level_sum(sa, level - 1) + idx * FANOUT,
				      node_nchildren(sa, level, idx));
}

/* Recomputes every summary covering slots [first, first + n). */
static void refresh_range(struct swap_alloc *sa, uint64_t first, uint64_t n)
{
	uint64_t lo = first >> GROUP_SHIFT, hi = (first + n - 1) >> GROUP_SHIFT;

	for (uint32_t level = 0; level < sa->nlevels; level++) {
		for (uint64_t i = lo; i <= hi; i++)
			refresh_node(sa, level, i);
		lo >>= FANOUT_SHIFT;
		hi >>= FANOUT_SHIFT;
	}
}

/* Sets the level table for NSLOTS; returns the number of summaries. */
static uint64_t plan_levels(struct swap_alloc *sa, uint64_t nslots)
{
	uint64_t len = (nslots + GROUP_SLOTS - 1) >> GROUP_SHIFT, total = 0;
	uint32_t level = 0;

	for (;;) {
		VM_ASSERT(level < MAX_LEVELS);
		sa->level_off[level] = total;
		sa->level_len[level] = len;
		total += len;
		level++;
		if (len == 1)
			break;
		len = (len + FANOUT - 1) >> FANOUT_SHIFT;
	}
	sa->nlevels = level;
	return total;
}

/* --- creation ------------------------------------------------------------ */

static size_t round_up8(size_t n)
{
	return (n + 7u) & ~(size_t)7u;
}

static void init_bitmap(struct swap_alloc *sa)
{
	uint64_t full = sa->nslots / WORD_BITS;
	uint32_t rest = (uint32_t)(sa->nslots % WORD_BITS);

	for (uint64_t i = 0; i < sa->nwords; i++)
		sa->words[i] = i < full ? ALL_FREE : 0;
	if (rest != 0)
		sa->words[full] = ((uint64_t)1 << rest) - 1;
}

static void init_summaries(struct swap_alloc *sa)
{
	for (uint32_t level = 0; level < sa->nlevels; level++)
		for (uint64_t i = 0; i < sa->level_len[level]; i++)
			refresh_node(sa, level, i);
}

struct swap_alloc *swap_alloc_create(uint64_t nslots)
{
	struct swap_alloc plan, *sa;
	uint64_t nsum, ngroups;
	size_t head, words_bytes, bytes;

	VM_ASSERT(nslots >= 1 && nslots <= SWAP_NSLOTS_MAX);
	memset(&plan, 0, sizeof(plan));
	nsum = plan_levels(&plan, nslots);
	ngroups = plan.level_len[0];
	head = round_up8(sizeof(struct swap_alloc));
	words_bytes = (size_t)(ngroups * GROUP_WORDS * sizeof(uint64_t));
	bytes = head + words_bytes + (size_t)nsum * sizeof(uint32_t);

	sa = port_alloc(bytes);
	if (sa == NULL)
		return NULL;
	*sa = plan;
	sa->nslots = nslots;
	sa->nfree = nslots;
	sa->nretired = 0;
	sa->nwords = ngroups * GROUP_WORDS;
	sa->words = (uint64_t *)((char *)sa + head);
	sa->sum = (uint32_t *)((char *)sa->words + words_bytes);
	sa->block_bytes = bytes;
	sa->retired = sa->retired_inline;
	sa->retired_cap = SWAP_RETIRED_INLINE;
	init_bitmap(sa);
	init_summaries(sa);
	return sa;
}

void swap_alloc_destroy(struct swap_alloc *sa)
{
	if (sa == NULL)
		return;
	if (sa->retired != sa->retired_inline)
		port_free(sa->retired, (size_t)sa->retired_cap * sizeof(uint32_t));
	port_free(sa, sa->block_bytes);
}

/* --- marking ------------------------------------------------------------- */

/* Mask of N (1..64) bits starting at bit B (B + N <= 64). */
static inline uint64_t bit_mask(uint32_t b, uint32_t n)
{
	return (n == WORD_BITS ? ALL_FREE : (((uint64_t)1 << n) - 1)) << b;
}

/* Marks [first, first + n) allocated; all of it must be free. */
static void mark_allocated(struct swap_alloc *sa, uint64_t first, uint64_t n)
{
	uint64_t w = first / WORD_BITS;
	uint32_t b = (uint32_t)(first % WORD_BITS);

	while (n > 0) {
		uint32_t take = (uint32_t)(n < WORD_BITS - b ? n : WORD_BITS - b);
		uint64_t m = bit_mask(b, take);

		VM_ASSERT((sa->words[w] & m) == m);
		sa->words[w] &= ~m;
		n -= take;
		b = 0;
		w++;
	}
}

/* Marks [first, first + n) free; all of it must be allocated. */
static void mark_free(struct swap_alloc *sa, uint64_t first, uint64_t n)
{
	uint64_t w = first / WORD_BITS;
	uint32_t b = (uint32_t)(first % WORD_BITS);

	while (n > 0) {
		uint32_t take = (uint32_t)(n < WORD_BITS - b ? n : WORD_BITS - b);
		uint64_t m = bit_mask(b, take);

		VM_ASSERT((sa->words[w] & m) == 0);
		sa->words[w] |= m;
		n -= take;
		b = 0;
		w++;
	}
}

/* --- search -------------------------------------------------------------- */

/* Lowest run of N inside group G, which is known to hold one. */
static uint64_t group_find(const struct swap_alloc *sa, uint64_t g, uint32_t n)
{
	const uint64_t *w = sa->words + g * GROUP_WORDS;
	uint64_t base = node_first_slot(0, g);
	uint32_t carry = 0;

	for (uint32_t i = 0; i < GROUP_WORDS; i++) {
		uint64_t start = base + (uint64_t)i * WORD_BITS;
		int at;

		if (carry + word_head(w[i]) >= n)
			return start - carry;
		if (n <= WORD_BITS && (at = word_find(w[i], n)) >= 0)
			return start + (uint64_t)at;
		carry = w[i] == ALL_FREE ? carry + WORD_BITS : word_tail(w[i]);
	}
	port_panic(__FILE__, __LINE__, "swap_alloc: group summary promised a run");
}

/*
 * First slot of the lowest free run of N, or SWAP_SLOT_NONE.  Walks down
 * from the root as the top comment describes.  A child whose longest is
 * below N is never entirely free (its longest would be SUM_CAP), so its
 * suffix is the whole free run reaching its end and is exact (< N).
 */
static uint64_t find_run(const struct swap_alloc *sa, uint32_t n)
{
	uint64_t idx = 0;

	if (sum_longest(root_sum(sa)) < n)
		return SWAP_SLOT_NONE;
	for (uint32_t level = sa->nlevels - 1; level > 0; level--) {
		const uint32_t *child = level_sum(sa, level - 1);
		uint64_t c = idx * FANOUT, end = c + node_nchildren(sa, level, idx);
		uint32_t carry = 0;

		for (; c < end; c++) {
			if (carry + sum_prefix(child[c]) >= n)
				return node_first_slot(level - 1, c) - carry;
			if (sum_longest(child[c]) >= n)
				break;
			carry = sum_suffix(child[c]);
		}
		VM_ASSERT(c < end);
		idx = c;
	}
	return group_find(sa, idx, n);
}

static void take_run(struct swap_alloc *sa, uint64_t first, uint32_t n)
{
	mark_allocated(sa, first, n);
	sa->nfree -= n;
	refresh_range(sa, first, n);
}

uint64_t swap_alloc_run(struct swap_alloc *sa, uint32_t n)
{
	uint64_t first;

	VM_ASSERT(n >= 1 && n <= SWAP_RUN_MAX);
	first = find_run(sa, n);
	if (first != SWAP_SLOT_NONE)
		take_run(sa, first, n);
	return first;
}

uint64_t swap_alloc_upto(struct swap_alloc *sa, uint32_t n, uint32_t *got)
{
	uint32_t len;
	uint64_t first;

	VM_ASSERT(n >= 1);
	len = min_u32(min_u32(n, SWAP_RUN_MAX), sum_longest(root_sum(sa)));
	*got = 0;
	if (len == 0)
		return SWAP_SLOT_NONE;
	first = find_run(sa, len);
	VM_ASSERT(first != SWAP_SLOT_NONE);
	take_run(sa, first, len);
	*got = len;
	return first;
}

/* --- retired slots ------------------------------------------------------- */

/* Index of the first retired slot >= SLOT. */
static uint64_t retired_lower_bound(const struct swap_alloc *sa, uint64_t slot)
{
	uint64_t lo = 0, hi = sa->nretired;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (sa->retired[mid] < slot)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool retired_grow(struct swap_alloc *sa)
{
	uint64_t cap = sa->retired_cap * 2;
	uint32_t *t = port_alloc((size_t)cap * sizeof(uint32_t));

	if (t == NULL)
		return false;
	memcpy(t, sa->retired, (size_t)sa->nretired * sizeof(uint32_t));
	if (sa->retired != sa->retired_inline)
		port_free(sa->retired, (size_t)sa->retired_cap * sizeof(uint32_t));
	sa->retired = t;
	sa->retired_cap = cap;
	return true;
}

bool swap_retire(struct swap_alloc *sa, uint64_t slot)
{
	uint64_t i;

	VM_ASSERT(swap_slot_allocated(sa, slot));
	i = retired_lower_bound(sa, slot);
	VM_ASSERT(i == sa->nretired || sa->retired[i] != slot);
	if (sa->nretired == sa->retired_cap && !retired_grow(sa))
		return false;
	memmove(sa->retired + i + 1, sa->retired + i,
		(size_t)(sa->nretired - i) * sizeof(uint32_t));
	sa->retired[i] = (uint32_t)slot;
	sa->nretired++;
	return true;
}

/* --- free and queries ---------------------------------------------------- */

void swap_free_run(struct swap_alloc *sa, uint64_t slot, uint32_t n)
{
	uint64_t i;

	VM_ASSERT(n >= 1 && slot < sa->nslots && n <= sa->nslots - slot);
	i = retired_lower_bound(sa, slot);
	VM_ASSERT(i == sa->nretired || sa->retired[i] >= slot + n);
	mark_free(sa, slot, n);
	sa->nfree += n;
	refresh_range(sa, slot, n);
}

bool swap_slot_allocated(const struct swap_alloc *sa, uint64_t slot)
{
	VM_ASSERT(slot < sa->nslots);
	return (sa->words[slot / WORD_BITS] >> (slot % WORD_BITS) & 1u) == 0;
}

bool swap_slot_retired(const struct swap_alloc *sa, uint64_t slot)
{
	uint64_t i;

	VM_ASSERT(slot < sa->nslots);
	i = retired_lower_bound(sa, slot);
	return i < sa->nretired && sa->retired[i] == slot;
}

uint64_t swap_alloc_nslots(const struct swap_alloc *sa) { return sa->nslots; }
uint64_t swap_alloc_nfree(const struct swap_alloc *sa) { return sa->nfree; }
uint64_t swap_alloc_nretired(const struct swap_alloc *sa) { return sa->nretired; }

uint64_t swap_alloc_ninuse(const struct swap_alloc *sa)
{
	return sa->nslots - sa->nfree - sa->nretired;
}

uint32_t swap_alloc_longest_free(const struct swap_alloc *sa)
{
	return sum_longest(root_sum(sa));
}

size_t swap_alloc_meta_bytes(const struct swap_alloc *sa)
{
	size_t bytes = sa->block_bytes;

	if (sa->retired != sa->retired_inline)
		bytes += (size_t)sa->retired_cap * sizeof(uint32_t);
	return bytes;
}

/* --- verification -------------------------------------------------------- */

/* Copies MSG into WHY and, unless AT is SWAP_SLOT_NONE, " at AT". */
static bool verify_fail(char *why, size_t whylen, const char *msg, uint64_t at)
{
	char num[24];
	size_t len = 0, k = sizeof(num);

	if (why == NULL || whylen == 0)
		return false;
	for (; *msg != '\0' && len + 1 < whylen; msg++)
		why[len++] = *msg;
	if (at != SWAP_SLOT_NONE) {
		const char *sep = " at ";

		do {
			num[--k] = (char)('0' + at % 10);
			at /= 10;
		} while (at != 0);
		for (; *sep != '\0' && len + 1 < whylen; sep++)
			why[len++] = *sep;
		for (; k < sizeof(num) && len + 1 < whylen; k++)
			why[len++] = num[k];
	}
	why[len] = '\0';
	return false;
}

static bool verify_bitmap(const struct swap_alloc *sa, char *why, size_t whylen)
{
	uint64_t nfree = 0;

	for (uint64_t i = 0; i < sa->nwords; i++) {
		uint64_t first = i * WORD_BITS;

		if (first + WORD_BITS > sa->nslots) {
			uint64_t valid = first >= sa->nslots ? 0 : sa->nslots - first;
			uint64_t pad = valid == 0 ? ALL_FREE : ~bit_mask(0, (uint32_t)valid);

			if ((sa->words[i] & pad) != 0)
				return verify_fail(why, whylen,
						   "swap: padding bit free in word", i);
		}
		nfree += word_popcount(sa->words[i]);
	}
	if (nfree != sa->nfree)
		return verify_fail(why, whylen, "swap: nfree disagrees with bitmap",
				   SWAP_SLOT_NONE);
	return true;
}

static bool verify_summaries(const struct swap_alloc *sa, char *why, size_t whylen)
{
	const char *msg[] = { "swap: stale group summary",
			      "swap: stale node summary" };

	for (uint32_t level = 0; level < sa->nlevels; level++) {
		const uint32_t *s = level_sum(sa, level);

		for (uint64_t i = 0; i < sa->level_len[level]; i++) {
			uint32_t want = level == 0
				? group_summary(sa->words + i * GROUP_WORDS)
				: node_summary(level_sum(sa, level - 1) + i * FANOUT,
					       node_nchildren(sa, level, i));

			if (s[i] != want)
				return verify_fail(why, whylen, msg[level > 0],
						   node_first_slot(level, i));
		}
	}
	return true;
}

static bool verify_retired(const struct swap_alloc *sa, char *why, size_t whylen)
{
	if (sa->nretired > sa->retired_cap ||
	    (sa->retired == sa->retired_inline) !=
		    (sa->retired_cap == SWAP_RETIRED_INLINE))
		return verify_fail(why, whylen, "swap: retired table corrupt",
				   SWAP_SLOT_NONE);
	if (sa->nretired > sa->nslots - sa->nfree)
		return verify_fail(why, whylen, "swap: more retired than allocated",
				   SWAP_SLOT_NONE);
	for (uint64_t i = 0; i < sa->nretired; i++) {
		uint64_t slot = sa->retired[i];

		if (i > 0 && sa->retired[i - 1] >= slot)
			return verify_fail(why, whylen, "swap: retired table unsorted",
					   slot);
		if (slot >= sa->nslots)
			return verify_fail(why, whylen, "swap: retired slot out of range",
					   slot);
		if (!swap_slot_allocated(sa, slot))
			return verify_fail(why, whylen, "swap: retired slot is free",
					   slot);
	}
	return true;
}

bool swap_alloc_verify(const struct swap_alloc *sa, char *why, size_t whylen)
{
	if (sa->nfree > sa->nslots)
		return verify_fail(why, whylen, "swap: nfree above nslots",
				   SWAP_SLOT_NONE);
	if (!verify_bitmap(sa, why, whylen) || !verify_summaries(sa, why, whylen) ||
	    !verify_retired(sa, why, whylen))
		return false;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	return true;
}
