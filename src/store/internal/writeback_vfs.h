// store/internal/writeback_vfs.h: a SQLite VFS over the default one that starts the kernel's
// writeback of the database file while a checkpoint copies pages into it, instead of leaving
// them all to the checkpoint's closing fsync. Private to store/.
#pragma once

namespace kefu::store::internal {

// The name to open connections with (sqlite3_open_v2's zVfs). Registers the VFS on the first
// call; thread-safe. Falls back to the default VFS's name if registration fails.
const char* WritebackVfsName();

}  // namespace kefu::store::internal
