// Why: in WAL mode only checkpoints write the database file, as a burst of page writes to
// random places, then one fsync. That fsync holds the disk (and ext4's journal) for tens of
// milliseconds, and every WAL fdatasync queued behind it, so every acknowledgement waits too.
// Starting writeback every few hundred KB (sync_file_range, which does not wait) spreads the
// same writes out; the closing fsync then has little left. Durability is unchanged: SQLite's
// own syncs still run, this only starts the disk sooner.
#include "store/internal/writeback_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <mutex>
#include <new>

namespace kefu::store::internal {

namespace {

constexpr sqlite3_int64 kWritebackBytes = 256 * 1024;  // start writeback after this much

sqlite3_vfs* base_vfs = nullptr;
sqlite3_vfs writeback_vfs;

// Our file: the base VFS's file object follows it in the same allocation.
struct WbFile {
  sqlite3_file base;     // our methods
  int fd = -1;           // our own descriptor of the database file, for sync_file_range
  sqlite3_int64 pending = 0;
  sqlite3_file* Real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

WbFile* Wb(sqlite3_file* f) { return reinterpret_cast<WbFile*>(f); }

int Close(sqlite3_file* f) {
  WbFile* w = Wb(f);
  const int rc = w->Real()->pMethods ? w->Real()->pMethods->xClose(w->Real()) : SQLITE_OK;
  if (w->fd >= 0) ::close(w->fd);
  w->fd = -1;
  return rc;
}
int Read(sqlite3_file* f, void* p, int n, sqlite3_int64 off) {
  return Wb(f)->Real()->pMethods->xRead(Wb(f)->Real(), p, n, off);
}
int Write(sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
  WbFile* w = Wb(f);
  const int rc = w->Real()->pMethods->xWrite(w->Real(), p, n, off);
  if (rc == SQLITE_OK && w->fd >= 0) {
    w->pending += n;
    if (w->pending >= kWritebackBytes) {
      // Whole file: pages land anywhere; the kernel only writes what is dirty.
      (void)::sync_file_range(w->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
      w->pending = 0;
    }
  }
  return rc;
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) { return Wb(f)->Real()->pMethods->xTruncate(Wb(f)->Real(), size); }
int Sync(sqlite3_file* f, int flags) {
  Wb(f)->pending = 0;
  return Wb(f)->Real()->pMethods->xSync(Wb(f)->Real(), flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* size) { return Wb(f)->Real()->pMethods->xFileSize(Wb(f)->Real(), size); }
int Lock(sqlite3_file* f, int l) { return Wb(f)->Real()->pMethods->xLock(Wb(f)->Real(), l); }
int Unlock(sqlite3_file* f, int l) { return Wb(f)->Real()->pMethods->xUnlock(Wb(f)->Real(), l); }
int CheckReservedLock(sqlite3_file* f, int* out) {
  return Wb(f)->Real()->pMethods->xCheckReservedLock(Wb(f)->Real(), out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  return Wb(f)->Real()->pMethods->xFileControl(Wb(f)->Real(), op, arg);
}
int SectorSize(sqlite3_file* f) { return Wb(f)->Real()->pMethods->xSectorSize(Wb(f)->Real()); }
int DeviceCharacteristics(sqlite3_file* f) {
  return Wb(f)->Real()->pMethods->xDeviceCharacteristics(Wb(f)->Real());
}
int ShmMap(sqlite3_file* f, int pg, int sz, int extend, void volatile** p) {
  return Wb(f)->Real()->pMethods->xShmMap(Wb(f)->Real(), pg, sz, extend, p);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Wb(f)->Real()->pMethods->xShmLock(Wb(f)->Real(), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { Wb(f)->Real()->pMethods->xShmBarrier(Wb(f)->Real()); }
int ShmUnmap(sqlite3_file* f, int del) { return Wb(f)->Real()->pMethods->xShmUnmap(Wb(f)->Real(), del); }
int Fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** p) {
  return Wb(f)->Real()->pMethods->xFetch(Wb(f)->Real(), off, n, p);
}
int Unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return Wb(f)->Real()->pMethods->xUnfetch(Wb(f)->Real(), off, p);
}

const sqlite3_io_methods kMethods = {
    3,           Close,      Read,                  Write,  Truncate, Sync,       FileSize,
    Lock,        Unlock,     CheckReservedLock,     FileControl,      SectorSize, DeviceCharacteristics,
    ShmMap,      ShmLock,    ShmBarrier,            ShmUnmap,         Fetch,      Unfetch,
};

int Open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  WbFile* w = new (f) WbFile();  // the base file's bytes after it are the base VFS's to fill
  const int rc = base_vfs->xOpen(base_vfs, name, w->Real(), flags, out_flags);
  if (rc != SQLITE_OK) {
    // The base file may be half-open; SQLite will not call our xClose if pMethods is null.
    if (w->Real()->pMethods) w->Real()->pMethods->xClose(w->Real());
    w->base.pMethods = nullptr;
    return rc;
  }
  // Only the main database gets the writeback; its WAL is synced by the store itself.
  if ((flags & SQLITE_OPEN_MAIN_DB) && name != nullptr && (flags & SQLITE_OPEN_READWRITE))
    w->fd = ::open(name, O_RDONLY | O_CLOEXEC);
  w->base.pMethods = &kMethods;
  return SQLITE_OK;
}

// The rest of the VFS is the base's.
int Delete(sqlite3_vfs*, const char* name, int sync_dir) { return base_vfs->xDelete(base_vfs, name, sync_dir); }
int Access(sqlite3_vfs*, const char* name, int flags, int* out) { return base_vfs->xAccess(base_vfs, name, flags, out); }
int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return base_vfs->xFullPathname(base_vfs, name, n, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) { return base_vfs->xDlOpen(base_vfs, name); }
void DlError(sqlite3_vfs*, int n, char* msg) { base_vfs->xDlError(base_vfs, n, msg); }
void (*DlSym(sqlite3_vfs*, void* h, const char* sym))(void) { return base_vfs->xDlSym(base_vfs, h, sym); }
void DlClose(sqlite3_vfs*, void* h) { base_vfs->xDlClose(base_vfs, h); }
int Randomness(sqlite3_vfs*, int n, char* out) { return base_vfs->xRandomness(base_vfs, n, out); }
int Sleep(sqlite3_vfs*, int us) { return base_vfs->xSleep(base_vfs, us); }
int CurrentTime(sqlite3_vfs*, double* out) { return base_vfs->xCurrentTime(base_vfs, out); }
int GetLastError(sqlite3_vfs*, int n, char* out) { return base_vfs->xGetLastError(base_vfs, n, out); }
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) { return base_vfs->xCurrentTimeInt64(base_vfs, out); }

}  // namespace

const char* WritebackVfsName() {
  static std::once_flag once;
  static const char* name = nullptr;
  std::call_once(once, [] {
    base_vfs = sqlite3_vfs_find(nullptr);
    if (!base_vfs) return;
    name = base_vfs->zName;
    if (base_vfs->iVersion < 2 || !base_vfs->xCurrentTimeInt64) return;
    writeback_vfs = *base_vfs;
    writeback_vfs.iVersion = 2;  // no xSetSystemCall & co.: nothing here needs them
    writeback_vfs.szOsFile = int(sizeof(WbFile)) + base_vfs->szOsFile;
    writeback_vfs.pNext = nullptr;
    writeback_vfs.zName = "kefu-writeback";
    writeback_vfs.pAppData = nullptr;
    writeback_vfs.xOpen = Open;
    writeback_vfs.xDelete = Delete;
    writeback_vfs.xAccess = Access;
    writeback_vfs.xFullPathname = FullPathname;
    writeback_vfs.xDlOpen = DlOpen;
    writeback_vfs.xDlError = DlError;
    writeback_vfs.xDlSym = DlSym;
    writeback_vfs.xDlClose = DlClose;
    writeback_vfs.xRandomness = Randomness;
    writeback_vfs.xSleep = Sleep;
    writeback_vfs.xCurrentTime = CurrentTime;
    writeback_vfs.xGetLastError = GetLastError;
    writeback_vfs.xCurrentTimeInt64 = CurrentTimeInt64;
    if (sqlite3_vfs_register(&writeback_vfs, 0) == SQLITE_OK) name = writeback_vfs.zName;
  });
  return name;
}

}  // namespace kefu::store::internal
