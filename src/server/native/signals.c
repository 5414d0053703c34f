/*
 * unblockSignal(signo): remove one signal from the calling thread's signal mask.
 *
 * Why: Node blocks SIGUSR1 in every thread at start and unblocks it only when it starts the thread
 * that opens the inspector on SIGUSR1. With --disable-sigusr1 (which clusterdns runs with, so a
 * SIGUSR1 can never open 127.0.0.1:9229) that thread is never started and SIGUSR1 stays blocked for
 * good: process.on('SIGUSR1') never fires and "SIGUSR1 reloads the Corefile" silently stops working.
 * Once the JS listener is installed, the main thread calls this to let SIGUSR1 reach it again.
 * A signal sent while it was blocked is pending and is delivered at once.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <pthread.h>
#include <signal.h>

static napi_value js_unblock(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int32_t signo = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &signo) != napi_ok || signo <= 0 || signo >= 65) {
    napi_throw_range_error(env, NULL, "unblockSignal: a signal number is required");
    return NULL;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  napi_get_boolean(env, pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value f;
  napi_create_function(env, "unblockSignal", NAPI_AUTO_LENGTH, js_unblock, NULL, &f);
  napi_set_named_property(env, exports, "unblockSignal", f);
  return exports;
}
