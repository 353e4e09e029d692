/*===- lathe_run_runtime.c - running an artifact with nothing but the runtime ===*
 *
 *   lathe-run-runtime ARTIFACT --input NAME=FILE.npy... --output-dir DIR
 *                     [--threads N] [--entry NAME]
 *
 * `lathe run` where the compiler is not: on the device, or under
 * qemu-aarch64 for an artifact compiled with --host aarch64-linux-gnu. It
 * writes DIR/output_<i>.npy (graph output order) and DIR/outputs.json, as
 * `lathe run` does. Failures are one line on stderr and exit code 1.
 *===----------------------------------------------------------------------===*/
#include "npy_files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_INPUTS 256

static const char *kUsage = "lathe-run-runtime ARTIFACT --input NAME=FILE.npy... --output-dir DIR "
                            "[--threads N] [--entry NAME]";

static int fail(const char *what, const char *why) {
  fprintf(stderr, "lathe-run-runtime: error: %s%s%s\n", what ? what : "", what ? ": " : "", why);
  return 1;
}

/* The whole file at `path` in memory (freed by the caller), or NULL. */
static unsigned char *read_file(const char *path, size_t *size, const char **why) {
  FILE *f = fopen(path, "rb");
  unsigned char *data = NULL;
  *why = NULL;
  if (!f) {
    *why = strerror(errno);
    return NULL;
  }
  long length = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
  if (length < 0 || fseek(f, 0, SEEK_SET) != 0)
    *why = "cannot read the file";
  else if (!(data = malloc(length ? (size_t)length : 1)))
    *why = "out of memory";
  else if (fread(data, 1, (size_t)length, f) != (size_t)length)
    *why = "cannot read the file";
  fclose(f);
  if (*why) {
    free(data);
    return NULL;
  }
  *size = (size_t)length;
  return data;
}

/* `text` as the contents of a JSON string. */
static void json_escape(FILE *out, const char *text) {
  for (const unsigned char *c = (const unsigned char *)text; *c; ++c) {
    if (*c == '"' || *c == '\\')
      fprintf(out, "\\%c", *c);
    else if (*c < 0x20)
      fprintf(out, "\\u%04x", *c);
    else
      fputc(*c, out);
  }
}

/* Whether `spec` (NAME=FILE) names input `name`. */
static int names_input(const char *spec, const char *name) {
  const char *eq = strrchr(spec, '=');
  return eq && (size_t)(eq - spec) == strlen(name) && !strncmp(spec, name, strlen(name));
}

/* The value of option `name` at argv[*i] (`--name VALUE` or
   `--name=VALUE`), advancing *i; NULL when argv[*i] is not that option. */
static const char *option(int argc, char **argv, int *i, const char *name, int *missing) {
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n) != 0)
    return NULL;
  if (argv[*i][n] == '=')
    return argv[*i] + n + 1;
  if (argv[*i][n] != 0)
    return NULL;
  if (*i + 1 >= argc) {
    *missing = 1;
    return NULL;
  }
  return argv[++*i];
}

int main(int argc, char **argv) {
  const char *path = NULL, *output_dir = NULL, *entry_name = NULL;
  const char *input_specs[MAX_INPUTS];
  int input_count = 0;
  lathe_session_options session_options = {0};
  for (int i = 1; i < argc; ++i) {
    int missing = 0;
    const char *value;
    if ((value = option(argc, argv, &i, "--input", &missing))) {
      if (input_count == MAX_INPUTS)
        return fail(NULL, "too many --input");
      input_specs[input_count++] = value;
    } else if ((value = option(argc, argv, &i, "--output-dir", &missing))) {
      output_dir = value;
    } else if ((value = option(argc, argv, &i, "--entry", &missing))) {
      entry_name = value;
    } else if ((value = option(argc, argv, &i, "--threads", &missing))) {
      char *end = NULL;
      long threads = strtol(value, &end, 10);
      if (!value[0] || *end || threads < 1 || threads > 1024)
        return fail("--threads", "needs a positive integer");
      session_options.threads = (size_t)threads;
    } else if (missing) {
      return fail(argv[i], "needs a value");
    } else if (argv[i][0] == '-' || path) {
      fprintf(stderr, "lathe-run-runtime: error: unknown argument '%s' (usage: %s)\n", argv[i],
              kUsage);
      return 1;
    } else {
      path = argv[i];
    }
  }
  if (!path || !output_dir) {
    fprintf(stderr, "lathe-run-runtime: error: expected an artifact and --output-dir (usage: %s)\n",
            kUsage);
    return 1;
  }

  lathe_status status;
  lathe_model *model = NULL;
  lathe_session *session = NULL;
  if (lathe_model_load_file(path, lathe_system_allocator(), &model, &status) != LATHE_OK)
    return fail(NULL, status.message); /* it names the file */
  int result = 1;
  unsigned char *files[MAX_INPUTS] = {0};
  size_t entry = 0;
  if (lathe_session_create_with_options(model, lathe_system_allocator(), &session_options, &session,
                                        &status) != LATHE_OK ||
      (entry_name && (lathe_model_find_entry(model, entry_name, &entry, &status) != LATHE_OK ||
                      lathe_session_select_entry(session, entry, &status) != LATHE_OK))) {
    fail(path, status.message);
    goto done;
  }

  size_t inputs = lathe_model_entry_input_count(model, entry);
  for (size_t index = 0; index < inputs; ++index) {
    lathe_tensor_info info;
    lathe_model_entry_input_info(model, entry, index, &info, NULL);
    const char *file = NULL;
    for (int s = 0; s < input_count; ++s)
      if (names_input(input_specs[s], info.name))
        file = strrchr(input_specs[s], '=') + 1;
    if (!file) {
      char why[600];
      snprintf(why, sizeof(why), "input '%s' is not given (--input %s=FILE.npy)", info.name,
               info.name);
      fail(path, why);
      goto done;
    }
    size_t size;
    const char *why;
    if (!(files[index] = read_file(file, &size, &why))) {
      fail(file, why);
      goto done;
    }
    lathe_npy_array array;
    if (lathe_npy_parse(files[index], size, &array, &status) != LATHE_OK ||
        lathe_session_set_input(session, index, array.data, array.bytes, array.dtype, array.dims,
                                array.rank, &status) != LATHE_OK) {
      fail(file, status.message);
      goto done;
    }
  }
  for (int s = 0; s < input_count; ++s) {
    int known = 0;
    for (size_t index = 0; index < inputs; ++index) {
      lathe_tensor_info info;
      lathe_model_entry_input_info(model, entry, index, &info, NULL);
      known |= names_input(input_specs[s], info.name);
    }
    if (!known) {
      char why[600];
      snprintf(why, sizeof(why), "--input '%s' names no input of the model", input_specs[s]);
      fail(path, why);
      goto done;
    }
  }
  if (lathe_session_run(session, &status) != LATHE_OK) {
    fail(path, status.message);
    goto done;
  }

  if (mkdir(output_dir, 0777) != 0 && errno != EEXIST) {
    fail(output_dir, strerror(errno));
    goto done;
  }
  char file[4096];
  snprintf(file, sizeof(file), "%s/outputs.json", output_dir);
  FILE *json = fopen(file, "w");
  if (!json) {
    fail(file, strerror(errno));
    goto done;
  }
  fprintf(json, "{\n");
  size_t outputs = lathe_model_entry_output_count(model, entry);
  for (size_t index = 0; index < outputs; ++index) {
    lathe_tensor_info info;
    const void *data;
    size_t bytes;
    lathe_model_entry_output_info(model, entry, index, &info, NULL);
    snprintf(file, sizeof(file), "%s/output_%zu.npy", output_dir, index);
    if (lathe_session_output(session, index, &data, &bytes, &status) != LATHE_OK ||
        lathe_npy_write(file, info.dtype, info.dims, info.rank, data, bytes, &status) != LATHE_OK) {
      fclose(json);
      fail(path, status.message);
      goto done;
    }
    fprintf(json, "  \"%zu\": \"", index);
    json_escape(json, info.name);
    fprintf(json, "\"%s\n", index + 1 < outputs ? "," : "");
  }
  fprintf(json, "}\n");
  result = fclose(json) == 0 ? 0 : fail(output_dir, "cannot write outputs.json");

done:
  for (size_t i = 0; i < MAX_INPUTS; ++i)
    free(files[i]);
  lathe_session_release(session);
  lathe_model_release(model);
  return result;
}
