/*
 * record_launch.c - run the program under valgrind with the mvmrec tool.
 *
 * valgrind finds a tool in the directory VALGRIND_LIB names, so ours is
 * built into a directory of its own beside the core's preload library
 * (CMakeLists.txt, target mvmrec).  --trace-children=yes makes every
 * exec'd program run under the tool too (a fork is already a copy of
 * it); each process appends to the same log.  valgrind's own messages go
 * to standard error; the program keeps its standard streams.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "record/record.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void exec_valgrind(const char *tool_dir, const char *log, char **argv)
{
	size_t n = 0;
	while (argv[n])
		n++;
	char **args = calloc(n + 8, sizeof *args);
	char *out = malloc(strlen(log) + 16);
	if (!args || !out)
		_exit(127);
	sprintf(out, "--mvm-out=%s", log);
	size_t k = 0;
	args[k++] = "valgrind";
	args[k++] = "--tool=mvmrec";
	args[k++] = "-q";
	args[k++] = "--trace-children=yes";
	args[k++] = out;
	for (size_t i = 0; i < n; i++)
		args[k++] = argv[i];
	args[k] = NULL;
	setenv("VALGRIND_LIB", tool_dir, 1);
	execvp("valgrind", args);
	fprintf(stderr, "mvm record: cannot run valgrind: %s (scripts/deps installs it)\n",
		strerror(errno));
	_exit(127);
}

bool record_launch(const char *tool_dir, const char *log, char **argv,
		   int *status, double *seconds)
{
	char probe[4096];
	snprintf(probe, sizeof probe, "%s/mvmrec-amd64-linux", tool_dir);
	if (access(probe, X_OK) != 0) {
		fprintf(stderr, "mvm record: the recorder %s is missing (it is built with mvm "
			"when valgrind's tool headers are installed: scripts/deps)\n", probe);
		return false;
	}
	fflush(NULL);
	double t0 = now();
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "mvm record: fork: %s\n", strerror(errno));
		return false;
	}
	if (pid == 0)
		exec_valgrind(tool_dir, log, argv);
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "mvm record: waitpid: %s\n", strerror(errno));
			return false;
		}
	}
	*seconds = now() - t0;
	if (WIFEXITED(*status) && WEXITSTATUS(*status) == 127) {
		fprintf(stderr, "mvm record: valgrind could not run the program\n");
		return false;
	}
	return true;
}
