/*
 * fuzz_standalone.c - runs a fuzz target over files, without libFuzzer.
 *
 * libFuzzer needs clang and its runtime; the corpora and the regression
 * inputs should still run wherever the project builds.  Linked with a
 * target (fuzz_parse.c or fuzz_replay.c) instead of -fsanitize=fuzzer,
 * this main feeds it each FILE argument, and each file of each DIRECTORY
 * argument, once, the way a libFuzzer binary does when given files.  A
 * finding aborts, as under libFuzzer; otherwise it prints how many inputs
 * ran and exits 0.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long inputs;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t size = 0, cap = 0, n;

	if (f == NULL) {
		perror(path);
		return 1;
	}
	do {
		if (size == cap) {
			uint8_t *nb = realloc(buf, cap = cap ? 2 * cap : 4096);

			if (nb == NULL)
				abort();
			buf = nb;
		}
		n = fread(buf + size, 1, cap - size, f);
		size += n;
	} while (n > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, size);
	free(buf);
	inputs++;
	return 0;
}

static int run_dir(const char *path)
{
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort), status = 0;

	if (n < 0) {
		perror(path);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char full[4096];
		struct stat st;

		snprintf(full, sizeof full, "%s/%s", path, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && stat(full, &st) == 0 && S_ISREG(st.st_mode))
			status |= run_file(full);
		free(names[i]);
	}
	free(names);
	return status;
}

int main(int argc, char **argv)
{
	int status = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			status = 1;
		} else {
			status |= S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]);
		}
	}
	printf("%lu inputs ran\n", inputs);
	return status;
}
