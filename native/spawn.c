/*
 * posix_spawn for the git processes AIL starts.
 *
 * Node starts a child with fork(), which copies the page tables of the whole server: 5 ms at 50 MB of
 * RSS and 8-12 ms at 150-400 MB on the machines measured, during which the event loop is blocked and
 * git has not started. glibc's posix_spawn uses clone(CLONE_VM | CLONE_VFORK) and takes about 0.5 ms
 * whatever the parent's size. This module only starts the process and reports how it ended; the pipes
 * it returns are read and written by Node's own streams (server/git/process.ts).
 *
 *   spawn(file, argv, envp, cwd) -> [pid, stdinFd, stdoutFd, stderrFd]   (argv[0] included; throws Error with .code)
 *   reap(pid) -> null while running, else { code, signal }               (waitpid with WNOHANG)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error(env, "EINVAL", "ail_spawn: bad arguments");   \
      goto fail;                                                     \
    }                                                                \
  } while (0)

static char *string_of(napi_env env, napi_value value) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) return NULL;
  char *text = malloc(length + 1);
  if (!text) return NULL;
  if (napi_get_value_string_utf8(env, value, text, length + 1, &length) != napi_ok) {
    free(text);
    return NULL;
  }
  if (strlen(text) != length) { /* an argument with a NUL byte would be cut short: refuse it */
    free(text);
    return NULL;
  }
  return text;
}

static void free_strings(char **strings) {
  if (!strings) return;
  for (char **each = strings; *each; each++) free(*each);
  free(strings);
}

/* A NULL-terminated copy of a JS array of strings, or NULL. */
static char **strings_of(napi_env env, napi_value array) {
  uint32_t count = 0;
  if (napi_get_array_length(env, array, &count) != napi_ok) return NULL;
  char **strings = calloc((size_t)count + 1, sizeof(char *));
  if (!strings) return NULL;
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    if (napi_get_element(env, array, i, &item) != napi_ok || !(strings[i] = string_of(env, item))) {
      free_strings(strings);
      return NULL;
    }
  }
  return strings;
}

static void close_all(int *fds, int count) {
  for (int i = 0; i < count; i++)
    if (fds[i] >= 0) close(fds[i]);
}

static napi_value throw_errno(napi_env env, int error, const char *what) {
  napi_value code, message, exception;
  const char *name = error == ENOENT ? "ENOENT" : error == EACCES ? "EACCES" : "ESPAWN";
  char text[256];
  snprintf(text, sizeof text, "%s: %s", what, strerror(error));
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &exception);
  napi_set_named_property(env, exception, "code", code);
  napi_throw(env, exception);
  return NULL;
}

static napi_value Spawn(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value args[4];
  char *file = NULL, *cwd = NULL;
  char **argv = NULL, **envp = NULL;
  int fds[6] = {-1, -1, -1, -1, -1, -1}; /* stdin r/w, stdout r/w, stderr r/w */
  napi_value result = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  if (argc < 4 || !(file = string_of(env, args[0])) || !(argv = strings_of(env, args[1])) ||
      !(envp = strings_of(env, args[2])) || !(cwd = string_of(env, args[3]))) {
    napi_throw_error(env, "EINVAL", "ail_spawn: spawn(file, argv, envp, cwd) takes strings without NUL bytes");
    goto fail;
  }
  for (int i = 0; i < 3; i++) {
    if (pipe2(fds + 2 * i, O_CLOEXEC) != 0) {
      throw_errno(env, errno, "pipe");
      goto fail;
    }
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attributes);
  /* dup2 clears close-on-exec on 0, 1 and 2; every other descriptor of ours is close-on-exec. */
  posix_spawn_file_actions_adddup2(&actions, fds[0], 0);
  posix_spawn_file_actions_adddup2(&actions, fds[3], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[5], 2);
  posix_spawn_file_actions_addchdir_np(&actions, cwd);
  /* Node ignores SIGPIPE and may block signals: the child starts with every signal at its default. */
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setsigmask(&attributes, &none);
  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
#ifdef POSIX_SPAWN_USEVFORK
  flags |= POSIX_SPAWN_USEVFORK;
#endif
  posix_spawnattr_setflags(&attributes, flags);
  pid_t pid = 0;
  /* posix_spawnp searches this process's PATH for the file, as Node's spawn does. */
  int error = posix_spawnp(&pid, file, &actions, &attributes, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) {
    throw_errno(env, error, file);
    goto fail;
  }
  /* The child's ends belong to the child now. */
  close(fds[0]);
  close(fds[3]);
  close(fds[5]);
  int returned[4] = {pid, fds[1], fds[2], fds[4]};
  fds[0] = fds[1] = fds[2] = fds[3] = fds[4] = fds[5] = -1;
  CHECK(napi_create_array_with_length(env, 4, &result));
  for (int i = 0; i < 4; i++) {
    napi_value number;
    CHECK(napi_create_int32(env, returned[i], &number));
    CHECK(napi_set_element(env, result, i, number));
  }
fail:
  close_all(fds, 6);
  free(file);
  free(cwd);
  free_strings(argv);
  free_strings(envp);
  return result;
}

static napi_value Reap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1], result = NULL, code, signal_number;
  int32_t pid = 0;
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  CHECK(napi_get_value_int32(env, args[0], &pid));
  if (pid <= 0) {
    napi_throw_error(env, "EINVAL", "ail_spawn: reap(pid) takes a process id");
    goto fail;
  }
  int status = 0;
  pid_t done;
  do done = waitpid(pid, &status, WNOHANG);
  while (done < 0 && errno == EINTR);
  if (done == 0) {
    CHECK(napi_get_null(env, &result));
    return result;
  }
  if (done < 0) return throw_errno(env, errno, "waitpid");
  CHECK(napi_create_object(env, &result));
  if (WIFEXITED(status)) {
    CHECK(napi_create_int32(env, WEXITSTATUS(status), &code));
    CHECK(napi_get_null(env, &signal_number));
  } else {
    CHECK(napi_get_null(env, &code));
    CHECK(napi_create_int32(env, WTERMSIG(status), &signal_number));
  }
  CHECK(napi_set_named_property(env, result, "code", code));
  CHECK(napi_set_named_property(env, result, "signal", signal_number));
fail:
  return result;
}

NAPI_MODULE_INIT() {
  napi_value function;
  if (napi_create_function(env, "spawn", NAPI_AUTO_LENGTH, Spawn, NULL, &function) != napi_ok ||
      napi_set_named_property(env, exports, "spawn", function) != napi_ok ||
      napi_create_function(env, "reap", NAPI_AUTO_LENGTH, Reap, NULL, &function) != napi_ok ||
      napi_set_named_property(env, exports, "reap", function) != napi_ok)
    return NULL;
  return exports;
}
