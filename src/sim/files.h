/*
 * files.h - the trace's files on the host: the file table.
 *
 * A trace names files in one flat namespace (`file NAME SIZE SEED`).  The
 * simulator keeps each one as a real host file, so that what the VM
 * system writes back can be read with any tool, and keeps a table from
 * names to three things: the handle the core and the file pager know the
 * file by (struct port_io's `file`), the host descriptor the pager reads
 * and writes, and the core's cache object for it (vm_file_create).  One
 * pager, pager 0, serves every file of the table, as one ext2fs
 * translator serves one Hurd file system.
 *
 * Where the host files live:
 *   - with --files DIR, in DIR under their own names (DIR is created if
 *     missing; the files stay after the run, holding what the trace
 *     wrote);
 *   - by default, nowhere anybody can see: each file is an unnamed
 *     temporary file in $TMPDIR (or /tmp), like the default swap device,
 *     so nothing is ever left behind, not even when mvm is killed.
 *
 * There is one table per process, like the machine and its devices (the
 * pager's port functions have no context to carry one).
 */
#ifndef MVM_SIM_FILES_H
#define MVM_SIM_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm_object;

#define SIM_FILES_DIRTY_PCT 12   /* --dirty-max default: 12% of RAM */
#define SIM_FILES_INFLIGHT 8     /* --pager-inflight default */

/* The files' options (--files, --dirty-max, --pager-inflight); the
 * pager's timing is the device model's (struct sim_dev_config). */
struct sim_files_config {
	const char *dir;          /* --files DIR; NULL: unnamed temporary files */
	uint64_t dirty_max;       /* --dirty-max: pages, or a percentage of RAM */
	bool dirty_max_percent;   /* ... when this is set; 0 with it clear: 12% */
	uint32_t pager_inflight;  /* --pager-inflight; 0: 8 */
};

void sim_files_config_defaults(struct sim_files_config *c);
/* The dirty bound in pages for a machine of NFRAMES frames (at least 1). */
uint64_t sim_files_dirty_pages(const struct sim_files_config *c, uint64_t nframes);

/*
 * Sets up an empty table, replacing any earlier one (whose files are
 * closed).  With a directory, opens it (creating it if missing); false
 * with a message in ERR if it cannot.
 */
bool sim_files_boot(const struct sim_files_config *c, char *err, size_t errlen);
/* Tells the core the dirty bound and the cap on data_returns in flight
 * (after vm_boot). */
void sim_files_configure_core(const struct sim_files_config *c, uint64_t nframes);
/* Closes every host file.  The core's objects die with the machine. */
void sim_files_shutdown(void);

/*
 * `file NAME SIZE SEED`, the host's half: truncates NAME's host file (or
 * creates it) and writes SIZE bytes of the pattern of SEED straight to
 * it, not through the VM system.  Returns the file's table slot through
 * *HANDLE and whether the name is new.  False with a message in ERR if
 * the host refuses (no space) or SIZE passes TRACE_FILE_SIZE_MAX.
 */
bool sim_files_write(const char *name, uint64_t size, uint64_t seed, uint64_t *handle,
		     bool *created, char *err, size_t errlen);
/* Records the cache object of the file HANDLE (after vm_file_create). */
void sim_files_set_object(uint64_t handle, struct vm_object *obj);

/* The cache object of NAME, or NULL if the trace never created it. */
struct vm_object *sim_files_object(const char *name);
/* The name of the file whose cache object is OBJ, or NULL. */
const char *sim_files_name(const struct vm_object *obj);

/*
 * The pager's view of HANDLE: its host descriptor and its generation,
 * which every `file` rewrite advances (a data_return queued before a
 * rewrite must not land on the new contents).  False if no such file.
 */
bool sim_files_host(uint64_t handle, int *fd, uint64_t *generation);

/* For `stat`. */
uint64_t sim_files_count(void);
/* The directory, or NULL for unnamed temporary files. */
const char *sim_files_dir(void);

#endif
