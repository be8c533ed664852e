/* guard.c — see include/CLMDBGuard.h. */
#include "CLMDBGuard.h"
#include <setjmp.h>
#include <signal.h>
#include <string.h>

static __thread sigjmp_buf *jump_target;
static struct sigaction previous_segv, previous_bus;

static void on_fault(int sig, siginfo_t *info, void *context) {
    (void)sig; (void)info; (void)context;
    sigjmp_buf *target = jump_target;
    if (target) {
        jump_target = 0;
        siglongjmp(*target, 1);
    }
    sigaction(SIGSEGV, &previous_segv, 0);
    sigaction(SIGBUS, &previous_bus, 0);
}

void gradus_lmdb_install_fault_guard(void) {
    static int installed = 0;
    if (__atomic_exchange_n(&installed, 1, __ATOMIC_ACQ_REL)) return;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_fault;
    /* SA_NODEFER leaves the signal unblocked in the handler, so the jump needs no saved mask. */
    action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &previous_segv);
    sigaction(SIGBUS, &action, &previous_bus);
}

#define GUARDED(call)                                                  \
    sigjmp_buf target;                                                 \
    sigjmp_buf *outer = jump_target;                                   \
    if (sigsetjmp(target, 0)) {                                        \
        jump_target = outer;                                           \
        return MDB_CORRUPTED;                                          \
    }                                                                  \
    jump_target = &target;                                             \
    int rc = call;                                                     \
    jump_target = outer;                                               \
    return rc;

int gradus_mdb_get(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data) {
    GUARDED(mdb_get(txn, dbi, key, data))
}

int gradus_mdb_cursor_get(MDB_cursor *cursor, MDB_val *key, MDB_val *data, MDB_cursor_op op) {
    GUARDED(mdb_cursor_get(cursor, key, data, op))
}

int gradus_mdb_dbi_open(MDB_txn *txn, const char *name, unsigned int flags, MDB_dbi *dbi) {
    GUARDED(mdb_dbi_open(txn, name, flags, dbi))
}
