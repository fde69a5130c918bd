#include "sqldialect.h"

namespace cd::store {

QStringList SqliteDialect::sessionSetup() const
{
    // WAL lets readers (GUI, HTTP) run while a group commit writes; NORMAL keeps commits cheap and
    // is still crash-safe in WAL mode (a power cut may lose the last commits, never corrupt).
    return {
        QStringLiteral("PRAGMA journal_mode=WAL"),
        QStringLiteral("PRAGMA synchronous=NORMAL"),
        QStringLiteral("PRAGMA foreign_keys=ON"),
        QStringLiteral("PRAGMA busy_timeout=5000"),
    };
}

} // namespace cd::store
