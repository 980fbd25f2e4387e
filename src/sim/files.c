/*
 * files.c - the file table: trace names to host files and cache objects.
 *
 * Entries live in an array that only grows (the trace has no unlink), so
 * an entry's handle is simply its index plus one, and the pager finds a
 * request's host descriptor in O(1).  Names are found through a hash of
 * the name (FNV-1a; collisions chain through the entries), objects
 * through a hash of the object's address (for `maps`, which prints the
 * name of a mapped file).
 *
 * `file NAME SIZE SEED` bypasses the VM system on purpose: it is the
 * outside world changing the file (an editor, a compiler), not a process
 * of the trace.  The host file is truncated and rewritten in place, so it
 * keeps its descriptor and handle, and the entry's generation advances:
 * a data_return the core queued before the rewrite still completes, but
 * the pager drops its bytes instead of writing stale data over the new
 * contents.  The caller then tells the core (vm_file_replaced).
 *
 * Default files are unnamed temporary files (O_TMPFILE, or a name
 * unlinked at once where the host file system lacks it): the files
 * "directory" is then private to the run and vanishes with it on every
 * path out, abort and SIGKILL included, which a real directory removed
 * at exit cannot promise.
 */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev.h"
#include "mvm/port.h"
#include "mvm/vm.h"
#include "trace/trace.h"
#include "trace/trace_hash.h"

/* The largest file: the spec's 2^40 bytes, which every host file system
 * can hold (the parser refuses larger `file` lines; this guards callers
 * that build operations without it). */
#define FILES_SIZE_MAX TRACE_FILE_SIZE_MAX

struct sim_file {
	char name[TRACE_NAME_MAX + 1];
	int fd;
	uint64_t generation;       /* advanced by every rewrite */
	struct vm_object *obj;     /* the core's cache object; NULL until set */
	size_t next_same_hash;     /* index + 1 of the next entry of the chain */
};

static struct {
	struct sim_file *file;
	size_t n, cap;
	struct trace_hash by_name;    /* name hash -> index + 1 of the chain's head */
	struct trace_hash by_object;  /* object address -> index + 1 */
	int dir_fd;                   /* -1: unnamed temporary files */
	char *dir;
	bool booted;
} files = {.dir_fd = -1};

static uint64_t name_key(const char *name)
{
	uint64_t h = trace_fnv1a(TRACE_FNV_OFFSET, (const uint8_t *)name, strlen(name));

	return h != 0 ? h : 1; /* key 0 is the table's empty marker */
}

void sim_files_config_defaults(struct sim_files_config *c)
{
	*c = (struct sim_files_config){
		.dirty_max = SIM_FILES_DIRTY_PCT,
		.dirty_max_percent = true,
		.pager_inflight = SIM_FILES_INFLIGHT,
	};
}

uint64_t sim_files_dirty_pages(const struct sim_files_config *c, uint64_t nframes)
{
	uint64_t pages;

	if (c->dirty_max == 0)
		pages = nframes * SIM_FILES_DIRTY_PCT / 100;
	else if (c->dirty_max_percent)
		pages = nframes / 100 * c->dirty_max + nframes % 100 * c->dirty_max / 100;
	else
		pages = c->dirty_max;
	return pages != 0 ? pages : 1;
}

/* ---- boot and shutdown ---- */

static bool open_dir(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "--files %s: %s", dir, strerror(errno));
		return false;
	}
	files.dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (files.dir_fd < 0) {
		snprintf(err, errlen, "--files %s: %s", dir, strerror(errno));
		return false;
	}
	files.dir = strdup(dir);
	if (files.dir == NULL)
		port_panic(__FILE__, __LINE__, "host out of memory for the file table");
	return true;
}

bool sim_files_boot(const struct sim_files_config *c, char *err, size_t errlen)
{
	sim_files_shutdown();
	trace_hash_init(&files.by_name);
	trace_hash_init(&files.by_object);
	files.booted = true;
	sim_pager_set_lookup(sim_files_host);
	if (c->dir != NULL && !open_dir(c->dir, err, errlen)) {
		sim_files_shutdown();
		return false;
	}
	return true;
}

void sim_files_configure_core(const struct sim_files_config *c, uint64_t nframes)
{
	struct vm_file_config vc = {
		.dirty_max = sim_files_dirty_pages(c, nframes),
		.pager_inflight = c->pager_inflight != 0 ? c->pager_inflight : SIM_FILES_INFLIGHT,
	};

	vm_file_configure(&vc);
}

void sim_files_shutdown(void)
{
	for (size_t i = 0; i < files.n; i++)
		if (files.file[i].fd >= 0)
			close(files.file[i].fd);
	free(files.file);
	if (files.dir_fd >= 0)
		close(files.dir_fd);
	free(files.dir);
	if (files.booted) {
		trace_hash_free(&files.by_name);
		trace_hash_free(&files.by_object);
	}
	files.file = NULL;
	files.n = files.cap = 0;
	files.dir_fd = -1;
	files.dir = NULL;
	files.booted = false;
}

/* ---- names ---- */

static struct sim_file *find(const char *name)
{
	uint64_t *head = trace_hash_find(&files.by_name, name_key(name));

	for (size_t i = head != NULL ? (size_t)*head : 0; i != 0; i = files.file[i - 1].next_same_hash)
		if (strcmp(files.file[i - 1].name, name) == 0)
			return &files.file[i - 1];
	return NULL;
}

static struct sim_file *by_handle(uint64_t handle)
{
	return handle != 0 && handle <= files.n ? &files.file[handle - 1] : NULL;
}

static uint64_t handle_of(const struct sim_file *f)
{
	return (uint64_t)(f - files.file) + 1;
}

/* A host file for a new entry: named in the directory, or unnamed. */
static int open_host(const char *name, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (files.dir_fd >= 0) {
		fd = openat(files.dir_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0)
			snprintf(err, errlen, "file %s: cannot create it in %s: %s", name, files.dir,
				 strerror(errno));
		return fd;
	}
	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	fd = open(tmp, O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	snprintf(path, sizeof path, "%s/mvm-file-XXXXXX", tmp);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "file %s: cannot create a temporary file in %s: %s", name, tmp,
			 strerror(errno));
		return -1;
	}
	unlink(path);
	return fd;
}

static struct sim_file *add(const char *name, int fd)
{
	uint64_t *head;
	struct sim_file *f;

	if (files.n == files.cap) {
		size_t cap = files.cap ? files.cap * 2 : 16;
		struct sim_file *grown = realloc(files.file, cap * sizeof *grown);

		if (grown == NULL)
			port_panic(__FILE__, __LINE__, "host out of memory for the file table");
		files.file = grown;
		files.cap = cap;
	}
	f = &files.file[files.n++];
	*f = (struct sim_file){.fd = fd};
	snprintf(f->name, sizeof f->name, "%s", name);
	head = trace_hash_insert(&files.by_name, name_key(name));
	f->next_same_hash = (size_t)*head;
	*head = files.n;
	return f;
}

bool sim_files_write(const char *name, uint64_t size, uint64_t seed, uint64_t *handle,
		     bool *created, char *err, size_t errlen)
{
	struct sim_file *f = find(name);

	if (strchr(name, '/') != NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    *name == '\0')
		port_panic(__FILE__, __LINE__, "a file name the trace parser should have refused");
	if (size > FILES_SIZE_MAX) {
		snprintf(err, errlen, "file %s: size %llu is more than a file may hold (2^40)",
			 name, (unsigned long long)size);
		return false;
	}
	*created = f == NULL;
	if (f == NULL) {
		int fd = open_host(name, err, errlen);

		if (fd < 0)
			return false;
		f = add(name, fd);
	}
	f->generation++;
	errno = 0;
	if (ftruncate(f->fd, 0) != 0 || !trace_pattern_write_fd(f->fd, seed, 0, size)) {
		snprintf(err, errlen, "file %s: cannot write %llu bytes: %s", name,
			 (unsigned long long)size, errno ? strerror(errno) : "short write");
		return false;
	}
	*handle = handle_of(f);
	return true;
}

void sim_files_set_object(uint64_t handle, struct vm_object *obj)
{
	struct sim_file *f = by_handle(handle);

	if (f == NULL || obj == NULL)
		port_panic(__FILE__, __LINE__, "sim_files_set_object: no such file");
	if (f->obj != NULL)
		trace_hash_remove(&files.by_object, (uint64_t)(uintptr_t)f->obj);
	f->obj = obj;
	*trace_hash_insert(&files.by_object, (uint64_t)(uintptr_t)obj) = handle;
}

struct vm_object *sim_files_object(const char *name)
{
	struct sim_file *f = find(name);

	return f != NULL ? f->obj : NULL;
}

const char *sim_files_name(const struct vm_object *obj)
{
	uint64_t *h = obj != NULL ? trace_hash_find(&files.by_object, (uint64_t)(uintptr_t)obj)
				  : NULL;

	return h != NULL ? files.file[*h - 1].name : NULL;
}

bool sim_files_host(uint64_t handle, int *fd, uint64_t *generation)
{
	struct sim_file *f = by_handle(handle);

	if (f == NULL)
		return false;
	*fd = f->fd;
	*generation = f->generation;
	return true;
}

uint64_t sim_files_count(void)
{
	return files.n;
}

const char *sim_files_dir(void)
{
	return files.dir;
}
