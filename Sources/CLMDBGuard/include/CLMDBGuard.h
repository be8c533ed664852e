/* CLMDBGuard — liblmdb read calls that survive damaged pages (issue 14 item 14).
 * liblmdb trusts the pages it reads; some damaged pages make it dereference NULL or run off the
 * map (e.g. a leaf node whose flags say F_DUPDATA in a database without MDB_DUPSORT). These calls
 * run under a per-thread sigsetjmp: SIGSEGV or SIGBUS raised inside them jumps back and the call
 * returns MDB_CORRUPTED. A fault anywhere else reinstates the previous handlers and repeats under
 * them, as if the guard were not there. */
#ifndef CLMDBGUARD_H
#define CLMDBGUARD_H
#include <lmdb.h>

/* Installs the SIGSEGV/SIGBUS handlers once per process (idempotent, thread-safe). */
void gradus_lmdb_install_fault_guard(void);

/* mdb_get, mdb_cursor_get and mdb_dbi_open, returning MDB_CORRUPTED on a fault inside them. */
int gradus_mdb_get(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data);
int gradus_mdb_cursor_get(MDB_cursor *cursor, MDB_val *key, MDB_val *data, MDB_cursor_op op);
int gradus_mdb_dbi_open(MDB_txn *txn, const char *name, unsigned int flags, MDB_dbi *dbi);

#endif
